-- The watch list (重点关注): employers ordered to pay who let the deadline pass with arrears under
-- every blacklist criterion. No national rule defines it (domain.md, Credit): it is a configurable
-- pre-blacklist stage whose length is the jurisdiction's watch_list_years (ref_policy_parameters).

select
    c.order_id,
    c.enterprise_uscc,
    e.enterprise_name,
    c.region_code,
    c.jurisdiction,
    c.workers_affected,
    c.months_unpaid,
    c.arrears_at_deadline,
    c.amount_outstanding,
    c.payment_deadline,
    cast(c.payment_deadline
        + to_years(cast({{ policy_parameter('watch_list_years', 'c.jurisdiction') }} as integer))
        as date) as watch_until,
    {{ as_of_date() }} as as_of_date,
    'gigshield.watch_list.v1 (configurable pre-blacklist stage; ref_policy_parameters.watch_list_years)'
        as rule_version,
    c.evidence_topic,
    c.evidence_message_id,
    c.evidence_record_index
from {{ ref('int_hrss__blacklist_criteria') }} c
left join {{ ref('dim_enterprise') }} e on e.uscc = c.enterprise_uscc
where c.listing_criterion is null
    and c.criteria_error is null  -- an order that cannot be judged is an error the night reports, not a watch
    and {{ as_of_date() }} > c.payment_deadline
    and {{ as_of_date() }} < c.payment_deadline
        + to_years(cast({{ policy_parameter('watch_list_years', 'c.jurisdiction') }} as integer))
