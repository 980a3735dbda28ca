-- Public mart: one row per district, its grant history against the profile's district cap.
-- Withdrawn grants (取下げ) do not count. A grant whose amount is not yet known is counted in
-- unknown_amount_records rather than as zero.
with grants as (
    select * from grants
    where not is_withdrawn
),

profiles as (
    select * from staging.ref_profiles
),

per_district as (
    select
        grants.pref_code,
        grants.municipality_code,
        grants.district_key,
        any_value(grants.municipality_name) as municipality_name,
        any_value(grants.bureau) as bureau,
        arg_min(grants.district_name, grants.fiscal_year) as district_name,
        min(grants.fiscal_year) as first_fy,
        max(grants.fiscal_year) as last_fy,
        count(distinct grants.fiscal_year) as years,
        cast(sum(grants.grant_yen) filter (where programs.counts_toward_cap) as bigint) as capped_grant_yen,
        cast(sum(grants.grant_yen) as bigint) as total_grant_yen,
        count(*) filter (where grants.grant_yen is null) as unknown_amount_records,
        bool_and(grants.is_sample) as is_sample
    from grants
    left join staging.ref_programs as programs
        on programs.pref_code = grants.pref_code and programs.program = grants.program
    group by grants.pref_code, grants.municipality_code, grants.district_key
),

final as (
    select
        per_district.pref_code,
        per_district.municipality_code,
        per_district.municipality_name,
        per_district.bureau,
        per_district.district_name,
        per_district.district_key,
        per_district.first_fy,
        per_district.last_fy,
        per_district.years,
        coalesce(per_district.capped_grant_yen, 0) as cumulative_grant_yen,
        per_district.total_grant_yen,
        profiles.district_cap_yen as cap_yen,
        round(100.0 * coalesce(per_district.capped_grant_yen, 0) / profiles.district_cap_yen, 1)
            as cap_used_pct,
        per_district.unknown_amount_records,
        per_district.is_sample
    from per_district
    left join profiles on profiles.pref_code = per_district.pref_code
)

select * from final
order by pref_code, municipality_code, district_key
