-- Court and arbitration case status updates.
select
    record_id as case_update_id,
    case_number,
    forum,
    respondent_uscc,
    claimant_count,
    cause as case_cause,
    amount_claimed,
    amount_awarded,
    filed_date,
    judgment_date,
    judgment_status,
    enforcement_status,
    region_code,
    updated_at,
    {{ kafka_evidence() }}
from {{ released_rows('court__case') }}
