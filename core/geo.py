"""The projected CRS in which both sides measure and simplify municipality shapes."""

from __future__ import annotations


def jgd2011_utm(lon: float) -> str:
    """JGD2011 / UTM zone of a longitude: zones 51N–55N are EPSG:6688–6692."""
    zone = int((lon + 180) // 6) + 1
    return f"EPSG:{6637 + zone}"
