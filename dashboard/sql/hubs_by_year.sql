-- Hubs per survey year in the selected bureaus (all when none is selected), summed from
-- hub_counts. hubs_with_rmo counts the hubs whose RMO status is known to have one; it is NULL
-- when no counted hub has a known status, or when the year's list does not record RMOs.
select
    fiscal_year,
    any_value(as_of) as as_of,
    sum(hubs) as hubs,
    case when not bool_and(list_records_rmo) or sum(rmo_unknown) = sum(hubs) and sum(hubs) > 0
         then null else sum(hubs_with_rmo) end as hubs_with_rmo,
    sum(rmo_unknown) as rmo_unknown,
    bool_and(is_sample) as is_sample
from hub_counts
where pref_code = $pref
  and (len($bureaus::varchar[]) = 0 or list_contains($bureaus::varchar[], bureau))
group by fiscal_year
order by fiscal_year
