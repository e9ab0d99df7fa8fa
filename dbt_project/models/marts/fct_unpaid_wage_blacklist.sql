-- 欠薪失信联合惩戒名单 (人社部令第45号): every employer ordered to pay by a deadline that still had not
-- paid, with arrears at the province's threshold for 拒不支付劳动报酬罪 (法释〔2013〕3号 Art.3) or a mass
-- incident, and where its listing stands on the as-of date. Deadlines run in working days on the
-- official calendar; every period is a row of ref_policy_parameters. Listed parties: the employer
-- and its legal representative.

with candidates as (
    select * from {{ ref('int_hrss__blacklist_criteria') }} where listing_criterion is not null
),

dated as (
    select
        *,
        -- Assumption: notice on the first working day after the deadline passed unpaid.
        {{ add_working_days('c.payment_deadline', 1) }} as notice_date,
        {{ add_working_days('c.payment_deadline',
                            policy_parameter('blacklist_decision_working_days', 'c.jurisdiction')) }}
            as decision_date
    from candidates c
),

lifecycle as (
    select
        *,
        {{ add_working_days('d.notice_date', policy_parameter('blacklist_objection_working_days', 'd.jurisdiction')) }}
            as objection_deadline,
        cast(d.decision_date
            + to_years(cast({{ policy_parameter('blacklist_listing_years', 'd.jurisdiction') }} as integer)) as date)
            as listed_until,
        d.paid_in_full_date <= d.decision_date and d.written_commitment_date <= d.decision_date
            as paid_before_decision
    from dated d
),

-- Early removal (提前移出): corrected (paid in full) and committed in writing, blacklist_early_removal_months
-- after the correction, unless new arrears were ordered while listed.
later_orders as (
    select l.order_id, min(o.issued_date) as first_new_order_date
    from lifecycle l
    join {{ ref('int_hrss__payment_orders') }} o
        on o.enterprise_uscc = l.enterprise_uscc and o.order_id <> l.order_id
        and o.issued_date > l.decision_date and o.issued_date <= {{ as_of_date() }}
    group by l.order_id
),

removal as (
    select
        l.*,
        n.first_new_order_date,
        case when not coalesce(l.paid_before_decision, false) and l.written_commitment_date is not null
                  and n.first_new_order_date is null
             then cast(greatest(l.paid_in_full_date, l.decision_date)
                       + to_months(cast(
                           {{ policy_parameter('blacklist_early_removal_months', 'l.jurisdiction') }} as integer))
                       as date)
        end as early_removal_eligible_from
    from lifecycle l
    left join later_orders n on n.order_id = l.order_id
)

select
    l.order_id,
    l.enterprise_uscc,
    e.enterprise_name,
    e.legal_rep_name,
    l.region_code,
    l.jurisdiction,
    l.listing_criterion,
    l.workers_affected,
    l.months_unpaid,
    l.arrears_at_deadline,
    l.amount_outstanding,
    l.one_worker_threshold,
    l.many_workers_threshold,
    l.threshold_confirmed,
    l.payment_deadline,
    l.notice_date,
    l.objection_deadline,
    {{ add_working_days('l.objection_deadline',
                        policy_parameter('blacklist_verification_working_days', 'l.jurisdiction')) }}
        as verification_deadline,
    l.decision_date,
    case when not l.paid_before_decision or l.paid_before_decision is null then l.decision_date end as listed_from,
    case when not l.paid_before_decision or l.paid_before_decision is null then l.listed_until end as listed_until,
    case when not l.paid_before_decision or l.paid_before_decision is null then
        {{ add_working_days('l.listed_until', policy_parameter('blacklist_delisting_working_days', 'l.jurisdiction')) }}
    end as delisting_due,
    l.early_removal_eligible_from,
    l.first_new_order_date is not null as new_arrears_while_listed,
    case
        when l.paid_before_decision then 'not_listed_paid_before_decision'
        when {{ as_of_date() }} < l.notice_date then 'candidate'
        when {{ as_of_date() }} <= l.objection_deadline then 'notified'
        when {{ as_of_date() }} < l.decision_date then 'under_review'
        when {{ as_of_date() }} < l.listed_until then 'listed'
        when {{ as_of_date() }} <= {{ add_working_days('l.listed_until',
                                                       policy_parameter('blacklist_delisting_working_days',
                                                                        'l.jurisdiction')) }}
            then 'awaiting_delisting'
        else 'delisted'
    end as listing_status,
    {{ as_of_date() }} as as_of_date,
    'gigshield.blacklist.v1 (人社部令第45号; thresholds 法释〔2013〕3号 via ref_wage_crime_thresholds)' as rule_version,
    l.evidence_topic,
    l.evidence_message_id,
    l.evidence_record_index
from removal l
left join {{ ref('dim_enterprise') }} e on e.uscc = l.enterprise_uscc
where {{ as_of_date() }} > l.payment_deadline
