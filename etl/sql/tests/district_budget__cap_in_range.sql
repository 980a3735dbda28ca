-- A cap, when the profile has one, is positive; years and the status are well formed.
select pref_code, municipality_code, district_name, cap_yen, cap_used_pct, status
from district_budget
where cap_yen <= 0 or cap_used_pct < 0 or years < 1 or first_fy > last_fy
   or status not in ('上限超過', '来年度に上限', '余裕')
   or (cap_yen is not null and cap_left_yen <> cap_yen - cumulative_grant_yen)
