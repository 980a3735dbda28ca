select fiscal_year, max(as_of) as as_of, string_agg(distinct source_file, '、') as files,
       bool_and(is_sample) as is_sample
from hubs
where pref_code = $pref
group by fiscal_year
order by fiscal_year
