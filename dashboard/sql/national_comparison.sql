-- 全国比較: one row per loaded prefecture (every profile of the build). Its latest actual hub
-- count from kpi_actual (published first, else counted from the survey list) with the year, 時点,
-- basis, source and the change since the previous actual year; its latest RMO share (NULL when
-- unknown, never 0); its municipalities and the hubs per municipality. A profile without any
-- actual figure keeps its row, with NULLs.
with latest_hubs as (
    select pref_code, fiscal_year, value, basis, source, as_of, previous_fy, change, change_partial
    from kpi_actual
    where indicator = 'hubs_total' and pref_code <> '00'
    qualify row_number() over (partition by pref_code order by fiscal_year desc) = 1
),

latest_shares as (
    select pref_code, fiscal_year, value, unknown_rows
    from kpi_actual
    where indicator = 'rmo_share_pct' and pref_code <> '00'
    qualify row_number() over (partition by pref_code order by fiscal_year desc) = 1
),

municipality_counts as (
    select pref_code, count(*) as municipalities
    from municipalities
    group by pref_code
),

final as (
    select
        p.pref_code,
        p.pref_name,
        p.profile_key,
        h.value as hubs,
        h.fiscal_year as hubs_fy,
        h.as_of,
        h.basis,
        h.source,
        h.previous_fy,
        h.change,
        coalesce(h.change_partial, false) as change_partial,
        m.municipalities,
        h.value / nullif(m.municipalities, 0) as hubs_per_municipality,
        s.value as rmo_share_pct,
        s.fiscal_year as rmo_share_fy,
        s.unknown_rows as rmo_unknown
    from profiles as p
    left join latest_hubs as h on h.pref_code = p.pref_code
    left join latest_shares as s on s.pref_code = p.pref_code
    left join municipality_counts as m on m.pref_code = p.pref_code
)

select * from final
order by pref_code
