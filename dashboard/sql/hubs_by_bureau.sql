-- Hubs per bureau for one survey year, every bureau of the profile listed (summed from
-- hub_counts). hubs_with_rmo is NULL when the bureau has hubs and none has a known RMO status.
with counts as (
    select
        bureau,
        sum(hubs) as hubs,
        sum(hubs_with_rmo) as hubs_with_rmo,
        sum(rmo_unknown) as rmo_unknown,
        bool_and(list_records_rmo) as list_records_rmo
    from hub_counts
    where pref_code = $pref and fiscal_year = $year
    group by bureau
)

select
    b.bureau,
    b.bureau_order,
    coalesce(c.hubs, 0) as hubs,
    case when c.hubs > 0 and (c.rmo_unknown = c.hubs or not c.list_records_rmo) then null
         else coalesce(c.hubs_with_rmo, 0) end as hubs_with_rmo,
    coalesce(c.rmo_unknown, 0) as rmo_unknown
from profile_bureaus as b
left join counts as c on c.bureau = b.bureau
where b.pref_code = $pref
order by b.bureau_order
