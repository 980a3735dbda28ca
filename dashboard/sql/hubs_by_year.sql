-- Hubs per survey year in the selected bureaus (all when none is selected). Every survey year of
-- the prefecture is listed: the list covers the whole prefecture, so a bureau without rows has
-- 0 hubs that year. Hubs whose RMO status is unknown are counted apart (rmo_unknown):
-- hubs_with_rmo counts the known rows, and is NULL only when no counted hub has a known status,
-- or when the year's list does not record RMOs at all.
with years as (
    select
        fiscal_year,
        max(as_of) as as_of,
        bool_and(is_sample) as is_sample,
        count(*) filter (where has_rmo is not null) > 0 as records_rmo
    from hubs
    where pref_code = $pref
    group by fiscal_year
),

selected as (
    select
        fiscal_year,
        count(*) as hubs,
        count(*) filter (where has_rmo) as hubs_with_rmo,
        count(*) filter (where has_rmo is null) as rmo_unknown
    from hubs
    where pref_code = $pref
      and (len($bureaus::varchar[]) = 0 or list_contains($bureaus::varchar[], bureau))
    group by fiscal_year
)

select
    years.fiscal_year,
    years.as_of,
    coalesce(selected.hubs, 0) as hubs,
    case when not years.records_rmo or selected.rmo_unknown = selected.hubs then null
         else coalesce(selected.hubs_with_rmo, 0) end as hubs_with_rmo,
    coalesce(selected.rmo_unknown, 0) as rmo_unknown,
    years.is_sample
from years
left join selected on selected.fiscal_year = years.fiscal_year
order by years.fiscal_year
