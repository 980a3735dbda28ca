-- Published figures: the shipped reference plus any published-counts input files. A figure given
-- in an input file replaces the reference row with the same key.
with source as (
    select * from staging.raw_published
),

ranked as (
    select
        *,
        row_number() over (
            partition by pref_code, indicator, fiscal_year, kind
            order by priority, source_file, source_row
        ) as rank_in_key
    from source
)

select
    pref_code,
    indicator,
    fiscal_year,
    value,
    kind,
    as_of,
    source,
    source_file,
    source_row
from ranked
where rank_in_key = 1
