select source_file, source_row, status
from grants
where status not in ('採択', '交付決定', '完了', '取下げ')
