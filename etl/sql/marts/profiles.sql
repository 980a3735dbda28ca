-- Public mart: prefecture profiles (names, KPI target, district cap) as the build used them.
select * from staging.ref_profiles
order by pref_code
