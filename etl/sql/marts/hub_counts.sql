-- Public mart: hubs per prefecture, survey year, bureau and municipality, counted once. Every
-- municipality of the prefecture has a row for every survey year of its prefecture (a list
-- covers the whole prefecture, so a municipality without rows has 0 hubs that year).
--
-- hubs_with_rmo / hubs_without_rmo count the hubs whose RMO status is known; rmo_unknown the
-- others. list_records_rmo is false when that year's list has no RMO column at all (then no
-- RMO figure of that year is known, anywhere).
with hubs as (
    select * from hubs
),

years as (
    select
        pref_code,
        fiscal_year,
        max(as_of) as as_of,
        bool_and(is_sample) as is_sample,
        count(*) filter (where has_rmo is not null) > 0 as list_records_rmo
    from hubs
    group by pref_code, fiscal_year
),

counts as (
    select
        pref_code,
        fiscal_year,
        municipality_code,
        count(*) as hubs,
        count(*) filter (where has_rmo) as hubs_with_rmo,
        count(*) filter (where not has_rmo) as hubs_without_rmo,
        count(*) filter (where has_rmo is null) as rmo_unknown
    from hubs
    group by pref_code, fiscal_year, municipality_code
),

final as (
    select
        y.pref_code,
        y.fiscal_year,
        y.as_of,
        m.bureau,
        m.bureau_order,
        m.municipality_code,
        m.municipality_name,
        m.kaso,
        m.is_kaso,
        coalesce(c.hubs, 0) as hubs,
        coalesce(c.hubs_with_rmo, 0) as hubs_with_rmo,
        coalesce(c.hubs_without_rmo, 0) as hubs_without_rmo,
        coalesce(c.rmo_unknown, 0) as rmo_unknown,
        y.list_records_rmo,
        y.is_sample
    from years as y
    join municipalities as m on m.pref_code = y.pref_code
    left join counts as c
        on c.pref_code = y.pref_code and c.fiscal_year = y.fiscal_year
        and c.municipality_code = m.municipality_code
)

select * from final
order by pref_code, fiscal_year, bureau_order, municipality_code
