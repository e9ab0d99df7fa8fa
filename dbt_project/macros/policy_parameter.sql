{#- A rule parameter for a jurisdiction from the seed ref_policy_parameters, as in force on the date `on`
    (default: the night's as-of date): the jurisdiction's own row if it has one in force then, else the
    national default. Rules read thresholds this way, never as literals; a rule that changes over time is
    a new row with its validity dates, not a code branch. -#}
{% macro policy_parameter(name, jurisdiction, on=none) -%}
    {%- if '.' not in jurisdiction -%}
        {{ exceptions.raise_compiler_error("policy_parameter: pass a qualified column (e.g. 'o.jurisdiction'), got '" ~ jurisdiction ~ "': an unqualified name would resolve inside the lookup") }}
    {%- endif %}
    {%- set day = on if on is not none else as_of_date() %}
    (select p.value from {{ ref('ref_policy_parameters') }} p
     where p.parameter = '{{ name }}' and p.jurisdiction in (({{ jurisdiction }}), 'national')
        and p.valid_from <= ({{ day }}) and (p.valid_to is null or ({{ day }}) <= p.valid_to)
     order by p.jurisdiction = 'national' limit 1)
{%- endmacro %}
