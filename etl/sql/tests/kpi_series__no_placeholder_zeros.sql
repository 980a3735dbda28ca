-- A published count of 0 hubs or organisations stands in for "unknown": it must be blank instead.
select pref_code, indicator, fiscal_year, kind, basis, value
from kpi_series
where value = 0 and basis = 'published'
