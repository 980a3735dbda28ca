-- Public mart: 特定地域づくり事業協同組合, one row per cooperative and fiscal year.
with cooperatives as (
    select * from stg_cooperatives__records
),

municipalities as (
    select * from municipalities
),

files as (
    -- one row per file read (a workbook may hold several tables; skipped entries have none)
    select distinct file, is_sample from staging.load_files where status = 'loaded'
),

final as (
    select
        cooperatives.pref_code,
        cooperatives.fiscal_year,
        cooperatives.cooperative_name,
        cooperatives.municipality_code,
        municipalities.municipality_name,
        municipalities.bureau,
        cooperatives.certified_on,
        cooperatives.members,
        cooperatives.dispatched_workers,
        files.is_sample,
        cooperatives.source_file,
        cooperatives.source_row
    from cooperatives
    left join municipalities on municipalities.municipality_code = cooperatives.municipality_code
    left join files on files.file = cooperatives.source_file
)

select * from final
order by pref_code, fiscal_year, cooperative_name
