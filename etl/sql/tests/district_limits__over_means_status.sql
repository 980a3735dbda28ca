-- A district past any limit is 上限超過 in district_budget, whatever else applies.
select l.pref_code, l.municipality_code, l.district_key, l.rule_id, b.status
from district_limits as l
join district_budget as b using (pref_code, municipality_code, district_key)
where l.is_over and b.status <> '上限超過'
