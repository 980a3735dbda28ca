"""How full a page of a PDF pack or a slide of a PPTX pack is, measured the way a reader sees it:
where the last ink on a page is, where the last content on a slide ends."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from PIL import Image
from pptx.util import Emu, Pt

PDF_MARGIN = (11 / 210, 11 / 210)  # top and bottom page margins of the PDF pack (@page)


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def filled_fraction(pdf: Path, page: int) -> float:
    """How far down the printable area of a page the ink goes (0 = empty, 1 = to the bottom)."""
    with tempfile.TemporaryDirectory() as tmp:
        stem = Path(tmp) / "page"
        subprocess.run(["pdftoppm", "-r", "30", "-f", str(page), "-l", str(page), "-singlefile",
                        "-gray", "-png", str(pdf), str(stem)], check=True, timeout=60)  # fmt: skip
        with Image.open(f"{stem}.png") as image:
            gray = image.convert("L")
            width, height = gray.size
            pixels = gray.load()
            inked = [
                y for y in range(height) if any(pixels[x, y] < 200 for x in range(0, width, 2))
            ]
    if not inked:
        return 0.0
    top, bottom = PDF_MARGIN[0] * height, (1 - PDF_MARGIN[1]) * height
    return (max(inked) - top) / (bottom - top)


def _text_height(shape) -> int:
    """The height the text of a box takes: its lines (wrapped at the box width) times the size."""
    total = 0
    for paragraph in shape.text_frame.paragraphs:
        sizes = [run.font.size for run in paragraph.runs if run.font.size] or [Pt(14)]
        size = max(sizes)
        chars = sum(len(run.text) for run in paragraph.runs)
        per_line = max(int(shape.width / size), 1)  # full-width characters
        lines = max(1, -(-chars // per_line))
        total += int(lines * size * 1.25)
    return total


def slide_filled_fraction(slide, content_top: int, content_bottom: int) -> float:
    """How far down the content area (below the title, above the footer) a slide's content goes."""
    bottoms = []
    for shape in slide.shapes:
        if shape == slide.shapes.title or shape.top >= content_bottom:
            continue  # the title and the footer line
        if shape.has_text_frame and shape.text_frame.text.startswith("出典: "):
            continue  # the source line sits at the foot of the slide
        if shape.has_text_frame and shape.shape_type == 17:  # a text box: as tall as its text
            bottoms.append(shape.top + _text_height(shape))
        elif shape.has_table:
            rows = sum(row.height for row in shape.table.rows)
            bottoms.append(shape.top + rows)
        else:
            bottoms.append(shape.top + shape.height)
    if not bottoms:
        return 0.0
    return (min(max(bottoms), content_bottom) - content_top) / Emu(content_bottom - content_top)
