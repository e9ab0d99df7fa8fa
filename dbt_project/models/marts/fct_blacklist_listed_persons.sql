-- The persons a listing decision lists with the employer (人社部令第45号: 法定代表人 or 主要负责人, 直接负责的
-- 主管人员, 其他直接责任人员), one row per person and decision, from the decision's person_listed acts. The
-- name is kept only for a role whose name is published (ref_blacklist_person_roles) and only as the
-- decision publishes it; the person is otherwise a keyed pseudonym.
with persons as (
    select *
    from {{ ref('stg_hrss__blacklist_case_events') }}
    where event_type = 'person_listed' and event_date <= {{ as_of_date() }}
    qualify row_number() over (
        partition by order_id, person_key
        order by event_date asc, recorded_at desc, kafka_partition desc, kafka_offset desc
    ) = 1
)

select
    p.order_id || ':' || p.person_key as listed_person_key,
    p.order_id,
    c.enterprise_uscc,
    c.decision_number,
    p.person_key,
    p.person_role,
    r.role_title,
    r.name_published,
    case when r.name_published then p.published_name end as published_name,
    c.case_status,
    c.is_listed as is_listed_now,
    c.as_of_date
from persons p
-- Only persons of a recorded listing decision: a person_listed act without one lists nobody.
join {{ ref('fct_blacklist_cases') }} c on c.order_id = p.order_id and c.decision_number is not null
join {{ ref('ref_blacklist_person_roles') }} r on r.person_role = p.person_role
