-- Public mart: every input file (one row per table read) of this build with its fingerprint
-- and row counts, and every folder entry or sheet that was skipped, with the reason.
with files as (
    select * from staging.load_files
),

info as (
    select * from staging.build_meta
),

final as (
    select
        files.file,
        files.sha256,
        files.kind,
        files.rows,
        files.dropped_rows,
        files.encoding,
        files.sheet,
        files.header_row,
        files.is_sample,
        files.status,
        files.note,
        info.build_id,
        info.built_at
    from files
    cross join info
)

select * from final
order by file
