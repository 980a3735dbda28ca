-- Every municipality of the selected bureaus with its hubs in one survey year. A municipality
-- absent from the list has 0 hubs (the list covers the whole prefecture). Hubs whose RMO status
-- is unknown are counted apart (rmo_unknown): hubs_with_rmo counts the known rows, and is NULL
-- only when the municipality has hubs and none of them has a known status.
with counts as (
    select
        municipality_code,
        count(*) as hubs,
        count(*) filter (where has_rmo) as hubs_with_rmo,
        count(*) filter (where has_rmo is null) as rmo_unknown
    from hubs
    where pref_code = $pref and fiscal_year = $year
    group by municipality_code
)

select
    m.municipality_code,
    m.municipality_name,
    m.bureau,
    m.bureau_order,
    m.kaso,
    coalesce(c.hubs, 0) as hubs,
    case when c.rmo_unknown = c.hubs then null else coalesce(c.hubs_with_rmo, 0) end
        as hubs_with_rmo,
    coalesce(c.rmo_unknown, 0) as rmo_unknown
from municipalities as m
left join counts as c on c.municipality_code = m.municipality_code
where m.pref_code = $pref
  and (len($bureaus::varchar[]) = 0 or list_contains($bureaus::varchar[], m.bureau))
order by m.bureau_order, m.municipality_code
