-- Wage arrears by platform (条例724号 Art.12-14): pay that was late or is still unpaid, counted on
-- the platform the work ran through, whether the payer is the platform or a partner firm.
select
    p.enterprise_name as platform,
    a.platform_uscc,
    a.pay_period,
    count(*) as arrears_cases,
    count(distinct a.worker_key) as workers,
    count(distinct a.payer_uscc) as payers,
    count(*) filter (where a.still_unpaid) as still_unpaid_cases,
    sum(a.amount_unpaid) as amount_unpaid
from intermediate.int_hrss__wage_arrears as a
left join marts.dim_enterprise as p on p.uscc = a.platform_uscc
group by all
order by amount_unpaid desc, a.platform_uscc, a.pay_period
