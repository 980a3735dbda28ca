-- The prefecture's and the nation's KPI values as kpi_actual holds them: one value per indicator
-- and year, with its basis, source, 時点, unknown rows and the change against the year before.
select *
from kpi_actual
where pref_code in ($pref, '00')
order by pref_code, indicator, fiscal_year
