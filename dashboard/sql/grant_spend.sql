-- Grant spend in the selected years and bureaus, summed from the grant_spend mart, and whether
-- the prefecture has grant data at all (without any, the spend is unknown rather than zero).
select
    (select count(*) from grants where pref_code = $pref) as records_in_prefecture,
    coalesce(sum(records), 0) as records,
    sum(grant_yen) as grant_yen,
    coalesce(sum(unknown_amounts), 0) as unknown_amounts,
    coalesce(bool_and(is_sample), false) as is_sample,
    (select count(*) from (
        select municipality_code from grant_spend
        where pref_code = $pref and fiscal_year between $from_fy and $to_fy
          and (len($bureaus::varchar[]) = 0 or list_contains($bureaus::varchar[], bureau))
        group by municipality_code having sum(grant_yen) > 0)) as municipalities_with_grants
from grant_spend
where pref_code = $pref
  and fiscal_year between $from_fy and $to_fy
  and (len($bureaus::varchar[]) = 0 or list_contains($bureaus::varchar[], bureau))
