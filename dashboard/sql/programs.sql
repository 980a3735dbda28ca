select program, program_name, stage, program_order, counts_toward_cap
from profile_programs
where pref_code = $pref
order by program_order
