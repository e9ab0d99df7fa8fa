-- Unpaid-wage blacklist cases (欠薪失信联合惩戒名单, 人社部令第45号), one row per case (the order to pay whose
-- deadline passed unpaid), with where the case stands on the as-of date and the authority's next act.
--
-- Gigshield finds the cases (int_hrss__blacklist_criteria), computes the order's deadlines and reminds the
-- authority; the authority decides. A case is `listed` only with a recorded listing decision (列入决定,
-- int_hrss__blacklist_case_acts), and its listing period runs from the decision date recorded. Every period
-- is a row of ref_policy_parameters, counted in working days on the official calendar:
--   notice_due              payment deadline + blacklist_notice_working_days (the latest notice that leaves
--                           the periods to object and to verify before the decision is due)
--   objection_due           notice served + blacklist_objection_working_days (陈述、申辩、异议)
--   objection_decision_due  objection received + blacklist_verification_working_days (核实)
--   decision_due            payment deadline + blacklist_decision_working_days, + the extension's
--                           blacklist_decision_extension_working_days when one was approved (complex case)
--   delisting_due           listed_until (decision + blacklist_listing_years) + blacklist_delisting_working_days
--   early_removal_decision_due  application + blacklist_early_removal_decision_working_days
-- Early removal (提前移出, 信用修复) is open to an employer that paid in full (the correction), made a written
-- commitment, has had no new order to pay since the decision, from blacklist_early_removal_months after the
-- correction; the authority decides it (early_removal_decided).
{% set listed_statuses = ['listed', 'removal_due'] %}
{% set revocations = ['revoked_on_review', 'revoked_in_court'] %}

with criteria as (
    select * from {{ ref('int_hrss__blacklist_criteria') }}
    where payment_deadline < {{ as_of_date() }}
        and (listing_criterion is not null or criteria_error is not null)
),

acts as (
    select * from {{ ref('int_hrss__blacklist_case_acts') }}
),

orders as (
    select * from {{ ref('int_hrss__payment_orders') }}
),

-- A case is an order that meets the criteria (or cannot be judged), or one the authority acted on.
cases as (
    select
        coalesce(c.order_id, a.order_id) as order_id,
        coalesce(o.enterprise_uscc, a.enterprise_uscc) as enterprise_uscc,
        o.region_code,
        o.jurisdiction,
        o.province,
        c.listing_criterion,
        c.criteria_error,
        o.is_mass_incident,
        o.threshold_confirmed,
        o.workers_affected,
        o.months_unpaid,
        c.arrears_at_deadline,
        c.max_one_worker_arrears,
        o.amount_outstanding,
        o.payment_deadline,
        coalesce(o.paid_in_full_date, a.applied_paid_in_full_date) as paid_in_full_date,
        coalesce(a.applied_written_commitment_date, o.written_commitment_date) as written_commitment_date,
        a.* exclude (order_id, enterprise_uscc, evidence_topic, evidence_message_id, evidence_record_index),
        coalesce(a.evidence_topic, o.evidence_topic) as evidence_topic,
        coalesce(a.evidence_message_id, o.evidence_message_id) as evidence_message_id,
        coalesce(a.evidence_record_index, o.evidence_record_index) as evidence_record_index,
        a.order_id is not null as has_acts
    from criteria c
    full join acts a on a.order_id = c.order_id
    left join orders o on o.order_id = coalesce(c.order_id, a.order_id)
),

deadlines as (
    select
        c.*,
        {{ add_working_days('c.payment_deadline',
                            policy_parameter('blacklist_notice_working_days', 'c.jurisdiction')) }} as notice_due,
        {{ add_working_days('c.notice_served_date',
                            policy_parameter('blacklist_objection_working_days', 'c.jurisdiction')) }}
            as objection_due,
        {{ add_working_days('c.objection_received_date',
                            policy_parameter('blacklist_verification_working_days', 'c.jurisdiction')) }}
            as objection_decision_due,
        {{ add_working_days('c.payment_deadline',
                            policy_parameter('blacklist_decision_working_days', 'c.jurisdiction')) }}
            as decision_due_unextended,
        cast(c.decision_date
            + to_years(cast({{ policy_parameter('blacklist_listing_years', 'c.jurisdiction') }} as integer)) as date)
            as listed_until,
        {{ add_working_days('c.early_removal_applied_date',
                            policy_parameter('blacklist_early_removal_decision_working_days', 'c.jurisdiction')) }}
            as early_removal_decision_due,
        cast(c.paid_in_full_date
            + to_months(cast({{ policy_parameter('blacklist_early_removal_months', 'c.jurisdiction') }} as integer))
            as date) as six_months_after_correction
    from cases c
),

-- New arrears while listed: another order to pay issued to the employer after the decision.
later_orders as (
    select d.order_id, min(o.issued_date) as first_new_order_date
    from deadlines d
    join orders o
        on o.enterprise_uscc = d.enterprise_uscc and o.order_id <> d.order_id
        and o.issued_date > d.decision_date and o.issued_date <= {{ as_of_date() }}
    group by d.order_id
),

steps as (
    select
        d.*,
        case when d.extension_approved_date is not null
            then {{ add_working_days('d.decision_due_unextended',
                                     policy_parameter('blacklist_decision_extension_working_days', 'd.jurisdiction')) }}
            else d.decision_due_unextended
        end as decision_due,
        {{ add_working_days('d.listed_until',
                            policy_parameter('blacklist_delisting_working_days', 'd.jurisdiction')) }} as delisting_due,
        n.first_new_order_date is not null as new_arrears_while_listed,
        case when d.decision_date is not null and d.paid_in_full_date is not null
                  and d.written_commitment_date is not null and n.first_new_order_date is null
             then d.six_months_after_correction
        end as early_removal_eligible_from,
        d.early_removal_applied_date is not null
            and (d.early_removal_decided_date is null or d.early_removal_decided_date < d.early_removal_applied_date)
            as early_removal_pending,
        -- The listing's end, by the authority's act: an approved early removal or a delisting.
        case
            when d.decision_date is null then null
            when d.early_removal_outcome = 'approved' and d.early_removal_decided_date >= d.early_removal_applied_date
                then least(d.early_removal_decided_date, coalesce(d.delisted_date, d.early_removal_decided_date))
            else d.delisted_date
        end as listing_ended_date,
        case
            when d.decision_date is null then null
            when d.delisted_reason in ({{ "'" ~ revocations | join("', '") ~ "'" }}) then d.delisted_reason
            when d.early_removal_outcome = 'approved' and d.early_removal_decided_date >= d.early_removal_applied_date
                then 'early_removal'
            else d.delisted_reason
        end as listing_end_reason
    from deadlines d
    left join later_orders n on n.order_id = d.order_id
),

status as (
    select
        s.*,
        case
            when s.decision_date is not null then
                case
                    when s.listing_end_reason in ({{ "'" ~ revocations | join("', '") ~ "'" }}) then 'not_listed'
                    when s.listing_end_reason = 'early_removal' then 'removed_early'
                    when s.listing_end_reason = 'expiry' then 'delisted'
                    when s.early_removal_pending or {{ as_of_date() }} >= s.listed_until then 'removal_due'
                    else 'listed'
                end
            when s.not_listed_date is not null or s.objection_outcome = 'upheld' then 'not_listed'
            -- Not listed if paid in full and committed in writing before the decision (人社部令第45号).
            when s.paid_in_full_date <= {{ as_of_date() }} and s.written_commitment_date <= {{ as_of_date() }}
                then 'not_listed'
            when s.criteria_error is not null and s.notice_served_date is null then 'criteria_error'
            -- A threshold criterion met on an unconfirmed threshold row waits for the authority's confirmation.
            when s.listing_criterion is not null and not s.is_mass_incident
                 and not coalesce(s.threshold_confirmed, false) and s.threshold_confirmation_date is null
                 and s.notice_served_date is null
                then 'threshold_unconfirmed'
            when s.notice_served_date is null then 'candidate'
            when s.objection_received_date is not null and s.objection_decided_date is null then 'objection_pending'
            when s.objection_outcome = 'rejected' or {{ as_of_date() }} > s.objection_due then 'decision_due'
            else 'notified'
        end as case_status
    from steps s
),

next_acts as (
    select
        s.*,
        case s.case_status
            when 'criteria_error' then 'fix_reference_data'
            when 'threshold_unconfirmed' then 'confirm_threshold'
            when 'candidate' then 'serve_notice'
            when 'notified' then 'decide_listing'
            when 'objection_pending' then 'decide_objection'
            when 'decision_due' then 'decide_listing'
            when 'removal_due' then case when s.early_removal_pending then 'decide_early_removal' else 'delist' end
        end as next_act
    from status s
),

cases_out as (
select
    n.order_id,
    n.enterprise_uscc,
    e.enterprise_name,
    n.region_code,
    n.jurisdiction,
    n.province,
    n.listing_criterion,
    n.criteria_error,
    n.threshold_confirmed,
    n.threshold_confirmation_date,
    n.workers_affected,
    n.months_unpaid,
    n.arrears_at_deadline,
    n.max_one_worker_arrears,
    n.amount_outstanding,
    n.payment_deadline,
    n.notice_due,
    n.notice_number,
    n.notice_served_date,
    n.objection_due,
    n.objection_received_date,
    n.objection_outcome,
    n.objection_decision_due,
    n.objection_decided_date,
    n.extension_approved_date,
    n.decision_due,
    n.decision_number,
    n.deciding_authority,
    n.legal_basis,
    n.decision_date,
    n.decision_date > n.decision_due as decision_was_late,
    n.persons_listed,
    n.decision_date as listed_from,
    n.listed_until,
    case when n.decision_date is not null then n.delisting_due end as delisting_due,
    n.paid_in_full_date,
    n.written_commitment_date,
    n.early_removal_eligible_from,
    n.new_arrears_while_listed,
    n.early_removal_applied_date,
    n.payment_evidence,
    n.early_removal_decision_due,
    n.early_removal_outcome,
    n.early_removal_decided_date,
    case
        when n.case_status in ('delisted', 'removed_early') or n.listing_ended_date is not null
            then n.listing_ended_date
        when n.case_status = 'not_listed' then coalesce(n.not_listed_date, n.objection_decided_date,
                                                        greatest(n.paid_in_full_date, n.written_commitment_date))
    end as ended_date,
    case
        when n.listing_ended_date is not null then n.listing_end_reason
        when n.case_status = 'not_listed' then coalesce(
            n.not_listed_reason,
            case when n.objection_outcome = 'upheld' then 'objection_upheld' else 'paid_and_committed' end
        )
    end as end_reason,
    n.case_status,
    n.case_status in ({{ "'" ~ listed_statuses | join("', '") ~ "'" }}) as is_listed,
    n.next_act,
    case n.next_act
        when 'confirm_threshold' then n.notice_due
        when 'serve_notice' then n.notice_due
        when 'decide_listing' then n.decision_due
        when 'decide_objection' then n.objection_decision_due
        when 'decide_early_removal' then n.early_removal_decision_due
        when 'delist' then n.delisting_due
    end as next_act_due,
    {{ as_of_date() }} as as_of_date,
    'gigshield.blacklist_case.v1 (人社部令第45号 acts recorded in hrss.blacklist_case_event.v1; thresholds '
    || '法释〔2013〕3号 via ref_wage_crime_thresholds)' as rule_version,
    n.has_acts,
    n.evidence_topic,
    n.evidence_message_id,
    n.evidence_record_index
from next_acts n
left join {{ ref('dim_enterprise') }} e on e.uscc = n.enterprise_uscc
)

select
    * exclude (as_of_date, rule_version, has_acts, evidence_topic, evidence_message_id, evidence_record_index),
    coalesce(next_act_due < as_of_date, false) as is_overdue,
    -- The deadline lies in a year without a State Council holiday notice (weekends-only working days):
    -- it may move when the notice is published (ref_calendar.is_provisional).
    coalesce({{ is_provisional_date('next_act_due') }}, false) as next_act_due_is_provisional,
    as_of_date,
    rule_version,
    has_acts,
    evidence_topic,
    evidence_message_id,
    evidence_record_index
from cases_out
