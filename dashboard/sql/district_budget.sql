-- The district_budget rows of the districts with a grant in the selected years and bureaus,
-- with the limits of each (district_limits) as a list of structs.
with in_range as (
    select distinct municipality_code, district_key
    from grants
    where pref_code = $pref and not is_withdrawn and fiscal_year between $from_fy and $to_fy
      and (len($bureaus::varchar[]) = 0 or list_contains($bureaus::varchar[], bureau))
),

limits as (
    select
        municipality_code,
        district_key,
        list({'rule_id': rule_id, 'kind': kind, 'programs': programs, 'used': used,
              'limit_value': limit_value, 'window_end_fy': window_end_fy, 'is_over': is_over,
              'stops_next_year': stops_next_year, 'this_year_yen': this_year_yen}
             order by rule_order) as limits
    from district_limits
    where pref_code = $pref
    group by municipality_code, district_key
)

select b.*, l.limits
from district_budget as b
join in_range using (municipality_code, district_key)
left join limits as l using (municipality_code, district_key)
where b.pref_code = $pref
order by b.municipality_code, b.district_key
