-- Hubs per survey year in the selected bureaus (all when none is selected). An RMO count is
-- NULL when any hub's RMO status is unknown.
select
    fiscal_year,
    max(as_of) as as_of,
    count(*) as hubs,
    case when count(*) filter (where has_rmo is null) > 0 then null
         else count(*) filter (where has_rmo) end as hubs_with_rmo,
    bool_and(is_sample) as is_sample
from hubs
where pref_code = $pref
  and (len($bureaus::varchar[]) = 0 or list_contains($bureaus::varchar[], bureau))
group by fiscal_year
order by fiscal_year
