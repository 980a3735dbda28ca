select build_id, built_at, is_sample, input_files from build_info
