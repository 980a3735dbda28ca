select pref_code, rule_id, severity, fiscal_year, municipality_code, message
from rule_findings
where severity not in ('error', 'advice') or message is null or bureau is null
   or rule_id not in (select rule_id from profile_rules as r where r.pref_code = rule_findings.pref_code)
