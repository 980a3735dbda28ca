select rule_order, rule_id, kind, programs, severity, title, source, params
from profile_rules
where pref_code = $pref
order by rule_order
