"""The briefing pack as a PDF: a self-contained HTML document printed by headless Chromium.

Chromium lays out the Japanese text with the installed Noto CJK fonts and embeds them, so the PDF
text stays searchable and extractable (pdftotext) and no font has to ship with the project.
"""

from __future__ import annotations

import base64
import logging
import os
import shutil
import signal
import subprocess
import tempfile
from html import escape
from pathlib import Path

import pandas as pd

from dashboard.export.images import print_pdf, render_charts
from dashboard.formatting import NO_DATA, is_missing, unknowns_as_text
from dashboard.metrics import Card
from dashboard.views.pack import SAMPLE_LABEL, Chart, Pack, Section, Table, balanced_parts

PAGE_ROWS = 24  # single-line rows on one landscape page, with the title and the note
PAGE_ROWS_WRAPPED = 14  # rows whose text wraps onto two or three lines
SHORT_TEXT = 12  # cells up to this many characters do not wrap (names, codes, years)
TIMEOUT_S = 60

CSS = """
@page { size: A4 landscape; margin: 11mm 12mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "Noto Sans CJK JP", "Noto Sans JP", sans-serif; color: #1a1a1c;
       font-size: 10pt; line-height: 1.45; margin: 0; }
header { border-bottom: 3px solid #0017c1; padding-bottom: 1.5mm; margin-bottom: 3mm; }
h1 { font-size: 15pt; margin: 0; color: #0017c1; }
header p { margin: 0.5mm 0 0; font-size: 9.5pt; }
h2 { font-size: 13.5pt; margin: 0 0 2.5mm; border-bottom: 2px solid #3460fb; padding-bottom: 1mm; }
section { margin-bottom: 4mm; }
section.page { break-before: page; }
section.keep { break-inside: avoid; }
.sample { border: 2px solid #ce0000; background: #fdeeee; color: #8b0000; font-weight: bold;
          padding: 1.5mm 3mm; margin: 2mm 0; font-size: 9.5pt; }
.cards { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 3mm; margin-bottom: 3mm; }
.card { border: 1px solid #c5d7fb; background: #e8f1fe; border-radius: 2mm; padding: 1.5mm 3mm; }
.card .label { font-size: 9pt; }
.card .value { font-size: 17pt; font-weight: bold; color: #0017c1; margin: 0.3mm 0; }
.card .change { font-size: 9.5pt; }
.grade { font-size: 12pt; margin: 1mm 0; }
.grade b { border: 2px solid #0017c1; border-radius: 2mm; padding: 0.3mm 3mm; margin-left: 2mm; }
.split { display: grid; grid-template-columns: 3fr 2fr; gap: 5mm; align-items: start; }
.split.wide { grid-template-columns: 3fr 2fr; }
figure { margin: 0; }
figure img { width: 100%; object-fit: contain; display: block; }
.trajectory figure img { max-height: 66mm; }
.trajectory .summary, .trajectory .source { font-size: 8pt; }
.bureaus figure img { max-height: 80mm; }
.grant_map figure img { max-height: 100mm; }
.summary, .note, .source, .more { font-size: 8.5pt; text-align: left; margin: 1.5mm 0 0; }
.missing { border: 1px dashed #767676; padding: 20mm; }
table.data { border-collapse: collapse; width: 100%; font-size: 8.5pt; line-height: 1.3; }
table.data th { background: #e8f1fe; border: 1px solid #9fb5e8; padding: 1mm 1.5mm;
                text-align: left; vertical-align: bottom; }
table.data td { border: 1px solid #c5d7fb; padding: 0.6mm 1.5mm; vertical-align: top; }
table.data td.num { text-align: right; white-space: nowrap; }
table.data td.short { white-space: nowrap; }
table.data thead { display: table-header-group; }
table.data tr { break-inside: avoid; }
ul { margin: 1mm 0; padding-left: 5mm; }
li { margin: 0.5mm 0; }
.summary-section li { font-size: 9.5pt; }
.findings li, .sources li { font-size: 9.5pt; }
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
    """One self-contained HTML document (images inline); every data value is escaped.

    The story's sections in the pack's order: the summary and the trajectory on the first page,
    the bureau table and the map on a page each, the findings with the sources; then the
    appendix (only when the pack has one), each long table cut into even pages."""
    parts = [_header(pack)]
    for section in pack.sections:
        parts.append(SECTIONS[section.id](pack, section, images))
    for table in pack.appendix:
        parts += _appendix_pages(table)
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="ja"><head><meta charset="utf-8">'
        f"<title>{escape(pack.title_line)}</title><style>{CSS}</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )


def _sample_box(pack: Pack) -> str:
    if not pack.is_sample:
        return ""
    return "".join(
        f'<div class="sample">{escape(note)}</div>' for note in pack.notes or [SAMPLE_LABEL]
    )


def _header(pack: Pack) -> str:
    made = f"作成 {pack.generated:%Y-%m-%d %H:%M}（日本時間）"
    return (
        f"<header><h1>{escape(pack.title_line)}</h1>"
        f"<p>{escape(pack.as_of)} ／ {escape(made)}</p></header>{_sample_box(pack)}"
    )


def _card(headline: Card) -> str:
    parts = [f'<div class="label">{escape(headline.label)}</div>',
             f'<div class="value">{escape(headline.value)}</div>']  # fmt: skip
    if headline.delta:
        parts.append(f'<div class="change">前年度比 {escape(headline.delta)}</div>')
    return f'<div class="card">{"".join(parts)}</div>'


def _lines(lines: tuple[str, ...] | list[str]) -> str:
    return "<ul>" + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>"


def _source(section: Section) -> str:
    return f'<p class="source">{escape(section.source)}</p>' if section.source else ""


def _summary(pack: Pack, section: Section, images: dict[str, bytes]) -> str:
    cards = "".join(_card(headline) for headline in pack.headlines)
    return (
        f'<section class="summary-section"><h2>{escape(section.title)}</h2><div class="cards">{cards}</div>'
        f'<div class="grade">評価<b>{escape(pack.grade)}</b></div>{_lines(section.lines)}</section>'
    )


def _figure(chart: Chart, png: bytes | None) -> str:
    if png:
        data = base64.b64encode(png).decode("ascii")
        image = f'<img src="data:image/png;base64,{data}" alt="{escape(chart.title)}: {escape(chart.summary)}">'
    else:
        image = '<div class="missing">グラフの画像を作成できませんでした</div>'
    return f"<figure>{image}</figure>"


def _trajectory(pack: Pack, section: Section, images: dict[str, bytes]) -> str:
    chart = section.chart
    return (
        f'<section class="trajectory keep"><h2>{escape(section.title)}</h2><div class="split wide">'
        f"<div>{_figure(chart, images.get(chart.key))}</div>"
        f'<div><p class="summary">{escape(chart.summary)}</p>{_source(section)}</div></div></section>'
    )


def _chart_with_table(css: str):
    """A section on a page of its own: a table beside its chart (the map beside its table)."""

    def render(pack: Pack, section: Section, images: dict[str, bytes]) -> str:
        chart, table = section.chart, section.table
        figure = _figure(chart, images.get(chart.key)) if chart is not None else ""
        grid = _data_table(table.printed) if table is not None else ""
        summary = (
            f'<p class="summary">{escape(chart.summary)}</p>' if chart and chart.summary else ""
        )
        first, second = (figure, grid) if css == "grant_map" else (grid, figure)
        return (
            f'<section class="{css} page"><h2>{escape(section.title)}</h2>'
            f'<div class="split {css}"><div>{first}</div><div>{second}{summary}</div></div>'
            f"{_source(section)}</section>"
        )

    return render


def _findings(pack: Pack, section: Section, images: dict[str, bytes]) -> str:
    summary, *lines = section.lines
    return (
        f'<section class="findings keep"><h2>{escape(section.title)}</h2>'
        f"<p>{escape(summary)}</p>{_lines(lines) if lines else ''}</section>"
    )


def _sources(pack: Pack, section: Section, images: dict[str, bytes]) -> str:
    return (
        f'<section class="sources keep"><h2>{escape(section.title)}</h2>{_lines(section.lines)}'
        f"{_sample_box(pack)}</section>"
    )


SECTIONS = {
    "summary": _summary,
    "trajectory": _trajectory,
    "bureaus": _chart_with_table("bureaus"),  # the page after the summary
    "grant_map": _chart_with_table("grant_map"),
    "findings": _findings,
    "sources": _sources,
}


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


def _data_table(frame: pd.DataFrame) -> str:
    frame = unknowns_as_text(frame)  # a count with unknown rows: 「45（ほか不明4）」
    headers = [str(column) for column in frame.columns]
    decimals = [_decimals(frame.iloc[:, i]) for i in range(len(headers))]
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    rows = "".join(
        "<tr>" + "".join(_cell(v, h, d) for v, h, d in zip(row, headers, decimals, strict=True))
        + "</tr>"
        for row in frame.itertuples(index=False, name=None)
    )  # fmt: skip
    if frame.empty:
        rows = f'<tr><td class="na" colspan="{max(len(headers), 1)}">{NO_DATA}</td></tr>'
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _appendix_pages(table: Table) -> list[str]:
    """A long table on even pages (no page of a few orphan rows), its note on the last one."""
    frame = table.printed
    parts = balanced_parts(len(frame), rows_per_page(frame))
    pages = []
    for number, (start, stop) in enumerate(parts, 1):
        suffix = f"（{number}/{len(parts)}）" if len(parts) > 1 else ""
        note = (
            f'<p class="note">{escape(table.note)}</p>'
            if table.note and number == len(parts)
            else ""
        )
        pages.append(
            f'<section class="appendix page"><h2>付録: {escape(table.title)}{suffix}</h2>'
            f"{_data_table(frame.iloc[start:stop])}{note}</section>"
        )
    return pages


def rows_per_page(frame: pd.DataFrame) -> int:
    """Rows that fit an A4 landscape page: fewer when a cell's text wraps."""
    longest = max((len(str(v)) for column in frame.columns for v in frame[column]), default=0)
    return PAGE_ROWS_WRAPPED if longest > SHORT_TEXT * 3 else PAGE_ROWS


def html_to_pdf(html: str, chromium: str, timeout_s: float = TIMEOUT_S) -> bytes:
    """Print an HTML document to PDF with headless Chromium: in the browser kept for the chart
    images when it is this Chromium (no start-up), else in a throwaway one with its own profile
    (also when the kept one fails: that one's errors say what went wrong)."""
    if not (Path(chromium).is_file() or shutil.which(chromium)):
        raise ExportError(f"PDF を作成できません: Chromium が見つかりません（{chromium}）")
    with tempfile.TemporaryDirectory(prefix="kyoten-pdf-", ignore_cleanup_errors=True) as tmp:
        page, out, log = Path(tmp) / "pack.html", Path(tmp) / "pack.pdf", Path(tmp) / "chromium.log"
        page.write_text(html, encoding="utf-8")
        try:
            printed = print_pdf(page, chromium, timeout_s)
        except TimeoutError as error:
            raise ExportError(
                f"PDF を作成できません: Chromium（{chromium}）が {timeout_s:.0f} 秒以内に終わりませんでした"
            ) from error
        except Exception as error:  # noqa: BLE001 - a throwaway browser tries again below
            logging.getLogger(__name__).warning("the kept browser could not print (%r)", error)
            printed = None
        if printed:
            return printed
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
