-- Published figures behind the KPIs, with their sources and as-of dates.
select pref_code, indicator, fiscal_year, value, kind, source, as_of
from kpi_series
where basis = 'published' and pref_code in ($pref, '00')
order by pref_code desc, indicator, fiscal_year
