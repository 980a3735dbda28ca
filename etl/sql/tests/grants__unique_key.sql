select pref_code, fiscal_year, municipality_code, district_key, program, count(*) as n
from grants
group by all
having count(*) > 1
