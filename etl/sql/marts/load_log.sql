-- Public mart: every input file of this build with its fingerprint and row counts.
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
        info.build_id,
        info.built_at
    from files
    cross join info
)

select * from final
order by file
