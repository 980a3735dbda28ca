"""The briefing pack as a PDF: a self-contained HTML document printed by headless Chromium.

Chromium lays out the Japanese text with the installed Noto CJK fonts and embeds them, so the PDF
text stays searchable and extractable (pdftotext) and no font has to ship with the project.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import tempfile
from html import escape
from pathlib import Path

import pandas as pd

from dashboard.export.images import render_charts
from dashboard.formatting import NO_DATA, is_missing, unknowns_as_text
from dashboard.metrics import Card
from dashboard.views.pack import SAMPLE_LABEL, Chart, Pack, Table

MAX_TABLE_ROWS = 25  # about one landscape page; the full table is in the Excel export
SHORT_TEXT = 12  # cells up to this many characters do not wrap (names, codes, years)
TIMEOUT_S = 60

CSS = """
@page { size: A4 landscape; margin: 12mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "Noto Sans CJK JP", "Noto Sans JP", sans-serif; color: #1f2328;
       font-size: 10.5pt; line-height: 1.45; margin: 0; }
section { break-before: page; }
section:first-of-type { break-before: auto; }
h1 { font-size: 28pt; margin: 28mm 0 8mm; }
h2 { font-size: 17pt; margin: 0 0 4mm; border-bottom: 2px solid #1f6feb; padding-bottom: 1.5mm; }
.meta { font-size: 12pt; border-collapse: collapse; }
.meta th { text-align: left; color: #57606a; font-weight: normal; padding: 1.5mm 6mm 1.5mm 0; }
.meta td { padding: 1.5mm 0; }
.sample { border: 2px solid #cf222e; background: #ffebe9; color: #82071e; font-weight: bold;
          padding: 3mm 4mm; margin: 6mm 0; font-size: 12pt; }
.cards { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 4mm; margin-bottom: 6mm; }
.card { border: 1px solid #d0d7de; border-radius: 2mm; padding: 3mm 4mm; }
.card .label { color: #57606a; font-size: 10pt; }
.card .value { font-size: 22pt; font-weight: bold; margin: 1mm 0; }
.card .change { font-size: 11pt; color: #0969da; }
.card .note { font-size: 8.5pt; color: #57606a; margin-top: 2mm; }
.grade { font-size: 14pt; margin: 2mm 0; }
.grade b { border: 2px solid #1f6feb; border-radius: 2mm; padding: 0.5mm 3mm; margin-left: 2mm; }
figure { margin: 0; text-align: center; }
figure img { max-width: 100%; max-height: 150mm; object-fit: contain; }
figcaption, .note, .more { font-size: 9pt; color: #57606a; text-align: left; margin-top: 2mm; }
.missing { border: 1px dashed #8c959f; padding: 20mm; color: #57606a; }
table.data { border-collapse: collapse; width: 100%; font-size: 8.5pt; line-height: 1.3; }
table.data th { background: #f6f8fa; border: 1px solid #d0d7de; padding: 1mm 1.5mm;
                text-align: left; vertical-align: bottom; }
table.data td { border: 1px solid #d0d7de; padding: 0.6mm 1.5mm; vertical-align: top; }
table.data td.num { text-align: right; white-space: nowrap; }
table.data td.short { white-space: nowrap; }
table.data td.na { color: #8c959f; }
table.data thead { display: table-header-group; }
table.data tr { page-break-inside: avoid; break-inside: avoid; }
ul { margin: 2mm 0; padding-left: 6mm; }
li { margin: 1mm 0; }
"""


class ExportError(Exception):
    """A pack could not be exported (the browser is missing, failed or timed out)."""


def default_chromium() -> str:
    """KYOTEN_CHROMIUM, else `chromium` on the PATH, else the Debian location."""
    return os.environ.get("KYOTEN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def render_pdf(pack: Pack, images: dict[str, bytes] | None = None, chromium: str | None = None) -> bytes:  # fmt: skip
    """The pack as PDF bytes. `images` (PNG per chart key) are rendered with kaleido when None."""
    if images is None:
        images = render_charts(pack.charts)
    return html_to_pdf(build_html(pack, images), chromium or default_chromium())


def build_html(pack: Pack, images: dict[str, bytes]) -> str:
    """One self-contained HTML document (images inline); every data value is escaped."""
    sections = [_title_page(pack), _kpi_page(pack)]
    sections += [_chart_page(chart, images.get(chart.key)) for chart in pack.charts]
    sections += [_table_page(table) for table in pack.tables]
    sections += [_findings_page(pack), _sources_page(pack)]
    body = "\n".join(sections)
    return (
        '<!DOCTYPE html>\n<html lang="ja"><head><meta charset="utf-8">'
        f"<title>{escape(pack.title)}</title><style>{CSS}</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )


def _sample_box(pack: Pack) -> str:
    if not pack.is_sample:
        return ""
    return "".join(
        f'<div class="sample">{escape(note)}</div>' for note in pack.notes or [SAMPLE_LABEL]
    )


def _title_page(pack: Pack) -> str:
    rows = [("範囲", pack.scope), ("データ時点", pack.as_of),
            ("作成日時", f"{pack.generated:%Y-%m-%d %H:%M}（日本時間）")]  # fmt: skip
    meta = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return (
        f'<section class="title"><h1>{escape(pack.title)}</h1>'
        f'<table class="meta">{meta}</table>{_sample_box(pack)}</section>'
    )


def _card(headline: Card) -> str:
    parts = [f'<div class="label">{escape(headline.label)}</div>',
             f'<div class="value">{escape(headline.value)}</div>']  # fmt: skip
    if headline.delta:
        parts.append(f'<div class="change">前年度比 {escape(headline.delta)}</div>')
    if headline.help:
        parts.append(f'<div class="note">{escape(headline.help)}</div>')
    return f'<div class="card">{"".join(parts)}</div>'


def _kpi_page(pack: Pack) -> str:
    cards = "".join(_card(headline) for headline in pack.headlines)
    lines = "".join(f"<li>{escape(line)}</li>" for line in pack.grade_text)
    return (
        f'<section class="kpi"><h2>主要指標</h2><div class="cards">{cards}</div>'
        f'<div class="grade">評価<b>{escape(pack.grade)}</b></div><ul>{lines}</ul></section>'
    )


def _chart_page(chart: Chart, png: bytes | None) -> str:
    if png:
        data = base64.b64encode(png).decode("ascii")
        image = f'<img src="data:image/png;base64,{data}" alt="{escape(chart.title)}">'
    else:
        image = '<div class="missing">グラフの画像を作成できませんでした</div>'
    return (
        f'<section class="chart"><h2>{escape(chart.title)}</h2><figure>{image}'
        f"<figcaption>{escape(chart.caption)}</figcaption></figure></section>"
    )


def _decimals(values: pd.Series) -> int:
    """0 when every known number of a column is whole (counts, years), else 1."""
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    return 0 if numbers.empty or bool((numbers % 1 == 0).all()) else 1


def _cell(value: object, header: str, decimals: int) -> str:
    """One <td>: データなし for unknowns, numbers right-aligned (years without separators)."""
    unknown = is_missing(value) or (pd.api.types.is_scalar(value) and pd.isna(value))
    if unknown or (isinstance(value, str) and value == NO_DATA):  # also a count's text データなし
        return f'<td class="na short">{NO_DATA}</td>'
    if isinstance(value, bool):
        return f"<td>{'はい' if value else 'いいえ'}</td>"
    if pd.api.types.is_number(value):
        number = float(value)
        separator = "" if "西暦" in header else ","
        return f'<td class="num">{number:{separator}.{decimals}f}</td>'
    text = str(value)
    kind = ' class="short"' if len(text) <= SHORT_TEXT else ""
    return f"<td{kind}>{escape(text)}</td>"


def _table_page(table: Table) -> str:
    frame = unknowns_as_text(table.frame)  # a count with unknown rows: 「45（ほか不明4）」
    shown = frame.head(MAX_TABLE_ROWS)
    headers = [str(column) for column in frame.columns]
    decimals = [_decimals(shown.iloc[:, i]) for i in range(len(headers))]
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    rows = "".join(
        "<tr>" + "".join(_cell(v, h, d) for v, h, d in zip(row, headers, decimals, strict=True))
        + "</tr>"
        for row in shown.itertuples(index=False, name=None)
    )  # fmt: skip
    if frame.empty:
        rows = f'<tr><td class="na" colspan="{max(len(headers), 1)}">{NO_DATA}</td></tr>'
    more = len(frame) - MAX_TABLE_ROWS
    tail = (f'<p class="more">ほか{more}行は Excel 版（.xlsx）にあります（全{len(frame)}行）。</p>'
            if more > 0 else "")  # fmt: skip
    note = f'<p class="note">{escape(table.note)}</p>' if table.note else ""
    return (
        f'<section class="table"><h2>{escape(table.title)}</h2>'
        f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
        f"{tail}{note}</section>"
    )


def _findings_page(pack: Pack) -> str:
    lines = "".join(f"<li>{escape(line)}</li>" for line in pack.findings)
    return (
        f'<section class="findings"><h2>補助金の規則チェック</h2>'
        f"<p>{escape(pack.findings_summary)}</p><ul>{lines}</ul></section>"
    )


def _sources_page(pack: Pack) -> str:
    lines = "".join(f"<li>{escape(line)}</li>" for line in pack.sources)
    credit = f"<p>{escape(pack.credit)}</p>" if pack.credit is not None else ""
    return (
        f'<section class="sources"><h2>出典</h2><ul>{lines}</ul>{credit}'
        f"<p>データ時点: {escape(pack.as_of)}</p>{_sample_box(pack)}</section>"
    )


def html_to_pdf(html: str, chromium: str, timeout_s: float = TIMEOUT_S) -> bytes:
    """Print an HTML document to PDF with headless Chromium (its own throwaway profile)."""
    if not (Path(chromium).is_file() or shutil.which(chromium)):
        raise ExportError(f"PDF を作成できません: Chromium が見つかりません（{chromium}）")
    with tempfile.TemporaryDirectory(prefix="kyoten-pdf-", ignore_cleanup_errors=True) as tmp:
        page, out, log = Path(tmp) / "pack.html", Path(tmp) / "pack.pdf", Path(tmp) / "chromium.log"
        page.write_text(html, encoding="utf-8")
        command = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
                   "--disable-background-networking", "--disable-component-update",
                   "--disable-sync", "--no-first-run", "--no-pdf-header-footer",
                   f"--print-to-pdf={out}", "--virtual-time-budget=10000",
                   f"--user-data-dir={tmp}/profile", page.as_uri()]  # fmt: skip
        returncode = _run(command, log, timeout_s)
        if returncode != 0 or not out.is_file() or out.stat().st_size == 0:
            tail = log.read_text(errors="replace").strip()[-600:]
            raise ExportError(
                f"PDF を作成できません: Chromium（{chromium}）が終了コード {returncode} で失敗しました。{tail}"
            )
        return out.read_bytes()


def _run(command: list[str], log: Path, timeout_s: float) -> int:
    """Run Chromium in its own process group so a timeout also stops its helper processes."""
    with log.open("wb") as handle:
        try:
            process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        except OSError as error:
            raise ExportError(
                f"PDF を作成できません: Chromium を起動できません（{command[0]}: {error}）"
            ) from error
        try:
            return process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired as error:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise ExportError(
                f"PDF を作成できません: Chromium（{command[0]}）が {timeout_s:.0f} 秒以内に終わりませんでした"
            ) from error
