-- Grant spend in the selected years and bureaus, and whether the prefecture has grant data at
-- all (without any, the spend is unknown rather than zero).
select
    (select count(*) from grants where pref_code = $pref) as records_in_prefecture,
    count(*) as records,
    sum(grant_yen) as grant_yen,
    count(*) filter (where grant_yen is null) as unknown_amounts,
    count(distinct municipality_code || '|' || district_key) as districts,
    coalesce(bool_and(is_sample), false) as is_sample
from grants
where pref_code = $pref
  and not is_withdrawn
  and fiscal_year between $from_fy and $to_fy
  and (len($bureaus::varchar[]) = 0 or list_contains($bureaus::varchar[], bureau))
