-- Every municipality of the selected bureaus with its hubs in one survey year (hub_counts has a
-- row for every municipality, 0 hubs where the list has none). hubs_with_rmo is NULL when the
-- municipality has hubs and none has a known RMO status.
select
    municipality_code,
    municipality_name,
    bureau,
    bureau_order,
    kaso,
    is_kaso,
    hubs,
    case when hubs > 0 and (rmo_unknown = hubs or not list_records_rmo) then null
         else hubs_with_rmo end as hubs_with_rmo,
    rmo_unknown
from hub_counts
where pref_code = $pref and fiscal_year = $year
  and (len($bureaus::varchar[]) = 0 or list_contains($bureaus::varchar[], bureau))
order by bureau_order, municipality_code
