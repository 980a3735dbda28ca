-- Every municipality of a prefecture whose profile has bureaus belongs to one of them (a profile
-- without bureaus has none, and its municipalities have no bureau).
select m.municipality_code, m.municipality_name, m.bureau
from municipalities as m
where (m.pref_code in (select pref_code from profile_bureaus) and m.bureau_order is null)
   or (m.pref_code in (select pref_code from profiles)
       and m.pref_code not in (select pref_code from profile_bureaus) and m.bureau is not null)
