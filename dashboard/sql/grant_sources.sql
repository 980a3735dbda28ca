-- The grant files behind one prefecture's records, with their years and amount bases.
select
    source_file,
    count(*) as records,
    min(fiscal_year) as first_fy,
    max(fiscal_year) as last_fy,
    string_agg(distinct amount_basis, '・') as amount_bases,
    bool_and(is_sample) as is_sample
from grants
where pref_code = $pref
group by source_file
order by source_file
