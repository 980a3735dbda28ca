-- Public mart: every district with a grant, against every limit of its profile's rules, one row
-- per district and limit: cumulative caps (cumulative_cap), years per program (max_years) and the
-- window from the first grant (window_years). The limits come from profile_rules only: a cap is
-- declared once, as its rule.
--
-- evaluated_fy is the latest fiscal year with a grant in the prefecture (the year whose
-- decisions the table prepares for): "next year" is the year after it.
-- used / limit_value / remaining   yen for a cap, fiscal years for the others
-- window_end_fy                    the last fiscal year the window allows (window_years only)
-- is_over                          the district has already gone past the limit (any year)
-- stops_next_year                  with a grant in evaluated_fy, the limit leaves no room next
--                                  year: the cap is reached or is less than this year's grant,
--                                  the years are used up, or the window ends this year
-- Withdrawn grants (取下げ) count for nothing; amounts not yet known are counted apart.
with grants as (
    select * from grants where not is_withdrawn
),

evaluated as (
    select pref_code, max(fiscal_year) as evaluated_fy
    from grants
    group by pref_code
),

limit_rules as (
    select
        pref_code, rule_order, rule_id, kind, programs, title,
        cast(params ->> 'cap_yen' as bigint) as cap_yen,
        cast(params ->> 'years' as integer) as years
    from profile_rules
    where kind in ('cumulative_cap', 'max_years', 'window_years')
),

districts as (
    select
        g.pref_code, g.municipality_code, g.district_key, e.evaluated_fy,
        bool_or(g.fiscal_year = e.evaluated_fy) as active_this_year
    from grants as g
    join evaluated as e on e.pref_code = g.pref_code
    group by g.pref_code, g.municipality_code, g.district_key, e.evaluated_fy
),

per_rule as (
    select
        d.pref_code, d.municipality_code, d.district_key, d.evaluated_fy, d.active_this_year,
        r.rule_order, r.rule_id, r.kind, r.programs, r.title, r.cap_yen, r.years,
        cast(coalesce(sum(g.grant_yen), 0) as bigint) as used_yen,
        count(*) filter (where g.grant_yen is null and g.program is not null) as unknown_amounts,
        count(distinct g.fiscal_year) as used_years,
        min(g.fiscal_year) as first_fy,
        max(g.fiscal_year) as last_fy,
        cast(coalesce(sum(g.grant_yen) filter (where g.fiscal_year = d.evaluated_fy), 0) as bigint) as this_year_yen,
        count(g.fiscal_year) filter (where g.fiscal_year = d.evaluated_fy) > 0 as in_rule_this_year
    from districts as d
    join limit_rules as r on r.pref_code = d.pref_code
    left join grants as g
        on g.pref_code = d.pref_code and g.municipality_code = d.municipality_code
        and g.district_key = d.district_key and list_contains(r.programs, g.program)
    group by all
),

measured as (
    select
        *,
        cast(case kind when 'cumulative_cap' then used_yen else used_years end as bigint) as used,
        case kind when 'cumulative_cap' then cap_yen else years end as limit_value,
        case when kind = 'window_years' and first_fy is not null then first_fy + years - 1 end
            as window_end_fy
    from per_rule
),

final as (
    select
        pref_code, municipality_code, district_key, evaluated_fy, rule_order, rule_id, kind,
        programs, title, used, limit_value,
        case when kind = 'window_years' then null else limit_value - used end as remaining,
        window_end_fy, unknown_amounts,
        case kind
            when 'cumulative_cap' then used > limit_value
            when 'max_years' then used > limit_value
            else last_fy > window_end_fy
        end as is_over,
        case kind
            when 'cumulative_cap' then active_this_year
                and (limit_value - used <= 0 or (this_year_yen > 0 and limit_value - used < this_year_yen))
            when 'max_years' then in_rule_this_year and used >= limit_value
            else active_this_year and window_end_fy <= evaluated_fy
        end as stops_next_year,
        this_year_yen
    from measured
)

select * from final
order by pref_code, municipality_code, district_key, rule_order
