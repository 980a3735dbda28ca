"""The shared core that both `etl/` (the write side) and `dashboard/` (the read side) import:
settings, the warehouse's file layout, and the vocabulary (eras, fiscal years, services)."""
