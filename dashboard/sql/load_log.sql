select file, kind, rows, dropped_rows, encoding, sha256, is_sample, build_id, built_at
from load_log
order by file
