-- Landing tables: parsed input rows and reference facts, typed, before any modelling.
create schema if not exists staging;

-- Money as people read it in every message: 千円 with separators, exact (520千円, 500.001千円).
create macro main.sen_yen_text(x) as
    case when x % 1000 = 0 then format('{:,}千円', x // 1000) else format('{:,.3f}千円', x / 1000.0) end;

-- The distinct texts of a group in order, '・'-joined; NULL when the group has none. Same as
-- string_agg(distinct x, '・' order by x), which DuckDB evaluates far more slowly.
create macro main.distinct_joined(x) as
    case when count(x) > 0 then array_to_string(list_sort(list_distinct(list(x))), '・') end;

-- A model evaluated in parts (a `-- parts:` line, see warehouse.run_models) keeps the rows of one
-- part per statement; run as one query, without the variable, it keeps every part.
create macro main.in_part(name) as
    getvariable('model_part') is null or getvariable('model_part') = name;

create table staging.raw_survey (
    pref_code varchar not null,
    fiscal_year integer not null,
    as_of varchar,  -- ISO date or month: 2024-05-31, 2016-10
    municipality_code varchar not null,
    hub_name varchar not null,
    district_name varchar,
    district_key varchar not null,
    hub_key varchar not null,
    address varchar,
    population bigint,
    settlements integer,
    coverage_area varchar,
    area_type varchar,
    in_municipal_strategy boolean,
    in_regional_plan boolean,
    main_facility varchar,
    transport varchar,
    has_rmo boolean,
    rmo_name varchar,
    rmo_legal_form varchar,
    services varchar,
    source_file varchar not null,
    source_row integer not null
);

create table staging.raw_grants (
    pref_code varchar not null,
    fiscal_year integer not null,
    municipality_code varchar not null,
    district_name varchar not null,
    district_key varchar not null,
    program_id varchar not null,
    project_name varchar,
    total_cost_yen bigint,
    eligible_cost_yen bigint,
    grant_yen bigint,  -- the grant figure: actual_yen where present, else decided_yen (amount_basis)
    decided_yen bigint,  -- 交付決定額 as written, when the file has that column
    actual_yen bigint,  -- 実績額 as written, when the file has that column
    amount_basis varchar,
    implementing_body varchar,
    is_indirect boolean,
    has_equivalent_plan boolean,
    status varchar not null,
    note varchar,
    source_file varchar not null,
    source_row integer not null
);

create table staging.raw_cooperatives (
    pref_code varchar not null,
    fiscal_year integer not null,
    cooperative_name varchar not null,
    municipality_code varchar not null,
    certified_on date,
    members integer,
    dispatched_workers integer,
    source_file varchar not null,
    source_row integer not null
);

create table staging.raw_published (
    pref_code varchar not null,
    indicator varchar not null,
    fiscal_year integer not null,
    value bigint,
    kind varchar not null,
    as_of varchar,  -- ISO date or month: 2024-05-31, 2016-10
    source varchar not null,
    source_file varchar not null,
    source_row integer,
    priority integer not null  -- input files (0) override the shipped reference (1)
);

create table staging.ref_municipalities (
    pref_code varchar not null,
    code varchar not null,
    name varchar not null,
    kana varchar,
    bureau varchar,  -- NULL: the profile has no bureaus
    kaso varchar,
    rep_lat double,
    rep_lon double,
    county varchar  -- 郡 (lists made from N03)
);

create table staging.ref_profiles (
    profile_key varchar not null,
    pref_code varchar not null,
    pref_name varchar not null,
    bureau_label varchar,  -- NULL: no bureaus
    n03_url varchar,
    kpi_indicator varchar not null,
    base_year integer,  -- NULL: the path starts at the first actual value
    base_value integer,
    target_year integer,  -- NULL: no target set
    target_value integer,
    kpi_source varchar,
    district_cap_yen bigint,  -- the profile's cumulative_cap rule (NULL: none)
    district_cap_source varchar
);

create table staging.ref_bureaus (pref_code varchar, bureau varchar, bureau_order integer);

create table staging.ref_programs (
    pref_code varchar,
    program varchar,
    program_name varchar,
    stage varchar,
    program_order integer,
    counts_toward_cap boolean
);

create table staging.ref_rules (
    pref_code varchar,
    rule_order integer,
    rule_id varchar,
    kind varchar,
    programs varchar[],
    severity varchar,
    title varchar,
    source varchar,
    params json
);

-- One row per table read from an input file (a workbook's sheets that share one header are one
-- table), and one per folder entry or sheet skipped ('skipped', with the reason in note).
create table staging.load_files (
    file varchar not null,
    sha256 varchar not null,
    kind varchar,
    rows integer not null,
    dropped_rows integer not null,
    encoding varchar,
    sheet varchar,
    header_row integer,
    is_sample boolean not null,
    status varchar not null,  -- loaded / skipped
    note varchar  -- how the file was read (rows left out, hidden rows, variants) or why skipped
);

create table staging.parse_warnings (
    file varchar,
    "row" integer,
    "column" varchar,
    value varchar,
    message varchar
);

create table staging.build_meta (
    build_id varchar not null,
    built_at timestamp not null,  -- UTC
    input_dir varchar,
    default_profile varchar
);
