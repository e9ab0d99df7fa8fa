-- Each order to pay with arrears still unpaid when its deadline passed, against the blacklist's criteria
-- (人社部令第45号): arrears at the province's threshold for 拒不支付劳动报酬罪 (法释〔2013〕3号 Art.3: (一) one
-- worker owed three months' pay or more at the one-worker amount; (二) ten workers or more owed the
-- many-workers amount in total), or a mass incident (群体性、极端事件).
--
-- What was owed at the deadline, per worker, comes from the order's list of workers owed (欠薪花名册,
-- hrss.unpaid_worker_roster.v1): what each was owed less what each was paid by the deadline, instalments
-- included. Without a roster the order's totals are used, less amount_paid_by_deadline where the order
-- reports it; the one-worker criterion is then judged only for an order owed to a single worker (an
-- average per worker is not "one worker").
--
-- listing_criterion is null for an order that meets none: the watch list's cases. criteria_error names an
-- order whose region or province has no reference row (ref_regions, ref_wage_crime_thresholds): an error
-- the night reports (fct_blacklist_cases, alerts), never a silent watch-list entry.
with roster_lines as (
    select
        r.order_id,
        r.worker_key,
        r.months_unpaid,
        greatest(r.amount_owed - r.amount_paid_by_deadline, 0) as arrears_at_deadline
    from {{ ref('stg_hrss__unpaid_worker_roster') }} r
    qualify row_number() over (
        partition by r.order_id, r.worker_key order by r.updated_at desc, r.kafka_partition desc, r.kafka_offset desc
    ) = 1
),

orders as (
    select
        o.*,
        {{ policy_parameter('blacklist_one_worker_min_months_unpaid', 'o.jurisdiction') }} as one_worker_min_months,
        -- Without a roster: what was paid by the deadline, if the order says; else all of it if it was paid
        -- in full by then, none of it if only later, and what has been paid so far while it is not.
        o.amount_ordered - least(o.amount_ordered, coalesce(
            o.amount_paid_by_deadline,
            case
                when o.paid_in_full_date <= o.payment_deadline then o.amount_ordered
                when o.paid_in_full_date > o.payment_deadline then 0
                else o.amount_paid
            end
        )) as order_arrears_at_deadline
    from {{ ref('int_hrss__payment_orders') }} o
),

per_worker as (
    select
        o.order_id,
        count(*) filter (where l.arrears_at_deadline > 0) as roster_workers_owed,
        sum(l.arrears_at_deadline) as roster_arrears_at_deadline,
        max(l.arrears_at_deadline) filter (where l.months_unpaid >= o.one_worker_min_months)
            as max_one_worker_arrears,
        count(*) filter (
            where l.months_unpaid >= o.one_worker_min_months and l.arrears_at_deadline >= o.one_worker_threshold
        ) as workers_at_one_worker_threshold
    from orders o
    join roster_lines l on l.order_id = o.order_id
    group by o.order_id
),

judged as (
    select
        o.*,
        w.order_id is not null as has_roster,
        coalesce(w.roster_arrears_at_deadline, o.order_arrears_at_deadline) as arrears_at_deadline,
        coalesce(w.roster_workers_owed, o.workers_affected) as workers_owed_at_deadline,
        case
            when w.order_id is not null then w.max_one_worker_arrears
            when o.workers_affected = 1 and o.months_unpaid >= o.one_worker_min_months then o.order_arrears_at_deadline
        end as max_one_worker_arrears,
        coalesce(w.workers_at_one_worker_threshold > 0,
                 o.workers_affected = 1 and o.months_unpaid >= o.one_worker_min_months
                 and o.order_arrears_at_deadline >= o.one_worker_threshold) as meets_one_worker_threshold,
        coalesce(w.roster_workers_owed, o.workers_affected) >= o.many_workers_min_count
            and coalesce(w.roster_arrears_at_deadline, o.order_arrears_at_deadline) >= o.many_workers_threshold
            as meets_many_workers_threshold
    from orders o
    left join per_worker w on w.order_id = o.order_id
)

select
    *,
    case
        when is_mass_incident then 'mass_incident'
        when meets_many_workers_threshold then 'many_workers_threshold'
        when meets_one_worker_threshold then 'one_worker_threshold'
    end as listing_criterion,
    case
        when is_mass_incident then null
        when jurisdiction is null then 'region_unknown'
        when one_worker_threshold is null then 'no_threshold'
    end as criteria_error
from judged
-- Both criteria need the deadline to have passed unpaid (责令限期支付工资，逾期未支付): a mass incident
-- over arrears paid by the deadline opens no case.
where arrears_at_deadline > 0
