-- Public mart: one row per hub and survey year, with its municipality and bureau.
with hubs as (
    select * from stg_survey__hubs
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
        hubs.pref_code,
        hubs.fiscal_year,
        hubs.as_of,
        hubs.hub_id,
        hubs.municipality_code,
        municipalities.municipality_name,
        municipalities.bureau,
        municipalities.kaso,
        hubs.hub_name,
        hubs.district_name,
        hubs.district_key,
        hubs.address,
        hubs.population,
        hubs.settlements,
        hubs.coverage_area,
        hubs.area_type,
        hubs.in_municipal_strategy,
        hubs.in_regional_plan,
        hubs.main_facility,
        hubs.transport,
        hubs.has_rmo,
        hubs.rmo_name,
        hubs.rmo_legal_form,
        hubs.services,
        files.is_sample,
        hubs.source_file,
        hubs.source_row
    from hubs
    left join municipalities on municipalities.municipality_code = hubs.municipality_code
    left join files on files.file = hubs.source_file
)

select * from final
order by pref_code, fiscal_year, municipality_code, hub_id
