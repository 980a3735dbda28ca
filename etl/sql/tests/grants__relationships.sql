-- Every grant names a municipality of the reference table and a program of its profile.
select source_file, source_row, municipality_code, program
from grants
where municipality_name is null or program_name is null
