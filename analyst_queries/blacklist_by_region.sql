-- The unpaid-wage blacklist (人社部令第45号) by region: employers at each stage of the listing
-- process (candidate → notified → under_review → listed → awaiting_delisting → delisted) and what they
-- still owe.
select
    r.province,
    r.city,
    r.region_name,
    b.jurisdiction,
    b.listing_status,
    count(*) as employers,
    sum(b.workers_affected) as workers_affected,
    sum(b.amount_outstanding) as amount_outstanding
from marts.fct_unpaid_wage_blacklist as b
left join reference.ref_regions as r on cast(r.region_code as varchar) = b.region_code
group by all
order by b.jurisdiction, r.region_name, b.listing_status
