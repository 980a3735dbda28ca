-- Findings of the subsidy rules in the selected years and bureaus.
select
    f.rule_id, f.severity, f.fiscal_year, f.municipality_code, m.municipality_name, f.bureau,
    f.district_name, f.district_key, f.program, f.message, f.source_ref, f.rule_order
from rule_findings as f
join municipalities as m on m.municipality_code = f.municipality_code
where f.pref_code = $pref
  and f.fiscal_year between $from_fy and $to_fy
  and (len($bureaus::varchar[]) = 0 or list_contains($bureaus::varchar[], f.bureau))
order by f.fiscal_year, f.municipality_code, f.district_key, f.rule_order, f.message
