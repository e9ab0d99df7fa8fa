-- Administrative penalties decided by any agency, one row per decision.
select
    penalty_id,
    uscc,
    authority,
    decision_no,
    decision_date,
    category as penalty_category,
    fine_amount,
    description as penalty_description,
    {{ kafka_evidence() }}
from {{ released_rows('samr__penalty') }}
