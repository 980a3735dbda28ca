-- kpi_series has one row per prefecture, indicator, year, kind and basis.
select pref_code, indicator, fiscal_year, kind, basis, count(*) as n
from kpi_series
group by all
having count(*) > 1
