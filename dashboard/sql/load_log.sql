-- Every column: builds made before load_log had sheet/status/note still read (the view fills in).
select *
from load_log
order by file, sheet
