select source_file, source_row, municipality_code
from cooperatives
where municipality_name is null
