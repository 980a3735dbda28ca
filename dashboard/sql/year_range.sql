-- The fiscal years with data for each prefecture: every year any loaded dataset covers (actual
-- KPI values, survey lists, grants and cooperatives), so the year filter can select each of them.
with years as (
    select pref_code, fiscal_year from kpi_actual
    union all
    select pref_code, fiscal_year from hubs
    union all
    select pref_code, fiscal_year from grants
    union all
    select pref_code, fiscal_year from cooperatives
)

select pref_code, min(fiscal_year) as first_fy, max(fiscal_year) as last_fy
from years
where pref_code <> '00'
group by pref_code
order by pref_code
