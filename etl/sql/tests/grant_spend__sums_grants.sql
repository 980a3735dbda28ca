-- grant_spend holds every non-withdrawn grant once: its totals equal the grants' totals.
with spend as (
    select pref_code, sum(records) as records, sum(grant_yen) as grant_yen,
           sum(unknown_amounts) as unknown_amounts
    from grant_spend group by pref_code
),
grants_ as (
    select pref_code, count(*) as records, sum(grant_yen) as grant_yen,
           count(*) filter (where grant_yen is null) as unknown_amounts
    from grants where not is_withdrawn group by pref_code
)
select * from spend full join grants_ using (pref_code)
where spend.records is distinct from grants_.records
   or spend.grant_yen is distinct from grants_.grant_yen
   or spend.unknown_amounts is distinct from grants_.unknown_amounts
