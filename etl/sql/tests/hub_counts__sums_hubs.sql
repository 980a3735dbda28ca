-- hub_counts holds every hub once, and each hub is with, without or of unknown RMO status.
with counts as (
    select pref_code, fiscal_year, sum(hubs) as hubs,
           sum(hubs_with_rmo + hubs_without_rmo + rmo_unknown) as by_status
    from hub_counts group by pref_code, fiscal_year
),
listed as (
    select pref_code, fiscal_year, count(*) as hubs from hubs group by pref_code, fiscal_year
)
select * from counts full join listed using (pref_code, fiscal_year)
where counts.hubs is distinct from listed.hubs or counts.by_status <> counts.hubs
