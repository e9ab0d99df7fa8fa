-- Platforms' monthly employment report / worker ledger, one row per worker x employer x period.
-- Name and phone are dropped here: no model downstream needs them.
-- Incremental, like stg_hrss__service_time: each night stages only its new batches (released_rows).
{{ config(materialized='incremental', unique_key='ledger_id', incremental_strategy='delete+insert') }}

select
    ledger_id,
    report_period,
    strptime(report_period || '-01', '%Y-%m-%d')::date as report_month,
    platform_uscc,
    employer_uscc,
    employer_role,
    {{ pseudonymise('worker_id_number') }} as worker_key,
    occupation,
    relationship_type,
    part_time as is_part_time,
    written_agreement as has_written_agreement,
    region_code,
    onboarding_date,
    offboarding_date,
    pension_registered_date,
    medical_registered_date,
    injury_registered_date,
    injury_cover,
    deposit_amount,
    report_date,
    platform_brand,
    {{ kafka_evidence() }},
    {{ staging_batch_columns() }}
from {{ released_rows('hrss__employment_ledger') }}
