{#- dbt's where config of a data test, with one placeholder: __as_of_date__ becomes as_of_date(), the night being
    built. dbt renders a test's where when it parses the YAML, where the project's macros are not available (and
    the var would be frozen into the manifest); this runs when the test runs.
    Incremental models' row-level tests take `where: "staged_on = __as_of_date__"` (staging_batch_columns): the
    rows the night staged, the only ones it can have changed; a full refresh stages every row on that night, so
    the same test then covers the whole table. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where | replace('__as_of_date__', as_of_date())
                      ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
