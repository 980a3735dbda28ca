-- The prefecture's and the nation's KPI series.
select pref_code, indicator, fiscal_year, value, kind, basis, source, as_of, is_sample
from kpi_series
where pref_code in ($pref, '00')
  and indicator in ('hubs_total', 'rmo_in_hubs')
order by pref_code, indicator, fiscal_year, kind, basis
