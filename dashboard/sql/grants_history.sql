-- Every grant record of the prefecture's selected bureaus (withdrawn ones too, marked).
select
    fiscal_year, municipality_code, municipality_name, bureau, district_name, district_key,
    program, program_name, program_stage, project_name, status, is_withdrawn, grant_yen,
    eligible_cost_yen, has_equivalent_plan, is_indirect, is_sample
from grants
where pref_code = $pref
  and (len($bureaus::varchar[]) = 0 or list_contains($bureaus::varchar[], bureau))
order by municipality_code, district_key, fiscal_year, program
