-- The first survey year in which a hub of each district appears (matched on the district key).
select
    municipality_code,
    district_key,
    min(fiscal_year) as first_listed_fy,
    arg_min(hub_name, fiscal_year) as hub_name
from hubs
where pref_code = $pref and district_key <> ''
group by municipality_code, district_key
