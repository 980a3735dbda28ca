"""`python -m dashboard export`: the scheduled-job entry point (same code as the buttons)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile

import openpyxl
import pytest
from pptx import Presentation

from core.settings import PROJECT_DIR
from tests.browser import require_browser


def export(settings, *args, env=None):
    environment = {
        **os.environ,
        "KYOTEN_BOUNDARIES_DIR": str(settings.boundaries_dir),
        **(env or {}),
    }
    return subprocess.run([sys.executable, "-m", "dashboard", "export", "--warehouse", str(settings.warehouse_dir), *args],
                          cwd=PROJECT_DIR, capture_output=True, text=True, env=environment)  # fmt: skip


def test_xlsx_for_two_bureaus_into_a_folder(sample_settings, tmp_path):
    result = export(sample_settings, "--profile", "fukushima", "--bureau", "会津", "--bureau", "南会津",
                    "--from-fy", "2022", "--to-fy", "2025", "--format", "xlsx", "--out", str(tmp_path))  # fmt: skip
    assert result.returncode == 0, result.stderr
    (path,) = tmp_path.iterdir()
    assert (
        path.name.startswith("小さな拠点ブリーフィング_fukushima_会津-南会津_")
        and path.suffix == ".xlsx"
    )
    book = openpyxl.load_workbook(path)
    summary = "\n".join(
        str(c.value) for row in book["概要"].iter_rows() for c in row if c.value is not None
    )
    assert "会津・南会津" in summary and "令和4年度 (2022)～令和7年度 (2025)" in summary


@pytest.mark.parametrize(("fmt", "magic"), [("pptx", b"PK"), ("pdf", b"%PDF")])
def test_packs(sample_settings, tmp_path, fmt, magic):
    require_browser()
    out = tmp_path / f"monday.{fmt}"
    result = export(sample_settings, "--format", fmt, "--out", str(out))
    assert result.returncode == 0, result.stderr
    data = out.read_bytes()
    assert data.startswith(magic) and len(data) > 50_000
    if fmt == "pptx":
        assert "ppt/slides/slide1.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()


def test_appendix_flag_adds_the_long_tables_to_the_deck(sample_settings, tmp_path):
    require_browser()
    slides = {}
    for name, extra in (("plain", []), ("appendix", ["--appendix"])):
        out = tmp_path / f"{name}.pptx"
        result = export(sample_settings, "--format", "pptx", "--out", str(out), *extra)
        assert result.returncode == 0, result.stderr
        deck = Presentation(io.BytesIO(out.read_bytes()))
        slides[name] = [s.shapes.title.text_frame.text for s in deck.slides]
    assert len(slides["plain"]) <= 8
    assert slides["appendix"][: len(slides["plain"])] == slides["plain"]  # the same story first
    extra = slides["appendix"][len(slides["plain"]) :]
    assert any(t.startswith("付録: 市町村別の拠点") for t in extra)
    assert any(t.startswith("付録: 補助金の規則チェック") for t in extra)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bureau", "架空"], "架空"),
        (["--profile", "hokkaido"], "hokkaido"),
        (["--from-fy", "1990", "--to-fy", "1991"], "年度"),
    ],
)
def test_filters_that_do_not_apply_fail_instead_of_exporting_something_else(
    sample_settings, tmp_path, args, message
):
    out = tmp_path / "x.xlsx"
    result = export(sample_settings, *args, "--format", "xlsx", "--out", str(out))
    assert result.returncode == 2 and message in result.stderr
    assert not out.exists()


def test_missing_warehouse(tmp_path):
    result = subprocess.run([sys.executable, "-m", "dashboard", "export", "--warehouse", str(tmp_path), "--format",
                             "xlsx", "--out", str(tmp_path / "x.xlsx")], cwd=PROJECT_DIR, capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 1 and "python -m etl build" in result.stderr
