-- Public mart: every rule of the profile's programs evaluated on the grant records, one row per
-- finding. 'error' is a breach, 'advice' what the FAQ discourages. Withdrawn grants (取下げ)
-- count for nothing. Amount and rate limits compare integers exactly (grant * den > eligible *
-- num), so 500,000 yen against a 500,000 yen cap passes and 500,001 does not.
-- The build evaluates one kind of finding per statement (so DuckDB never holds the working
-- sets of all of them at once); the year and window limits share one working set, so one part:
-- parts: rate_breaches, amount_breaches, year_limits, cumulative_breaches, prior_breaches, same_year_advice, second_district_advice, repeated_advice, indirect_breaches
with grants as (
    select * from grants where not is_withdrawn
),

rules as (
    select
        pref_code,
        rule_order,
        rule_id,
        kind,
        programs,
        severity,
        title,
        source as source_ref,
        cast(params ->> 'cap_yen' as bigint) as cap_yen,
        cast(params ->> 'years' as integer) as max_years,
        cast(params ->> 'rate_num' as bigint) as rate_num,
        cast(params ->> 'rate_den' as bigint) as rate_den,
        params ->> 'prerequisite' as prerequisite
    from profile_rules
),

-- One row per grant and per rule that covers the grant's program.
covered as (
    select
        g.pref_code, g.fiscal_year, g.municipality_code, g.municipality_name, g.district_key,
        g.district_name, g.program, g.program_name, g.project_name, g.grant_yen,
        g.eligible_cost_yen, g.has_equivalent_plan,
        r.rule_order, r.rule_id, r.kind, r.severity, r.title, r.source_ref, r.cap_yen,
        r.max_years, r.rate_num, r.rate_den, r.prerequisite,
        list_position(r.programs, g.program) as program_rank
    from grants as g
    join rules as r on r.pref_code = g.pref_code and list_contains(r.programs, g.program)
),

rate_breaches as (
    select
        *,
        case
            when eligible_cost_yen = 0 then
                format('補助対象経費が0円なのに補助金{}です（上限{}/{}、{}）',
                       sen_yen_text(grant_yen), rate_num, rate_den, source_ref)
            else
                format('補助率が{:.1f}%です（補助対象経費{}に補助金{}。上限{}/{}、{}）',
                       100.0 * grant_yen / eligible_cost_yen, sen_yen_text(eligible_cost_yen),
                       sen_yen_text(grant_yen), rate_num, rate_den, source_ref)
        end as message
    from covered
    where kind = 'rate_max'
      and grant_yen is not null and eligible_cost_yen is not null
      and grant_yen * rate_den > eligible_cost_yen * rate_num
),

amount_breaches as (
    select
        *,
        format('{}の補助金が{}です（1地区1か年度の上限{}、{}）',
               program_name, sen_yen_text(grant_yen), sen_yen_text(cap_yen), source_ref) as message
    from covered
    where kind = 'amount_max_per_year' and grant_yen > cap_yen
),

-- Years of a district within the rule's programs, numbered 1, 2, ... in fiscal-year order.
district_years as (
    select
        pref_code, fiscal_year, municipality_code, district_key, rule_order, rule_id, kind,
        severity, title, source_ref, max_years,
        min(municipality_name) as municipality_name,
        min(district_name) as district_name,
        distinct_joined(program_name) as program_name,
        min(program) as program
    from covered
    where kind in ('max_years', 'window_years')
    group by pref_code, fiscal_year, municipality_code, district_key, rule_order, rule_id, kind,
        severity, title, source_ref, max_years
),

year_numbers as (
    select
        *,
        dense_rank() over (
            partition by pref_code, municipality_code, district_key, rule_id, rule_order
            order by fiscal_year
        ) as year_number,
        min(fiscal_year) over (
            partition by pref_code, municipality_code, district_key, rule_id, rule_order
        ) as first_fy
    from district_years
),

year_breaches as (
    select
        *,
        format('{}が{}か年度目です（上限{}か年度、{}）',
               program_name, year_number, max_years, source_ref) as message
    from year_numbers
    where kind = 'max_years' and year_number > max_years
),

window_breaches as (
    select
        *,
        format('{}年度の開始から{}か年度目です（最長{}か年度、{}）',
               first_fy, fiscal_year - first_fy + 1, max_years, source_ref) as message
    from year_numbers
    where kind = 'window_years' and fiscal_year - first_fy + 1 > max_years
),

-- Both year limits come from one working set (year_numbers): evaluated together.
year_limits as (
    select * from year_breaches
    union all by name
    select * from window_breaches
),

yearly as (
    select
        pref_code, fiscal_year, municipality_code, district_key, rule_order, rule_id, kind,
        severity, title, source_ref, cap_yen,
        min(municipality_name) as municipality_name,
        min(district_name) as district_name,
        distinct_joined(program_name) as program_name,
        min(program) as program,
        sum(grant_yen) as year_yen
    from covered
    where kind = 'cumulative_cap'
    group by pref_code, fiscal_year, municipality_code, district_key, rule_order, rule_id, kind,
        severity, title, source_ref, cap_yen
),

cumulative_breaches as (
    select
        *,
        format('累計補助金額が{}です（1地区の累計上限{}、{}）',
               sen_yen_text(cumulative_yen), sen_yen_text(cap_yen), source_ref) as message
    from (
        select
            *,
            sum(year_yen) over (
                partition by pref_code, municipality_code, district_key, rule_id, rule_order
                order by fiscal_year
            ) as cumulative_yen
        from yearly
    )
    where cumulative_yen > cap_yen
),

-- The prerequisite program (e.g. 計画策定事業) per district and fiscal year.
prior_years as (
    select distinct pref_code, municipality_code, district_key, program, fiscal_year
    from grants
),

-- Years in which a district records an existing equivalent plan (回答7): it excuses a project
-- from that year on, never an earlier one.
equivalent_years as (
    select distinct pref_code, municipality_code, district_key, fiscal_year
    from grants
    where has_equivalent_plan
),

prior_checks as (
    select
        c.*,
        exists (
            select 1 from prior_years as p
            where p.pref_code = c.pref_code and p.municipality_code = c.municipality_code
              and p.district_key = c.district_key and p.program = c.prerequisite
              and p.fiscal_year < c.fiscal_year
        ) as has_earlier,
        exists (
            select 1 from prior_years as p
            where p.pref_code = c.pref_code and p.municipality_code = c.municipality_code
              and p.district_key = c.district_key and p.program = c.prerequisite
              and p.fiscal_year = c.fiscal_year
        ) as has_same_year,
        exists (
            select 1 from equivalent_years as e
            where e.pref_code = c.pref_code and e.municipality_code = c.municipality_code
              and e.district_key = c.district_key and e.fiscal_year <= c.fiscal_year
        ) as has_equivalent
    from covered as c
    where c.kind in ('requires_prior', 'same_year_prior')
),

prior_breaches as (
    select
        *,
        format('{}の前に計画策定（又は同等の計画）がありません（{}）', program_name, source_ref) as message
    from prior_checks
    where kind = 'requires_prior' and not has_earlier and not has_same_year and not has_equivalent
),

same_year_advice as (
    select
        *,
        format('計画策定と{}を同じ年度に実施しています。翌年度からの実施が望ましい（{}）',
               program_name, source_ref) as message
    from prior_checks
    where kind = 'same_year_prior' and has_same_year and not has_earlier and not has_equivalent
),

-- Each district as of its first grant: the earliest year, then the order of the rule's programs
-- (a district with 計画策定 and 実施 in its first year is shown with the one the rule lists first).
districts as (
    select
        pref_code, municipality_code, district_key, rule_order, rule_id, kind, severity, title,
        source_ref,
        min(municipality_name) as municipality_name,
        min(fiscal_year) as fiscal_year,
        arg_min(district_name, row(fiscal_year, program_rank, program, district_name))
            as district_name,
        arg_min(program, row(fiscal_year, program_rank, program)) as program,
        arg_min(program_name, row(fiscal_year, program_rank, program)) as program_name
    from covered
    where kind = 'second_district'
    group by pref_code, municipality_code, district_key, rule_order, rule_id, kind, severity,
        title, source_ref
),

second_district_advice as (
    select
        *,
        format('{}の{}地区目です（2地区目以降は他市町村の1地区目より優先順位が下位、{}）',
               municipality_name, district_number, source_ref) as message
    from (
        select
            *,
            row_number() over (
                partition by pref_code, municipality_code, rule_id, rule_order
                order by fiscal_year, district_key
            ) as district_number
        from districts
    )
    where district_number >= 2
),

-- The grant of the year before in the same district, programme and rule (grants are unique per
-- district, programme and year: data test grants__unique_key), its name compared without spaces.
repeated_advice as (
    select
        * exclude (name_key, previous_fy, previous_key),
        format('「{}」を2年度続けて実施しています。1年目を踏まえた発展・改善が望ましい（{}）',
               project_name, source_ref) as message
    from (
        select
            *,
            lag(fiscal_year) over same_grant as previous_fy,
            lag(name_key) over same_grant as previous_key
        from (
            select *, regexp_replace(project_name, '[\s\x{00a0}\x{3000}]', '', 'g') as name_key
            from covered
            where kind = 'repeated_content'
        )
        window same_grant as (
            partition by pref_code, municipality_code, district_key, program, rule_id, rule_order
            order by fiscal_year
        )
    )
    where previous_fy = fiscal_year - 1 and previous_key = name_key
),

indirect_breaches as (
    select
        g.pref_code, g.fiscal_year, g.municipality_code, g.municipality_name, g.district_key,
        g.district_name, g.program, g.program_name,
        r.rule_order, r.rule_id, r.kind, r.severity, r.title, r.source_ref,
        format('{}で間接補助が行われています（間接補助ができるのは事業実施主体への委託・補助が認められた事業のみ、{}）',
               g.program_name, r.source_ref) as message
    from grants as g
    join rules as r on r.pref_code = g.pref_code and r.kind = 'indirect_allowed'
    where g.is_indirect and not list_contains(r.programs, g.program)
),

findings as (  -- every breach and advice CTE (one part at a time); final picks the columns it shows
    select * from rate_breaches where in_part('rate_breaches')
    union all by name select * from amount_breaches where in_part('amount_breaches')
    union all by name select * from year_limits where in_part('year_limits')
    union all by name select * from cumulative_breaches where in_part('cumulative_breaches')
    union all by name select * from prior_breaches where in_part('prior_breaches')
    union all by name select * from same_year_advice where in_part('same_year_advice')
    union all by name select * from second_district_advice where in_part('second_district_advice')
    union all by name select * from repeated_advice where in_part('repeated_advice')
    union all by name select * from indirect_breaches where in_part('indirect_breaches')
),

final as (
    select
        f.pref_code,
        f.rule_id,
        f.severity,
        f.fiscal_year,
        f.municipality_code,
        m.bureau,
        f.district_name,
        f.district_key,
        f.program,
        f.message,
        f.source_ref,
        f.rule_order
    from findings as f
    left join municipalities as m on m.municipality_code = f.municipality_code
)

select * from final
order by pref_code, fiscal_year, municipality_code, district_key, rule_order, message
