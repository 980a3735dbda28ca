select severity, check_name, file, "row", "column", value, message
from quality_report
order by severity desc, check_name, file, "row"
