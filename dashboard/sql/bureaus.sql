select pref_code, bureau, bureau_order from profile_bureaus order by pref_code, bureau_order
