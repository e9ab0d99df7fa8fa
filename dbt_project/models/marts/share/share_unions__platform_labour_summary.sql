{{ config(schema='share') }}
-- For the trade unions (总工会: collective consultation on pay and hours, a complaint channel for wage
-- arrears, 湘人社规〔2021〕24号 三(十三)): per platform and jurisdiction, how many workers work through it
-- and how many were found in wage arrears, paid below the minimum wage, kept online past the
-- stop-dispatch limit or charged a deposit, with complaints received. Counts and sums only: no
-- worker-level rows, no pseudonyms.
with engaged as (
    select platform_uscc, jurisdiction, count(distinct worker_key) as workers_engaged,
           count(distinct employer_uscc) filter (where employer_uscc <> platform_uscc) as partner_enterprises
    from {{ ref('int_hrss__engagements') }}
    group by all
),

findings as (
    select
        e.platform_uscc,
        e.jurisdiction,
        count(distinct f.worker_key) filter (where f.finding_kind = {{ finding_kind('wage_arrears') }})
            as workers_in_arrears,
        sum(f.amount) filter (where f.finding_kind = {{ finding_kind('wage_arrears') }}) as wage_arrears_amount,
        count(distinct f.worker_key) filter (where f.finding_kind = {{ finding_kind('below_minimum_wage') }})
            as workers_below_minimum_wage,
        count(distinct f.worker_key) filter (where f.finding_kind = {{ finding_kind('overtime_no_stop_dispatch') }})
            as workers_over_service_limit,
        count(distinct f.worker_key) filter (where f.finding_kind = {{ finding_kind('deposit_taken') }})
            as workers_charged_deposit
    from {{ ref('int_credit__findings') }} f
    join {{ ref('int_hrss__engagements') }} e
        on e.employer_uscc = f.enterprise_uscc and e.platform_uscc = f.platform_uscc and e.worker_key = f.worker_key
    group by all
),

complaints as (
    select c.platform_uscc, r.jurisdiction, count(distinct c.complaint_id) as complaints
    from {{ ref('stg_hrss__complaint_events') }} c
    join {{ ref('ref_regions') }} r on r.region_code = c.region_code
    where {{ beijing_date('c.event_at') }} <= {{ as_of_date() }}
    group by all
)

select
    g.platform_uscc || ':' || g.jurisdiction as platform_jurisdiction_key,
    g.platform_uscc,
    p.enterprise_name as platform_name,
    g.jurisdiction,
    g.workers_engaged,
    g.partner_enterprises,
    coalesce(f.workers_in_arrears, 0) as workers_in_arrears,
    cast(coalesce(f.wage_arrears_amount, 0) as decimal(18, 2)) as wage_arrears_amount,
    coalesce(f.workers_below_minimum_wage, 0) as workers_below_minimum_wage,
    coalesce(f.workers_over_service_limit, 0) as workers_over_service_limit,
    coalesce(f.workers_charged_deposit, 0) as workers_charged_deposit,
    coalesce(c.complaints, 0) as complaints,
    {{ as_of_date() }} as as_of_date
from engaged g
left join {{ ref('dim_enterprise') }} p on p.uscc = g.platform_uscc
left join findings f on f.platform_uscc = g.platform_uscc and f.jurisdiction = g.jurisdiction
left join complaints c on c.platform_uscc = g.platform_uscc and c.jurisdiction = g.jurisdiction
