-- Medical-insurance enrolment spells, one row per spell per snapshot day.
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
    {{ kafka_evidence() }}
from {{ released_rows('nhsa__medical_enrolment') }}
