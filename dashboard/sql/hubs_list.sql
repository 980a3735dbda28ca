select
    hub_id, municipality_code, municipality_name, bureau, kaso, hub_name, district_name,
    population, settlements, coverage_area, main_facility, transport, has_rmo, rmo_name,
    rmo_legal_form, services, as_of, is_sample
from hubs
where pref_code = $pref and fiscal_year = $year
  and (len($bureaus::varchar[]) = 0 or list_contains($bureaus::varchar[], bureau))
order by municipality_code, hub_id
