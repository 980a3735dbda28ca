-- Public mart: grant spend per prefecture, fiscal year, bureau, municipality and program, summed
-- once. Withdrawn grants (取下げ) count for nothing. A grant whose amount is not yet known is
-- counted in unknown_amounts, never as zero: grant_yen sums the known amounts and is NULL only
-- when no amount of the group is known.
with grants as (
    select * from grants
    where not is_withdrawn
),

final as (
    select
        pref_code,
        fiscal_year,
        bureau,
        municipality_code,
        any_value(municipality_name) as municipality_name,
        program,
        any_value(program_name) as program_name,
        cast(sum(grant_yen) as bigint) as grant_yen,
        count(*) as records,
        count(*) filter (where grant_yen is null) as unknown_amounts,
        bool_and(is_sample) as is_sample
    from grants
    group by pref_code, fiscal_year, bureau, municipality_code, program
)

select * from final
order by pref_code, fiscal_year, bureau, municipality_code, program
