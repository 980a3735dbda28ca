"""Rendering pieces every page uses: the header with the sample label and as-of, chart blocks
with caption, table and CSV download, and the empty state."""

from __future__ import annotations

import collections
import datetime as dt
import functools
import json
import math
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
import streamlit as st
from plotly.basedatatypes import BaseFigure

from dashboard.charts import describe
from dashboard.export.xlsx_pack import view_workbook
from dashboard.filters import Filters, ProfileOption, scope_text
from dashboard.formatting import (
    JST,
    NO_DATA,
    latest_list_text,
    md_escape,
    to_csv_bytes,
    unknowns_as_text,
    updated_text,
)
from dashboard.metrics import Card
from dashboard.ui.cache import load
from dashboard.ui.state import csv_encoding, link_warnings
from dashboard.views.pack import Table

SAMPLE_NOTICE = (
    "サンプルデータ（架空）を表示しています。拠点数・地域運営組織数の合計は公表値と一致しますが、"
    "個々の拠点・地区・補助金は架空です。実データの取り込み方法は README を参照してください。"
)
PLOTLY_CONFIG = {
    # No toolbar: its eight English buttons were tab stops without Japanese names; every chart
    # has its table and CSV beside it, and the PPTX/PDF carry the images.
    "displayModeBar": False,
    "displaylogo": False,
    "locale": "ja",
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


T = TypeVar("T")


class PerObject:
    """A value derived from an object the views share by every rerun (figures and tables cached
    per build and filters), made once per object: keyed by id, checked against a weak reference
    (an id can be reused once its object is gone), forgotten with its object, at most the last
    `kept` remembered."""

    def __init__(self, kept: int = 256):
        self._kept = kept
        self._known: collections.OrderedDict[int, tuple[weakref.ref, object]] = (
            collections.OrderedDict()
        )
        # Sessions rerun in threads of one process. Reentrant: the garbage collector may run a
        # forget callback in a thread that already holds the lock.
        self._lock = threading.RLock()

    def _forget(self, key: int, ref: weakref.ref) -> None:
        with self._lock:
            known = self._known.get(key)
            if known is not None and known[0] is ref:
                del self._known[key]

    def get(self, source: object, make: Callable[[object], T]) -> T:
        with self._lock:
            known = self._known.get(id(source))
            if known is not None and known[0]() is source:
                self._known.move_to_end(id(source))
                return known[1]
        value = make(source)
        with self._lock:
            key = id(source)
            self._known[key] = (weakref.ref(source, lambda ref: self._forget(key, ref)), value)
            while len(self._known) > self._kept:
                self._known.popitem(last=False)
        return value


@functools.cache
def page_script() -> str:
    """lang="ja", Japanese for Streamlit's English labels, chart names, a narrow-screen sidebar
    (ui/page.js, static: no data in it)."""
    # Streamlit joins the lines of st.html and parses it as HTML: the script has /* */ comments
    # only, and no tag-like text in them.
    return (
        "<script>" + (Path(__file__).parent / "page.js").read_text(encoding="utf-8") + "</script>"
    )


def page_header(title: str, filters: Filters, option: ProfileOption) -> None:
    """Title, the scope of the view, link warnings, the sample label and the data's as-of."""
    st.session_state["_page_tables"] = []  # the tables this run shows, for the page's Excel file
    st.session_state["_page_title"] = title
    st.html(f"<style>{app_stylesheet()}</style>")  # static, no data in it
    # The pages are Japanese: screen readers need <html lang="ja"> and Japanese labels (Streamlit
    # serves "en" and English labels and offers no setting for either).
    st.html(page_script(), unsafe_allow_javascript=True)
    st.title(title)
    for warning in link_warnings():
        st.warning(warning, icon=":material/link_off:")
    info = load("build_info").iloc[0]
    if bool(info["is_sample"]):
        st.info(SAMPLE_NOTICE, icon=":material/science:")
    listed = latest_list_text(load("survey_years", pref=option.pref_code), filters.to_fy)
    st.caption(
        f"{md_escape(scope_text(filters, option))}  \n{listed} ／ {updated_text(info, with_time=True)}"
    )


def file_name(stem: str, filters: Filters, suffix: str = "csv") -> str:
    bureaus = "-".join(filters.bureaus) if filters.bureaus else "全域"
    return f"{stem}_{filters.profile}_{bureaus}_{dt.date.today():%Y%m%d}.{suffix}"


def download_csv(table: pd.DataFrame, stem: str, filters: Filters, key: str) -> None:
    st.download_button(
        "CSVをダウンロード",
        functools.partial(to_csv_bytes, table, csv_encoding()),  # built on click only
        file_name=file_name(stem, filters),
        mime="text/csv",
        key=f"dl_{key}",
        on_click="ignore",
        icon=":material/download:",
    )


def table_block(table: pd.DataFrame, stem: str, filters: Filters, key: str, label: str = "表を見る",
                expanded: bool = False) -> None:  # fmt: skip
    """The table behind a chart (values rendered as text) with its CSV download. On screen a
    count with unknown rows reads 「45（ほか不明4）」; the CSV and Excel files keep both numbers."""
    st.session_state.setdefault("_page_tables", []).append(Table(stem[:31], stem, table))
    with st.expander(label, expanded=expanded):
        shown, formats = _SHOWN.get(table, _shown)
        st.dataframe(shown, hide_index=True, width="stretch", placeholder=NO_DATA,
                     column_config=formats)  # fmt: skip
        download_csv(table, stem, filters, key)


def _shown(table: pd.DataFrame) -> tuple[pd.DataFrame | pa.Table, dict[str, object]]:
    """The table as the screen shows it, with its number formats (Streamlit only reads both),
    as the Arrow table `st.dataframe` would convert it to on every rerun (the same call: one type
    per column, the index as metadata); a frame Arrow refuses is left to Streamlit's fixes."""
    shown = _one_type_per_column(unknowns_as_text(table))
    formats = number_formats(shown)
    try:
        return pa.Table.from_pandas(shown, preserve_index=None), formats
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        return shown, formats


_SHOWN = PerObject()  # _shown(table): a table on screen


def _one_type_per_column(table: pd.DataFrame) -> pd.DataFrame:
    """A column mixing numbers and words (a count, blank where not applicable) shown as text:
    the browser table takes one type per column (Arrow), so it need not guess on every rerun."""
    mixed = [c for c in table.columns
             if table[c].dtype == object and pd.api.types.infer_dtype(table[c], skipna=True).startswith("mixed")]  # fmt: skip
    if not mixed:
        return table
    out = table.copy()
    for column in mixed:
        out[column] = [v if isinstance(v, str) or v is None else f"{v:,}" if isinstance(v, int) else str(v)
                       for v in out[column]]  # fmt: skip
    return out


def number_formats(table: pd.DataFrame) -> dict[str, object]:
    """Thousands separators for money and counts on screen (the files keep plain numbers)."""
    return {
        column: st.column_config.NumberColumn(format="localized")
        for column in table.columns
        if pd.api.types.is_numeric_dtype(table[column]) and not str(column).startswith("年度")
    }


SUMMARY_CHARS = 400  # a longer text summary points to the table instead
LABEL_SCRIPT = (
    "<script>Object.assign(window.kyotenChartLabels = window.kyotenChartLabels || {}, %s);</script>"
)


_SUMMARIES = PerObject()  # describe(figure): the chart's values in words


class FrozenFigure(BaseFigure):
    """A figure as `st.plotly_chart` reads it: the figure's `to_dict()`, made once. Streamlit asks
    a figure for nothing but `to_dict()`, which copies every trace and encodes its arrays (most
    of what a chart cost a rerun); a view's figures never change once built, so the dict is
    shared by every rerun and session (Streamlit only serialises it)."""

    def __init__(self, figure: go.Figure):  # not BaseFigure's: nothing here is validated again
        self._spec = figure.to_dict()

    def to_dict(self) -> dict:
        return self._spec


_FROZEN = PerObject()  # FrozenFigure(figure): what st.plotly_chart is given


def chart(
    figure: go.Figure, name: str, key: str, caption: str = "", summary: str | None = None
) -> None:
    """A chart people can use without seeing it: a figure with an accessible name (role figure),
    its source caption and its values in words (the table and CSV follow in `chart_block`)."""
    text = _SUMMARIES.get(figure, describe) if summary is None else summary
    if len(text) > SUMMARY_CHARS:
        text = text[:SUMMARY_CHARS].rsplit("、", 1)[0] + "…（すべての値は「表を見る」に）"
    box = f"chart_{key}"
    with st.container(key=box):
        shown = _FROZEN.get(figure, FrozenFigure)
        st.plotly_chart(shown, key=f"plot_{key}", config=PLOTLY_CONFIG, width="stretch")
        if caption:
            st.caption(md_escape(caption))
        if text:  # on screen for people who cannot see the chart; paper shows the chart itself
            st.container(key=f"summary_{key}").caption(md_escape(f"グラフの内容: {text}"))
        st.html(
            LABEL_SCRIPT % json.dumps({box: name}, ensure_ascii=False), unsafe_allow_javascript=True
        )


def chart_block(figure: go.Figure, table: pd.DataFrame, caption: str, stem: str, filters: Filters,
                key: str) -> None:  # fmt: skip
    chart(figure, stem, key, caption)
    table_block(table, stem, filters, key)


def page_excel(filters: Filters, option: ProfileOption, headlines: list[Card] | None = None,
               grade: str = "", grade_text: list[str] | None = None) -> None:  # fmt: skip
    """One download with every table the page showed, one sheet each (same rules as the pack),
    with the page's headline cards and judgement when it has them."""
    tables = st.session_state.get("_page_tables", [])
    if not tables:
        return
    title = st.session_state.get("_page_title", "表")
    info = load("build_info").iloc[0]
    build = functools.partial(view_workbook, f"小さな拠点モニター {title}", option, filters, scope_text(filters, option),
                              updated_text(info), bool(info["is_sample"]), list(tables), dt.datetime.now(JST),
                              headlines or [], grade, [t for t in grade_text or [] if t])  # fmt: skip
    st.download_button(f"この画面の表（{len(tables)}表）を Excel でダウンロード", build,
                       file_name=file_name(f"小さな拠点モニター_{title}", filters, "xlsx"),
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key="dl_page_excel", on_click="ignore", icon=":material/table_view:")  # fmt: skip


def metric_cards(cards: list[Card]) -> None:
    """The headline numbers side by side, at most four to a row (five make rows of three and
    two), so that a label with its scope and the value fit without being cut."""
    if not cards:
        return
    rows = math.ceil(len(cards) / 4)
    per_row = math.ceil(len(cards) / rows)
    for start in range(0, len(cards), per_row):
        row = cards[start : start + per_row]
        for column, card in zip(st.columns(per_row), row, strict=False):
            column.metric(card.label, card.value, card.delta, help=card.help, border=True)


@functools.cache
def print_stylesheet() -> str:
    """Our static print stylesheet (A4 landscape, no sidebar or buttons), read once."""
    return (Path(__file__).parent / "print.css").read_text(encoding="utf-8")


@functools.cache
def app_stylesheet() -> str:
    """Our static screen stylesheet (cards that wrap instead of cutting), read once."""
    return (Path(__file__).parent / "app.css").read_text(encoding="utf-8")


def empty_state(message: str) -> None:
    st.info(message, icon=":material/info:")
