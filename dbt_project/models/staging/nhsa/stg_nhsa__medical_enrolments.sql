-- Medical-insurance enrolment spells, one row per spell per snapshot day.
-- Incremental, like stg_hrss__service_time: each night stages only its new batches (released_rows).
{{ config(materialized='incremental', unique_key='spell_snapshot_id', incremental_strategy='delete+insert') }}

select
    spell_id as spell_snapshot_id,
    {{ pseudonymise('worker_id_number') }} as worker_key,
    scheme,
    employer_uscc,
    region_code,
    start_date,
    end_date,
    status as spell_status,
    snapshot_date,
    {{ kafka_evidence() }},
    {{ staging_batch_columns() }}
from {{ released_rows('nhsa__medical_enrolment') }}
