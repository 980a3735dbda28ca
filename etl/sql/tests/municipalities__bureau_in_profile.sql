-- Every municipality of a profiled prefecture belongs to one of the profile's bureaus.
select m.municipality_code, m.municipality_name, m.bureau
from municipalities as m
where m.pref_code in (select pref_code from profiles)
  and m.bureau_order is null
