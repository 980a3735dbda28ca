"""Benchmarks that print figures: `python -m bench etl|pages|export|load`."""
