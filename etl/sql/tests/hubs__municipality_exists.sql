select source_file, source_row, municipality_code
from hubs
where municipality_name is null
