select profile_key, pref_code, pref_name, bureau_label, kpi_indicator, base_year, base_value,
       target_year, target_value, kpi_source, district_cap_yen, district_cap_source
from profiles
order by pref_code
