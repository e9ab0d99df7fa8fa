{#- The data day a build evaluates statuses on: the var as_of_date (the nightly run's logical date,
    passed by orchestration.steps.dbt_build), else today. -#}
{% macro as_of_date() -%}
    coalesce(try_cast('{{ var("as_of_date", "") }}' as date), current_date)
{%- endmacro %}
