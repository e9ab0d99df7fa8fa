{#- A rule parameter for a jurisdiction from the seed ref_policy_parameters: the jurisdiction's own
    row if it has one, else the national default. Rules read thresholds this way, never as literals. -#}
{% macro policy_parameter(name, jurisdiction) -%}
    {%- if '.' not in jurisdiction -%}
        {{ exceptions.raise_compiler_error("policy_parameter: pass a qualified column (e.g. 'o.jurisdiction'), got '" ~ jurisdiction ~ "': an unqualified name would resolve inside the lookup") }}
    {%- endif %}
    (select p.value from {{ ref('ref_policy_parameters') }} p
     where p.parameter = '{{ name }}' and p.jurisdiction in (({{ jurisdiction }}), 'national')
     order by p.jurisdiction = 'national' limit 1)
{%- endmacro %}
