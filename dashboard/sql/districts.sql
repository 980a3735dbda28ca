-- Districts with a grant in the selected years: their district_budget row (cumulative grant
-- against the cap, all years), the grant within the selected years and the map position.
with in_range as (
    select
        municipality_code,
        district_key,
        sum(grant_yen) as grant_in_range_yen,
        string_agg(distinct program_name, '・') as programs
    from grants
    where pref_code = $pref and not is_withdrawn and fiscal_year between $from_fy and $to_fy
    group by municipality_code, district_key
)

select
    d.*,
    r.grant_in_range_yen,
    r.programs,
    m.rep_lat,
    m.rep_lon
from district_budget as d
join in_range as r on r.municipality_code = d.municipality_code and r.district_key = d.district_key
join municipalities as m on m.municipality_code = d.municipality_code
where d.pref_code = $pref
  and (len($bureaus::varchar[]) = 0 or list_contains($bureaus::varchar[], d.bureau))
order by d.municipality_code, d.district_key
