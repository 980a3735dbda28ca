-- unknown_rows: NULL exactly on published rows; on a survey-list row, a count of list rows (never
-- negative) that together with the known count fits in the list, and a NULL value only when every
-- row is unknown (a few unknown cells never make the whole figure unknown).
with lists as (
    select * from kpi_series where basis = 'survey_list'
),

list_size as (
    select pref_code, fiscal_year, value as hubs
    from lists
    where indicator = 'hubs_total'
)

select k.pref_code, k.indicator, k.fiscal_year, k.kind, k.basis, k.value, k.unknown_rows
from kpi_series as k
left join list_size as s
    on k.basis = 'survey_list' and s.pref_code = k.pref_code and s.fiscal_year = k.fiscal_year
where (k.basis = 'published') <> (k.unknown_rows is null)
   or k.unknown_rows < 0
   or (k.basis = 'survey_list' and coalesce(k.value, 0) + k.unknown_rows > s.hubs)
   or (k.basis = 'survey_list' and k.value is null and k.unknown_rows <> s.hubs)
