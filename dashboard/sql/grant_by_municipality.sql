-- Grant spend per municipality in the selected years, summed from the grant_spend mart. NULL
-- when the prefecture has no grant data at all, or when every amount of the municipality is
-- still unknown; 0 when the prefecture has grant data, but none for this municipality.
with has_data as (
    select count(*) > 0 as yes from grants where pref_code = $pref
),

spend as (
    select
        municipality_code,
        sum(grant_yen) as grant_yen,
        sum(records) as records,
        sum(unknown_amounts) as unknown_amounts
    from grant_spend
    where pref_code = $pref and fiscal_year between $from_fy and $to_fy
    group by municipality_code
),

districts as (
    select municipality_code, count(distinct district_key) as districts
    from grants
    where pref_code = $pref and not is_withdrawn and fiscal_year between $from_fy and $to_fy
    group by municipality_code
)

select
    m.municipality_code,
    m.municipality_name,
    m.bureau,
    m.bureau_order,
    m.kaso,
    m.rep_lat,
    m.rep_lon,
    case
        when not (select yes from has_data) then null
        when s.records > 0 and s.unknown_amounts = s.records then null  -- only amounts not yet known
        else coalesce(s.grant_yen, 0)
    end as grant_yen,
    coalesce(s.records, 0) as records,
    coalesce(d.districts, 0) as districts,
    coalesce(s.unknown_amounts, 0) as unknown_amounts
from municipalities as m
left join spend as s on s.municipality_code = m.municipality_code
left join districts as d on d.municipality_code = m.municipality_code
where m.pref_code = $pref
order by m.bureau_order, m.municipality_code
