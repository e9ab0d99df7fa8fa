{#- The legal representative's name in an outbound extract: only with a blacklisting, because
    人社部令第45号 lists the employer together with its legal representative and shares the listing with
    the credit platform and the agencies enforcing it; otherwise NULL (PIPL: no purpose, no name). -#}
{% macro published_legal_rep_name(name_column, is_blacklisted_column) -%}
    case when {{ is_blacklisted_column }} then {{ name_column }} end
{%- endmacro %}
