-- Public mart: one row per grant record (district, program, fiscal year), amounts in yen.
with grants as (
    select * from stg_grants__records
),

municipalities as (
    select * from municipalities
),

programs as (
    select * from staging.ref_programs
),

files as (
    -- one row per file read (a workbook may hold several tables; skipped entries have none)
    select distinct file, is_sample from staging.load_files where status = 'loaded'
),

final as (
    select
        grants.pref_code,
        grants.fiscal_year,
        grants.municipality_code,
        municipalities.municipality_name,
        municipalities.bureau,
        grants.district_name,
        grants.district_key,
        grants.program,
        programs.program_name,
        programs.stage as program_stage,
        grants.project_name,
        grants.status,
        grants.status = '取下げ' as is_withdrawn,
        grants.total_cost_yen,
        grants.eligible_cost_yen,
        grants.grant_yen,
        grants.decided_yen,
        grants.actual_yen,
        grants.amount_basis,
        grants.implementing_body,
        grants.is_indirect,
        grants.has_equivalent_plan,
        grants.note,
        files.is_sample,
        grants.source_file,
        grants.source_row
    from grants
    left join municipalities on municipalities.municipality_code = grants.municipality_code
    left join programs on programs.pref_code = grants.pref_code and programs.program = grants.program
    left join files on files.file = grants.source_file
)

select * from final
order by pref_code, fiscal_year, municipality_code, district_key, program
