select fiscal_year, cooperative_name, municipality_code, municipality_name, bureau, certified_on,
       members, dispatched_workers, is_sample
from cooperatives
where pref_code = $pref
order by cooperative_name, fiscal_year
