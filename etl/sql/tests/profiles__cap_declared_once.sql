-- The district cap is declared once, as a cumulative_cap rule: the profile's cap column is that
-- rule's amount, never a second number that could drift from it.
select p.pref_code, p.district_cap_yen, cast(r.params ->> 'cap_yen' as bigint) as rule_cap_yen
from profiles as p
left join (
    select * from profile_rules where kind = 'cumulative_cap'
    qualify row_number() over (partition by pref_code order by rule_order) = 1
) as r on r.pref_code = p.pref_code
where p.district_cap_yen is distinct from cast(r.params ->> 'cap_yen' as bigint)
