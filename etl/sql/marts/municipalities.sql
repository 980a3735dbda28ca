-- Public mart: the municipalities of every profile, with their bureau and 過疎 status.
with municipalities as (
    select * from staging.ref_municipalities
),

bureaus as (
    select * from staging.ref_bureaus
),

final as (
    select
        m.pref_code,
        m.code as municipality_code,
        m.name as municipality_name,
        m.kana,
        m.bureau,
        b.bureau_order,
        m.kaso,
        case when m.kaso is null then null else m.kaso in ('全部過疎', '一部過疎') end as is_kaso,
        m.rep_lat,
        m.rep_lon,
        m.county
    from municipalities as m
    left join bureaus as b on b.pref_code = m.pref_code and b.bureau = m.bureau
)

select * from final
order by pref_code, municipality_code
