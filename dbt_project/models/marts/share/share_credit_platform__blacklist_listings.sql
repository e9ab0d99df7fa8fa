{{ config(schema='share') }}
-- For 发改's provincial credit platform: the unpaid-wage blacklist as the 人社 department decided it
-- (人社部令第45号: listings are shared with the credit platform), one row per case:
--   listing        a decided listing in force on the as-of date (fct_blacklist_cases.case_status listed or
--                  removal_due, which requires a listing_decided event): the decision (number, authority,
--                  legal basis, date), the listing period, and the persons it lists by role, with the name
--                  only where the listing publishes it (ref_blacklist_person_roles; else 姓名不公开);
--   listing_ended  a decided listing that ended (expiry, early removal / 信用修复, revoked on review or in
--                  court) within the last blacklist_removal_event_days calendar days: its end date and
--                  reason, and no persons. The night a removal is recorded the listing leaves this extract
--                  and its removal event enters it, so publication and sharing stop together (国办发〔2025〕22号;
--                  NDRC 信用修复管理办法, in force 2026-04-01).
-- No worker data; listed persons only as the decision's roles and published names.
with persons as (
    select
        order_id,
        decision_number,
        string_agg(
            role_title || ' ' || case when name_published and published_name is not null then published_name
                                      else '(姓名不公开)' end,
            '; '
            order by case person_role
                when 'legal_representative' then 1
                when 'principal' then 2
                when 'responsible_manager' then 3
                else 4
            end, person_key
        ) as listed_persons
    from {{ ref('fct_blacklist_listed_persons') }}
    group by all
),

decided as (
    select
        c.*,
        c.is_listed as in_force,
        c.case_status in ('delisted', 'removed_early', 'not_listed')
            and c.end_reason in ('expiry', 'early_removal', 'revoked_on_review', 'revoked_in_court')
            and c.ended_date <= c.as_of_date
            and c.ended_date > c.as_of_date
                - cast({{ policy_parameter('blacklist_removal_event_days', 'c.jurisdiction') }} as integer)
            as ended_recently
    from {{ ref('fct_blacklist_cases') }} c
    where c.decision_number is not null
)

select
    case when c.in_force then 'listing' else 'listing_ended' end as record_type,
    c.order_id as case_id,
    c.enterprise_uscc,
    c.enterprise_name,
    c.region_code,
    c.decision_number,
    c.deciding_authority,
    c.legal_basis,
    c.decision_date,
    c.listed_from,
    c.listed_until,
    case when c.in_force then p.listed_persons end as listed_persons,
    case when not c.in_force then c.ended_date end as ended_date,
    case when not c.in_force then c.end_reason end as end_reason,
    c.as_of_date
from decided c
left join persons p on p.order_id = c.order_id and p.decision_number = c.decision_number
where c.in_force or c.ended_recently
