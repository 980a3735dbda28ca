select pref_code, indicator, fiscal_year, kind, basis
from kpi_series
where kind not in ('actual', 'target', 'derived')
   or basis not in ('survey_list', 'published')
   or indicator is null or indicator = ''
   or not regexp_full_match(pref_code, '[0-9]{2}')
