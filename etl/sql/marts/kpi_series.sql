-- Public mart: the KPI series per prefecture ('00' = national). Published figures stay as their
-- own rows (basis 'published'); each survey year with a hub list adds rows counted from the list
-- (basis 'survey_list').
--
-- Unknown is not zero, and a few unknown cells never wipe out a whole figure: a count from a list
-- whose status column is blank on some rows (e.g. hubs whose RMO status is unknown) keeps the
-- count of the known rows as `value` and the number of unknown rows as `unknown_rows` (shown as
-- 「45（ほか不明4）」). `value` is NULL only when no row is known (e.g. a list without an RMO
-- column). `unknown_rows` is 0 for a complete count and NULL for published figures.
--
-- as_of: a published figure that gives no date of its own stands for the survey of its year:
-- it takes the date of that year's survey list when one is loaded (one 時点 per figure on every
-- surface, never 「時点不明」 beside a dated list of the same count).
with published as (
    select * from stg_published__counts
),

hubs as (
    select * from hubs
),

survey_years as (
    select
        pref_code,
        fiscal_year,
        max(as_of) as as_of,
        string_agg(distinct source_file, '、' order by source_file) as files,
        bool_and(is_sample) as is_sample,
        count(*) as hub_count,
        count(*) filter (where has_rmo) as rmo_count,
        count(*) filter (where has_rmo is null) as rmo_unknown
    from hubs
    group by pref_code, fiscal_year
),

from_published as (
    select
        pref_code,
        indicator,
        fiscal_year,
        published.value,
        cast(null as integer) as unknown_rows,
        kind,
        'published' as basis,
        source,
        coalesce(published.as_of, survey_years.as_of) as as_of,
        false as is_sample
    from published
    left join survey_years using (pref_code, fiscal_year)
),

from_lists as (
    select
        pref_code,
        'hubs_total' as indicator,
        fiscal_year,
        hub_count as value,
        0 as unknown_rows,  -- every row of a list is a hub
        'actual' as kind,
        'survey_list' as basis,
        '小さな拠点一覧（' || files || '）' as source,
        as_of,
        is_sample
    from survey_years
    union all
    select
        pref_code,
        'rmo_in_hubs' as indicator,
        fiscal_year,
        case when rmo_unknown = hub_count then null else rmo_count end as value,
        cast(rmo_unknown as integer) as unknown_rows,
        'actual' as kind,
        'survey_list' as basis,
        '小さな拠点一覧（' || files || '）' as source,
        as_of,
        is_sample
    from survey_years
),

final as (
    select * from from_published
    union all
    select * from from_lists
)

select * from final
order by pref_code, indicator, fiscal_year, kind, basis
