{#- A raw feed table restricted to the batches inbound validation released (expectations.inbound)
    or an operator accepted (expectations.holds): rows of pending or held batches stay in raw,
    out of every model, until then. -#}
{% macro released_rows(table) -%}
    (select * from {{ source('raw', table) }}
     where _batch_id in (select batch_id from {{ source('raw', '_batches') }} where status in ('released', 'accepted')))
{%- endmacro %}
