-- The fiscal years with data for each prefecture: actual KPI values, survey lists and grants.
with years as (
    select pref_code, fiscal_year from kpi_series where kind = 'actual' and value is not null
    union all
    select pref_code, fiscal_year from hubs
    union all
    select pref_code, fiscal_year from grants
)

select pref_code, min(fiscal_year) as first_fy, max(fiscal_year) as last_fy
from years
where pref_code <> '00'
group by pref_code
order by pref_code
