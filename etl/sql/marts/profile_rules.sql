select pref_code, rule_order, rule_id, kind, programs, severity, title, source, params
from staging.ref_rules
order by pref_code, rule_order
