select pref_code, program, program_name, stage, program_order, counts_toward_cap
from staging.ref_programs
order by pref_code, program_order
