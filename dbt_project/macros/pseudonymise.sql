{#- A keyed pseudonym for a personal identifier (PIPL: join on pseudonyms, keep raw identifiers at the edge). -#}
{% macro pseudonymise(column) -%}
    case when {{ column }} is not null then sha256('{{ var("pseudonym_key") }}' || ':' || {{ column }}) end
{%- endmacro %}
