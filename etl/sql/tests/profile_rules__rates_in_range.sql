-- A rule's rate is a fraction in (0, 1]; a cap is positive yen; a year limit is positive.
select pref_code, rule_id, params
from profile_rules
where (kind = 'rate_max' and not (
          cast(params ->> 'rate_num' as integer) > 0
          and cast(params ->> 'rate_num' as integer) <= cast(params ->> 'rate_den' as integer)))
   or (kind in ('amount_max_per_year', 'cumulative_cap') and cast(params ->> 'cap_yen' as bigint) <= 0)
   or (kind in ('max_years', 'window_years') and cast(params ->> 'years' as integer) <= 0)
