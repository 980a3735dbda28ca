-- Public mart: one row describing this build.
select
    build_id,
    built_at,
    input_dir,
    default_profile,
    (select count(distinct file) from staging.load_files where status = 'loaded') as input_files,
    -- any sample file means the shown data contains sample data: it is labelled as such
    (select coalesce(bool_or(is_sample), false) from staging.load_files) as is_sample
from staging.build_meta
