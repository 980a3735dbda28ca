-- The profile's KPI target should be a published target.
select
    'warning' as severity,
    'profiles' as file,
    null as "row",
    'target_value' as "column",
    cast(p.target_value as varchar) as value,
    p.pref_name || 'の目標（' || p.target_year || '年度 ' || p.target_value
        || '）に一致する公表値がありません' as message
from profiles as p
where not exists (
    select 1 from kpi_series as k
    where k.pref_code = p.pref_code and k.indicator = p.kpi_indicator
      and k.fiscal_year = p.target_year and k.kind = 'target' and k.value = p.target_value
)
