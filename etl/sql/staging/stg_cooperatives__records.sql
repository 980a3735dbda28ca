-- 特定地域づくり事業協同組合, one row per cooperative and fiscal year.
with source as (
    select * from staging.raw_cooperatives
)

select
    pref_code,
    fiscal_year,
    cooperative_name,
    municipality_code,
    certified_on,
    members,
    dispatched_workers,
    source_file,
    source_row
from source
