"""ETL for 小さな拠点モニター: input files → validated staging → DuckDB marts → atomic publish."""
