-- One row per district, program and fiscal year: renamed and cast only.
with source as (
    select * from staging.raw_grants
),

renamed as (
    select
        pref_code,
        fiscal_year,
        municipality_code,
        district_name,
        district_key,
        program_id as program,
        project_name,
        status,
        total_cost_yen,
        eligible_cost_yen,
        grant_yen,
        decided_yen,
        actual_yen,
        amount_basis,
        implementing_body,
        is_indirect,
        has_equivalent_plan,
        note,
        source_file,
        source_row
    from source
)

select * from renamed
