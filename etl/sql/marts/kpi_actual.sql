-- Public mart: the one actual value of each KPI per prefecture ('00' = national), indicator and
-- fiscal year, as every page, file and pack shows it. The published figure comes first; a year
-- without one takes the count of that year's survey list.
--
-- value         the figure (a count; for rmo_share_pct a percentage)
-- unknown_rows  list rows the figure leaves out because their status is unknown (0: complete)
-- basis         'published' or 'survey_list'; source names the publication or the list files
-- as_of         the date the figure stands for (kpi_series.as_of); NULL when unknown
-- previous_fy, change, change_partial
--               the actual year before, the change against it, and whether either year leaves
--               unknown rows out (a change of partial counts says so)
--
-- rmo_share_pct divides the hubs with an RMO by the hubs whose RMO status is known: the year's
-- hub count when the RMO count is complete, else the list's hubs minus its unknown rows.
with actual as (
    select * from kpi_series
    where kind = 'actual' and value is not null
),

lists as (
    select pref_code, fiscal_year, count(*) as listed_hubs
    from hubs
    group by pref_code, fiscal_year
),

ranked as (
    select
        *,
        row_number() over (
            partition by pref_code, indicator, fiscal_year
            order by basis <> 'published', source
        ) as pick
    from actual
),

chosen as (
    select
        r.pref_code,
        r.indicator,
        r.fiscal_year,
        cast(r.value as double) as value,
        coalesce(r.unknown_rows, 0) as unknown_rows,
        r.basis,
        r.source,
        r.as_of,
        r.is_sample
    from ranked as r
    where r.pick = 1
),

shares as (
    select
        rmo.pref_code,
        'rmo_share_pct' as indicator,
        rmo.fiscal_year,
        100.0 * rmo.value / nullif(
            case when rmo.unknown_rows = 0 then hubs.value
                 else l.listed_hubs - rmo.unknown_rows end, 0) as value,
        rmo.unknown_rows,
        case when rmo.basis = hubs.basis then rmo.basis else 'published' end as basis,
        case when rmo.source = hubs.source then rmo.source
             else rmo.source || '、' || hubs.source end as source,
        coalesce(rmo.as_of, hubs.as_of) as as_of,
        rmo.is_sample or hubs.is_sample as is_sample
    from chosen as rmo
    join chosen as hubs
        on hubs.pref_code = rmo.pref_code and hubs.fiscal_year = rmo.fiscal_year
        and hubs.indicator = 'hubs_total'
    left join lists as l on l.pref_code = rmo.pref_code and l.fiscal_year = rmo.fiscal_year
    where rmo.indicator = 'rmo_in_hubs'
),

values_ as (
    select * from chosen
    union all
    select * from shares where value is not null
),

final as (
    select
        *,
        lag(fiscal_year) over w as previous_fy,
        value - lag(value) over w as change,
        unknown_rows > 0 or lag(unknown_rows) over w > 0 as change_partial
    from values_
    window w as (partition by pref_code, indicator order by fiscal_year)
)

select * from final
order by pref_code, indicator, fiscal_year
