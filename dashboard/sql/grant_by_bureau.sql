-- Grant spend per bureau in the selected years, summed from the grant_spend mart, every bureau of
-- the profile listed. NULL when the prefecture has no grant data at all, or when every amount of
-- the bureau is still unknown; 0 when it has none. with_grants: its municipalities with a grant.
with has_data as (
    select count(*) > 0 as yes from grants where pref_code = $pref
),

per_municipality as (
    select
        m.bureau,
        m.municipality_code,
        m.rep_lat,
        m.rep_lon,
        sum(s.grant_yen) as grant_yen,
        coalesce(sum(s.records), 0) as records,
        coalesce(sum(s.unknown_amounts), 0) as unknown_amounts
    from municipalities as m
    left join grant_spend as s
        on s.municipality_code = m.municipality_code
        and s.fiscal_year between $from_fy and $to_fy
    where m.pref_code = $pref
    group by m.bureau, m.municipality_code, m.rep_lat, m.rep_lon
),

districts as (
    select bureau, count(distinct municipality_code || '|' || district_key) as districts
    from grants
    where pref_code = $pref and not is_withdrawn and fiscal_year between $from_fy and $to_fy
    group by bureau
),

per_bureau as (
    select
        bureau,
        sum(grant_yen) as grant_yen,
        sum(records) as records,
        sum(unknown_amounts) as unknown_amounts,
        count(*) as municipalities,
        count(*) filter (where grant_yen > 0) as with_grants,
        avg(rep_lat) as rep_lat,
        avg(rep_lon) as rep_lon
    from per_municipality
    group by bureau
)

select
    b.bureau,
    b.bureau_order,
    case
        when not (select yes from has_data) then null
        when p.records > 0 and p.unknown_amounts = p.records then null
        else coalesce(p.grant_yen, 0)
    end as grant_yen,
    case when (select yes from has_data) then p.records end as records,
    case when (select yes from has_data) then coalesce(d.districts, 0) end as districts,
    p.municipalities,
    p.with_grants,
    p.rep_lat,
    p.rep_lon
from profile_bureaus as b
join per_bureau as p on p.bureau = b.bureau
left join districts as d on d.bureau = b.bureau
where b.pref_code = $pref
order by b.bureau_order
