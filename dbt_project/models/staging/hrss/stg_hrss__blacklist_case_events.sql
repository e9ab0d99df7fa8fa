-- The 人社 department's recorded acts on unpaid-wage blacklist cases (人社部令第45号), one row per act.
-- A listed person's ID number becomes a pseudonym; the published name stays (the decision publishes it).
select
    event_id,
    order_id,
    enterprise_uscc,
    event_type,
    event_date,
    document_number,
    deciding_authority,
    legal_basis,
    outcome,
    reason,
    person_role,
    {{ pseudonymise('person_id_number') }} as person_key,
    published_name,
    payment_evidence,
    paid_in_full_date,
    written_commitment_date,
    recorded_at,
    {{ kafka_evidence() }}
from {{ released_rows('hrss__blacklist_case_event') }}
