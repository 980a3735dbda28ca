"""The shared core that both `etl/` (the write side) and `dashboard/` (the read side) import:
settings, the warehouse's file layout, the vocabulary (eras, fiscal years, services) and the
projected CRS of the maps."""
