-- Public mart: one row per district with a grant, its budget against the profile's limits.
-- The cap is the profile's cumulative_cap rule (the first, when a profile has several; the
-- others are in district_limits); a profile without one has cap_yen NULL. Withdrawn grants (取下げ)
-- do not count. A grant whose amount is not yet known is counted in unknown_amount_records, never
-- as zero.
--
-- status  上限超過: a limit is already gone past (any year); 来年度に上限: a limit leaves no room
--         next year (see district_limits.stops_next_year); 余裕: neither.
-- finish_by_fy  the earliest window end of the district's window_years rules (NULL: no window)
with grants as (
    select * from grants
    where not is_withdrawn
),

limits as (
    select * from district_limits
),

caps as (
    select * from limits
    where kind = 'cumulative_cap'
    qualify row_number() over (
        partition by pref_code, municipality_code, district_key order by rule_order) = 1
),

per_limit as (
    select
        pref_code, municipality_code, district_key,
        any_value(evaluated_fy) as evaluated_fy,
        bool_or(is_over) as is_over,
        bool_or(stops_next_year) as stops_next_year,
        min(window_end_fy) as finish_by_fy
    from limits
    group by pref_code, municipality_code, district_key
),

per_district as (
    select
        pref_code,
        municipality_code,
        district_key,
        any_value(municipality_name) as municipality_name,
        any_value(bureau) as bureau,
        arg_min(district_name, fiscal_year) as district_name,
        min(fiscal_year) as first_fy,
        max(fiscal_year) as last_fy,
        count(distinct fiscal_year) as years,
        cast(sum(grant_yen) as bigint) as total_grant_yen,
        count(*) filter (where grant_yen is null) as unknown_amount_records,
        bool_and(is_sample) as is_sample
    from grants
    group by pref_code, municipality_code, district_key
),

final as (
    select
        d.pref_code,
        d.municipality_code,
        d.municipality_name,
        d.bureau,
        d.district_name,
        d.district_key,
        d.first_fy,
        d.last_fy,
        d.years,
        caps.rule_id as cap_rule_id,
        caps.limit_value as cap_yen,
        caps.used as cumulative_grant_yen,
        caps.remaining as cap_left_yen,
        round(100.0 * caps.used / caps.limit_value, 1) as cap_used_pct,
        d.total_grant_yen,
        d.unknown_amount_records,
        l.finish_by_fy,
        l.evaluated_fy,
        case
            when coalesce(l.is_over, false) then '上限超過'
            when coalesce(l.stops_next_year, false) then '来年度に上限'
            else '余裕'
        end as status,
        coalesce(l.is_over, false) as is_over,
        coalesce(l.stops_next_year, false) as stops_next_year,
        d.is_sample
    from per_district as d
    left join caps using (pref_code, municipality_code, district_key)
    left join per_limit as l using (pref_code, municipality_code, district_key)
)

select * from final
order by pref_code, municipality_code, district_key
