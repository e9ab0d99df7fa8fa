-- Each order to pay that was still unpaid when its deadline passed, against the blacklist's
-- criteria (人社部令第45号): arrears at the province's threshold for 拒不支付劳动报酬罪 (法释〔2013〕3号
-- Art.3: one worker owed a number of months' pay or more; or many workers in total), or a mass incident.
-- listing_criterion is null for an order that meets none: the watch list's cases.
with unpaid as (
    select
        *,
        -- What was still owed when the deadline passed: all of it if it was paid in full only later
        -- (the order feed reports totals, not payments by date).
        case when paid_in_full_date > payment_deadline then amount_ordered else amount_outstanding end
            as arrears_at_deadline
    from {{ ref('int_hrss__payment_orders') }}
),

judged as (
    select
        *,
        -- Order data carries totals: "one worker" is judged on the average per worker.
        u.months_unpaid >= {{ policy_parameter('blacklist_one_worker_min_months_unpaid', 'u.jurisdiction') }}
            and u.arrears_at_deadline / nullif(u.workers_affected, 0) >= u.one_worker_threshold
            as meets_one_worker_threshold,
        u.workers_affected >= u.many_workers_min_count and u.arrears_at_deadline >= u.many_workers_threshold
            as meets_many_workers_threshold
    from unpaid u
    where u.arrears_at_deadline > 0
)

select
    *,
    case
        when is_mass_incident then 'mass_incident'
        when meets_many_workers_threshold then 'many_workers_threshold'
        when meets_one_worker_threshold then 'one_worker_threshold'
    end as listing_criterion
from judged
