-- The prefecture's and the nation's KPI series. Every column (`*`): a build made before the
-- unknown_rows column existed can still be published (rollback), and queries.py fills it in.
-- unknown_rows: list rows a survey-list count leaves out because their status is unknown (0 when
-- the count is complete, NULL for published figures).
select *
from kpi_series
where pref_code in ($pref, '00')
  and indicator in ('hubs_total', 'rmo_in_hubs')
order by pref_code, indicator, fiscal_year, kind, basis
