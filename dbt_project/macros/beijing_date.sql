{#- The Beijing calendar day of a timestamp with time zone: the agencies' day, whatever the session's
    TimeZone. The only place SQL names the zone (Python: core.config.TIMEZONE_NAME). -#}
{% macro beijing_date(ts) -%}
    cast(timezone('Asia/Shanghai', {{ ts }}) as date)
{%- endmacro %}
