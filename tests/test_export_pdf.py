"""The PDF pack: printed by headless Chromium on A4 landscape, with the Japanese text embedded,
extractable and escaped. Rendered pages are saved under test-output/export/ for a human look."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from core.settings import PROJECT_DIR
from dashboard.export.images import render_charts
from dashboard.export.pdf_pack import (
    PAGE_ROWS,
    ExportError,
    build_html,
    html_to_pdf,
    render_pdf,
)
from dashboard.formatting import RMO_COLUMN, RMO_UNKNOWN_COLUMN
from dashboard.views.pack import SAMPLE_LABEL, Pack, Table
from tests.browser import require_browser
from tests.packs import filled_fraction, page_count

OUTPUT_DIR = PROJECT_DIR / "test-output" / "export"
A4_LANDSCAPE_PTS = (841.9, 595.3)
INJECTED = "<script>alert(1)</script>"


def require_poppler() -> None:
    missing = [tool for tool in ("pdfinfo", "pdftotext", "pdffonts", "pdftoppm") if not shutil.which(tool)]  # fmt: skip
    if missing:
        message = f"poppler-utils がありません（{', '.join(missing)}）"
        if os.environ.get("KYOTEN_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)


def run(*command: str | Path) -> str:
    return subprocess.run([str(c) for c in command], check=True, capture_output=True, text=True,
                          timeout=60).stdout  # fmt: skip


def squash(text: str) -> str:
    """Text without whitespace: pdftotext may break or pad lines differently from the HTML."""
    return "".join(text.split())


@pytest.fixture(scope="module")
def pack(sample_pack) -> Pack:
    """The session's sample pack (its tests only ever read it; changes go through replace)."""
    return sample_pack


@pytest.fixture(scope="module")
def pdf_path(pack) -> Path:
    """The sample pack's PDF, rendered once (charts by kaleido, pages by Chromium)."""
    require_browser()
    require_poppler()
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUTPUT_DIR / "pack.pdf"
    path.write_bytes(render_pdf(pack, render_charts(pack.charts)))
    return path


@pytest.fixture(scope="module")
def text(pdf_path) -> str:
    return run("pdftotext", "-layout", pdf_path, "-")


def test_pdf_starts_with_magic(pdf_path):
    assert pdf_path.read_bytes().startswith(b"%PDF-")


def test_default_pdf_is_at_most_five_a4_landscape_pages(pdf_path):
    info = run("pdfinfo", "-f", "1", "-l", "1000", pdf_path)
    pages = page_count(pdf_path)
    sizes = re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)
    assert 2 <= pages <= 5
    assert len(sizes) == pages
    for width, height in sizes:
        assert float(width) == pytest.approx(A4_LANDSCAPE_PTS[0], abs=2)
        assert float(height) == pytest.approx(A4_LANDSCAPE_PTS[1], abs=2)


@pytest.mark.parametrize(
    "expected",
    ["59 / 60拠点", "47組織", "79.7%", "地域運営組織", "規則チェック", "違反", "違反 8件", "データなし",
     SAMPLE_LABEL, "補助金マップ", "内閣府「小さな拠点の形成に関する実態調査」"],
)  # fmt: skip
def test_pdf_text_is_extractable(text, expected):
    assert squash(expected) in squash(text)


def test_pdf_text_carries_the_pack_context(text, pack):
    for expected in [pack.title_line, pack.as_of, pack.findings_summary, pack.findings[0],
                     f"{pack.generated:%Y-%m-%d %H:%M}", *pack.grade_text, *pack.sources]:  # fmt: skip
        assert squash(expected) in squash(text)
    assert in_order(text, [section.title for section in pack.sections])  # the pack's story


def in_order(text: str, titles: list[str]) -> bool:
    """Each title found after the one before it."""
    position, flat = 0, squash(text)
    for title in titles:
        position = flat.find(squash(title), position)
        if position < 0:
            return False
    return True


def test_no_file_names_or_build_ids_in_the_pack(text, sample_settings):
    from core import layout

    build_id = layout.current_path(sample_settings.warehouse_dir).stem
    assert build_id not in text and "版 " not in text
    assert not re.search(r"\.(csv|xlsx|duckdb)\b", text), "file names belong on the データ page"
    assert "cited" not in text and "same source" not in text  # sources in Japanese


def test_every_page_is_at_least_a_third_full(pdf_path):
    for number in range(1, page_count(pdf_path) + 1):
        assert filled_fraction(pdf_path, number) >= 1 / 3, f"page {number} is nearly empty"


def test_pdf_embeds_the_cjk_font(pdf_path):
    rows = run("pdffonts", pdf_path).splitlines()[2:]
    assert rows, "no fonts in the PDF"
    for row in rows:
        emb, sub, uni = row.split()[-5:-2]
        assert (emb, uni) == ("yes", "yes"), row  # embedded, with a ToUnicode map
    # Skia writes the CFF-based Noto CJK glyphs as Type 3 fonts; their descriptors keep the name.
    assert re.search(rb"/FontName /[A-Z]{6}\+NotoSansCJKjp-", pdf_path.read_bytes())


def test_pdf_pages_render_and_are_not_blank(pdf_path):
    for old in OUTPUT_DIR.glob("page-*.png"):
        old.unlink()
    run("pdftoppm", "-r", "50", "-png", pdf_path, OUTPUT_DIR / "page")
    pages = sorted(OUTPUT_DIR.glob("page-*.png"))
    assert len(pages) >= 2
    for page in pages:
        with Image.open(page) as image:
            gray = image.convert("L")
            width, height = gray.size
            assert (width > height) and width == pytest.approx(height * 297 / 210, rel=0.02)
            inked = sum(gray.histogram()[:240]) / (width * height)
        assert inked > 0.005, f"{page.name} looks blank ({inked:.2%} non-white)"


def test_injected_markup_prints_as_text(pack, tmp_path):
    require_browser()
    require_poppler()
    frame = pack.tables[0].frame.copy()
    frame.iloc[0, 0] = INJECTED
    frame.iloc[1, 1] = None
    frame.iloc[2, 0] = "後続の行"
    injected = dataclasses.replace(
        pack, title=f"{pack.title}</title><h1>x", charts=[],
        appendix=[Table("注入", f"注入テスト {INJECTED}", frame, note="<b>注記</b>")],
    )  # fmt: skip
    path = tmp_path / "injected.pdf"
    path.write_bytes(render_pdf(injected, images={}))
    text = run("pdftotext", "-layout", path, "-")
    assert text.count(INJECTED) == 2  # the title and the cell
    assert "</title><h1>x" in text and "<b>注記</b>" in text
    assert "後続の行" in text  # the rows after the cell are intact
    assert squash(pack.findings_summary) in squash(text)  # and so is the rest of the document


def test_html_escapes_data_and_inlines_images(pack):
    frame = pd.DataFrame({"名前": [INJECTED, None], "拠点数（拠点）": [1234, float("nan")],
                          "年度（西暦）": [2024, 2025]})  # fmt: skip
    html = build_html(
        dataclasses.replace(pack, appendix=[Table("t", "表", frame)]),
        {pack.charts[0].key: b"\x89PNG fake"},
    )
    assert INJECTED not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    appendix = html[html.index("付録: 表") :]
    assert appendix.count('<td class="na short">データなし</td>') == 2
    assert ">1,234<" in html and ">2024<" in html  # years keep no thousands separator
    assert html.count("data:image/png;base64,") == 1
    shown = [section.chart for section in pack.sections if section.chart is not None]
    assert html.count("グラフの画像を作成できませんでした") == len(shown) - 1
    assert 'src="http' not in html and "<link" not in html  # self-contained


def test_counts_with_unknown_rows_print_as_text(pack):
    frame = pd.DataFrame({"地方振興局": ["会津", "県南"], RMO_COLUMN: pd.array([16, None], dtype="Int64"),
                          RMO_UNKNOWN_COLUMN: pd.array([2, 1], dtype="Int64")})  # fmt: skip
    html = build_html(dataclasses.replace(pack, appendix=[Table("t", "表", frame)]), {})
    table = html[html.index("付録: 表") :]
    assert '<td class="short">16（ほか不明2）</td>' in table
    assert '<td class="na short">データなし</td>' in table  # nothing known: never 0
    assert RMO_UNKNOWN_COLUMN not in table  # one column on paper; the Excel file has both


def test_long_appendix_tables_are_cut_into_even_pages(pack):
    municipalities = next(t for t in pack.tables if t.id == "municipalities")
    rows = len(municipalities.frame)
    assert rows > 2 * PAGE_ROWS  # 59 rows: three pages of 20, 20 and 19, never 24 + 24 + 11
    html = build_html(dataclasses.replace(pack, appendix=[municipalities]), {})
    pages = html.split('<section class="appendix page">')[1:]
    counts = [page.count("<tr>") - 1 for page in pages]  # minus the header row
    assert counts == [20, 20, 19]
    assert "付録: 市町村別の拠点（1/3）" in html and "付録: 市町村別の拠点（3/3）" in html


def test_missing_chromium_is_a_clear_error(pack, tmp_path):
    missing = tmp_path / "no-chromium"
    with pytest.raises(ExportError, match="Chromium が見つかりません") as error:
        render_pdf(pack, images={}, chromium=str(missing))
    assert str(missing) in str(error.value)


def test_failing_chromium_is_a_clear_error(pack, tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'simulated crash' >&2\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(ExportError, match="終了コード 3.*simulated crash"):
        render_pdf(pack, images={}, chromium=str(fake))


def test_chromium_override_from_environment(monkeypatch, pack, tmp_path):
    monkeypatch.setenv("KYOTEN_CHROMIUM", str(tmp_path / "elsewhere"))
    with pytest.raises(ExportError, match="elsewhere"):
        render_pdf(pack, images={})


def test_hanging_chromium_times_out(tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nsleep 30 &\nwait\n")  # a helper process keeps running too
    fake.chmod(0o755)
    with pytest.raises(ExportError, match="1 秒以内に終わりませんでした"):
        html_to_pdf("<html></html>", str(fake), timeout_s=1)
