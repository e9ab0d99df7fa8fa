{#- Generated from ingestion.raw_tables.STAGED_BATCH_STATUSES by `python -m transform.sources_yaml`:
    do not edit by hand. The raw._batches statuses whose rows staging reads (macro released_rows),
    as a SQL list for `status in ...`. -#}
{% macro staged_batch_statuses() -%}
    ('released', 'accepted')
{%- endmacro %}
