select pref_code, fiscal_year, hub_id, count(*) as n, string_agg(source_file || ':' || source_row, ', ') as rows
from hubs
group by pref_code, fiscal_year, hub_id
having count(*) > 1
