select pref_code, bureau, bureau_order from staging.ref_bureaus
order by pref_code, bureau_order
