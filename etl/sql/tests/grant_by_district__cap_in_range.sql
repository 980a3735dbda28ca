select pref_code, municipality_code, district_name, cap_yen, cap_used_pct
from grant_by_district
where cap_yen is null or cap_yen <= 0 or cap_used_pct < 0 or years < 1 or first_fy > last_fy
