-- The prefecture's and the nation's hub KPI points, every basis (published and survey list), for
-- the trajectory chart. unknown_rows: list rows a count leaves out (0: complete; NULL: published).
select *
from kpi_series
where pref_code in ($pref, '00')
  and indicator in ('hubs_total', 'rmo_in_hubs')
order by pref_code, indicator, fiscal_year, kind, basis
