-- Where a year has both a published figure and a survey list, the counts should agree.
with published as (
    select * from kpi_series where basis = 'published' and kind = 'actual'
),

lists as (
    select * from kpi_series where basis = 'survey_list'
)

select
    'warning' as severity,
    lists.source as file,
    null as "row",
    lists.indicator as "column",
    cast(lists.value as varchar) as value,
    lists.pref_code || ' ' || lists.fiscal_year || '年度 ' || lists.indicator
        || ': 一覧から数えると' || coalesce(cast(lists.value as varchar), 'データなし')
        || case when coalesce(lists.unknown_rows, 0) > 0 and lists.value is not null
                then '（ほか不明' || cast(lists.unknown_rows as varchar) || '）' else '' end
        || '、公表値は' || cast(published.value as varchar) || '（' || published.source || '）' as message
from lists
join published
    on published.pref_code = lists.pref_code
    and published.indicator = lists.indicator
    and published.fiscal_year = lists.fiscal_year
where lists.value is distinct from published.value
