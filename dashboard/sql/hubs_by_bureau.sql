-- Hubs and hubs with an RMO per bureau for one survey year, every bureau of the profile listed.
-- Hubs whose RMO status is unknown are counted apart (rmo_unknown): hubs_with_rmo counts the
-- known rows, and is NULL only when the bureau has hubs and none of them has a known status.
with counts as (
    select
        bureau,
        count(*) as hubs,
        count(*) filter (where has_rmo) as hubs_with_rmo,
        count(*) filter (where has_rmo is null) as rmo_unknown
    from hubs
    where pref_code = $pref and fiscal_year = $year
    group by bureau
)

select
    b.bureau,
    b.bureau_order,
    coalesce(c.hubs, 0) as hubs,
    case when c.rmo_unknown = c.hubs then null else coalesce(c.hubs_with_rmo, 0) end
        as hubs_with_rmo,
    coalesce(c.rmo_unknown, 0) as rmo_unknown
from profile_bureaus as b
left join counts as c on c.bureau = b.bureau
where b.pref_code = $pref
order by b.bureau_order
