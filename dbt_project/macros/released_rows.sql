{#- A raw feed table restricted to the batches inbound validation released (expectations.inbound)
    or an operator accepted (expectations.holds), the statuses of staged_batch_statuses (generated from
    ingestion.raw_tables.BatchStatus): rows of pending or held batches stay in raw, out of every model,
    until then.
    In an incremental model's incremental run, only the batches it has not staged yet: a night
    reads its own batches (and any held batch accepted since), never the history again. -#}
{% macro released_rows(table) -%}
    (select * from {{ source('raw', table) }}
     where _batch_id in (
        select batch_id from {{ source('raw', '_batches') }} where status in {{ staged_batch_statuses() }}
     )
     {%- if model.config.materialized == 'incremental' and is_incremental() %}
        and _batch_id not in (select distinct batch_id from {{ this }})
     {%- endif %})
{%- endmacro %}

{#- The batch a staged row came from and the night that staged it: incremental models downstream
    take the rows staged on the night they build (staged_on = as_of_date()). -#}
{% macro staging_batch_columns() -%}
    _batch_id as batch_id,
    {{ as_of_date() }} as staged_on
{%- endmacro %}
