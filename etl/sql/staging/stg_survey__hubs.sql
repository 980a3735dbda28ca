-- One row per hub and survey year, as the survey lists give it: renamed and cast only.
with source as (
    select * from staging.raw_survey
),

renamed as (
    select
        pref_code,
        fiscal_year,
        as_of,
        municipality_code,
        hub_name,
        district_name,
        district_key,
        municipality_code || '-' || substr(md5(hub_key), 1, 8) as hub_id,
        address,
        population,
        settlements,
        coverage_area,
        area_type,
        in_municipal_strategy,
        in_regional_plan,
        main_facility,
        transport,
        has_rmo,
        rmo_name,
        rmo_legal_form,
        case when services is null then null else string_split(services, '、') end as services,
        source_file,
        source_row
    from source
)

select * from renamed
