"""One entry point for every export: the download buttons and `python -m dashboard export`
both call `export`, so a scheduled pack is the same file a user downloads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dashboard.filters import Filters, ProfileOption
from dashboard.views import Loader
from dashboard.views.pack import Pack, build_pack, pack_file_name

FORMATS = {
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Export:
    data: bytes
    file_name: str
    mime: str


def render(pack: Pack, fmt: str) -> bytes:
    """The pack in one format; chart images are rendered once, in one browser session."""
    if fmt == "xlsx":
        from dashboard.export.xlsx_pack import render_xlsx

        return render_xlsx(pack)
    from dashboard.export.images import render_charts

    images = render_charts(pack.charts)
    if fmt == "pptx":
        from dashboard.export.pptx_pack import render_pptx

        return render_pptx(pack, images)
    if fmt == "pdf":
        from dashboard.export.pdf_pack import render_pdf

        return render_pdf(pack, images)
    raise ValueError(f"unknown export format: {fmt}")


def export(load: Loader, filters: Filters, option: ProfileOption, fmt: str, boundaries_dir: Path,
           map_style: str, appendix: bool = False) -> Export:  # fmt: skip
    """The file for the current filters, named with profile, bureaus and date. The PPTX and PDF
    tell the story in a few pages; `appendix` adds the long tables (the Excel file has them all)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format: {fmt} ({', '.join(FORMATS)})")
    pack = build_pack(load, filters, option, boundaries_dir, map_style, appendix=appendix)
    return Export(render(pack, fmt), pack_file_name(pack, fmt), FORMATS[fmt])
