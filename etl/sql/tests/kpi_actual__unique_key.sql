-- kpi_actual has one value per prefecture, indicator and year, and shares are percentages.
select pref_code, indicator, fiscal_year, count(*) as n, max(value) as value
from kpi_actual
group by pref_code, indicator, fiscal_year
having count(*) > 1 or (indicator = 'rmo_share_pct' and (max(value) < 0 or max(value) > 100))
