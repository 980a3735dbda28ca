"""The metric catalogue: every figure shown to users, defined once.

Each `Metric` gives an id, the Japanese label, the unit, the kind (a stock as of a year, a flow
over a period, a ratio), how the filters apply and the mart it is read from. A view returns
`Reading`s — typed values: number, unknown rows, the years it stands for, 時点, source, change —
and `Card` renders one for people and for files. Cards, the briefing, the CSV and Excel
downloads, the PPTX and the PDF all take their label, value and unit from here, so one metric
shows the same on every surface; nothing finds a value by its label.

To add a KPI: a `Metric` here, its SQL (a column or indicator of a mart under etl/sql/marts/),
and the view that reads it (see README「指標を追加するとき」).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from dashboard.formatting import (
    NO_DATA,
    count_with_unknown,
    fy_label,
    fy_range_label,
    fy_short,
    is_missing,
    money_text,
    share_note,
    share_text,
    unknown_note,
)

STOCK, FLOW, RATIO = "stock", "flow", "ratio"
KIND_LABELS = {
    STOCK: "ストック（時点の値）",
    FLOW: "フロー（期間の合計）",
    RATIO: "比率（時点の値）",
}


@dataclass(frozen=True)
class Metric:
    id: str
    label: str  # the Japanese name; the scope (place, years) is added when shown
    unit: str  # 拠点 / 組織 / % / 千円 / 件
    kind: str  # STOCK, FLOW or RATIO
    period_rule: str  # how the year filter applies, in Japanese
    bureau_rule: str  # how the bureau filter applies, in Japanese
    source: str  # the mart (and indicator or column) it is read from
    digits: int = 0


PREFECTURE_ONLY = "県全体の値（振興局を選んでも変わりません。振興局別の値は「選択地域の」指標）"
STOCK_RULE = "選択した期間の末年度以前で最新の実績（公表値を優先し、なければ拠点一覧から数えた値）"
SELECTION_STOCK_RULE = "選択した期間の末年度以前で最新の拠点一覧から数えた値"
SELECTED = "選択した振興局の合計（選択なしは県全体）"
NATIONAL_RULE = "全国の公表値のうち最新の年度の値（選択した期間によらない）"
NATIONAL_ONLY = "全国の値（都道府県・振興局を選んでも変わりません）"

CATALOGUE: dict[str, Metric] = {m.id: m for m in (
    Metric("hubs_total", "拠点数", "拠点", STOCK, STOCK_RULE, PREFECTURE_ONLY,
           "kpi_actual（indicator = hubs_total）。目標があれば profiles.target_value と並べ「/ 目標」を付ける"),
    Metric("rmo_in_hubs", "地域運営組織", "組織", STOCK, STOCK_RULE, PREFECTURE_ONLY,
           "kpi_actual（indicator = rmo_in_hubs）"),
    Metric("rmo_share_pct", "組織のある拠点の割合", "%", RATIO,
           STOCK_RULE + "。地域運営組織の有無が分かる拠点に対する割合", PREFECTURE_ONLY,
           "kpi_actual（indicator = rmo_share_pct）", digits=1),
    Metric("selection_hubs", "拠点数", "拠点", STOCK, SELECTION_STOCK_RULE, SELECTED,
           "hub_counts.hubs"),
    Metric("selection_rmo", "地域運営組織", "組織", STOCK, SELECTION_STOCK_RULE, SELECTED,
           "hub_counts.hubs_with_rmo"),
    Metric("selection_rmo_share_pct", "組織のある拠点の割合", "%", RATIO,
           SELECTION_STOCK_RULE + "。地域運営組織の有無が分かる拠点に対する割合", SELECTED,
           "hub_counts（hubs_with_rmo ÷ (hubs − rmo_unknown)）", digits=1),
    Metric("grant_spend_period", "補助金額", "千円", FLOW,
           "選択した期間の合計（取下げを除く。金額未定の件は含めず件数を併記）", SELECTED,
           "grant_spend.grant_yen"),
    Metric("grant_spend_year", "補助金額", "千円", FLOW,
           "選択した期間の末年度の合計と前年度比（取下げを除く）", SELECTED, "grant_spend.grant_yen"),
    Metric("grant_municipalities", "補助のある市町村", "市町村", FLOW,
           "選択した期間に補助金（金額の分かるもの）のある市町村の数", SELECTED, "grant_spend（市町村ごとの合計 > 0）"),
    Metric("rule_errors", "規則違反", "件", FLOW, "選択した期間の補助金記録への指摘", SELECTED,
           "rule_findings（severity = error）"),
    Metric("rule_advice", "助言", "件", FLOW, "選択した期間の補助金記録への指摘", SELECTED,
           "rule_findings（severity = advice）"),
    Metric("national_hubs", "全国の拠点数", "拠点", STOCK, NATIONAL_RULE, NATIONAL_ONLY,
           "kpi_actual（pref_code = 00、indicator = hubs_total）"),
    Metric("national_rmo", "全国の地域運営組織", "組織", STOCK, NATIONAL_RULE, NATIONAL_ONLY,
           "kpi_actual（pref_code = 00、indicator = rmo_in_hubs）"),
    Metric("national_rmo_share_pct", "全国の組織のある拠点の割合", "%", RATIO,
           NATIONAL_RULE + "。地域運営組織のある拠点数 ÷ 拠点数", NATIONAL_ONLY,
           "kpi_actual（pref_code = 00、indicator = rmo_share_pct）", digits=1),
)}  # fmt: skip


@dataclass(frozen=True)
class Figure:
    """A value for files: the number and a spreadsheet format that shows it as the card does
    (Excel keeps a number, never the text 「59 / 60拠点」 or 「'+4拠点」)."""

    number: float
    excel_format: str

    @classmethod
    def count(cls, number: float, suffix: str, digits: int = 0) -> Figure:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return cls(float(number), f'{pattern}"{suffix}"')

    @classmethod
    def change(cls, number: float, suffix: str, digits: int = 0) -> Figure:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return cls(float(number), f'+{pattern}"{suffix}";-{pattern}"{suffix}";{pattern}"{suffix}"')


@dataclass(frozen=True)
class Reading:
    """One metric's value for one scope, as typed fields (no text)."""

    metric: str  # a CATALOGUE id
    value: float | None  # None: unknown (データなし); money in yen
    year: int | None = None  # the year the value stands for (a stock's year, a flow's last)
    from_fy: int | None = None  # a flow's first year
    where: str = ""  # the bureaus it covers; "" for the whole prefecture
    unknown: int = 0  # rows the value leaves out because their status is unknown
    target: int | None = None  # a count's target (hubs_total)
    as_of: str | None = None
    source: str | None = None
    note: str = ""  # a fact about the value, in Japanese (e.g. 取下げを除く)
    change: float | None = None
    change_base_fy: int | None = None
    change_partial: bool = False


def _period(reading: Reading, metric: Metric) -> str:
    if reading.year is None:
        return ""
    if metric.kind == FLOW and reading.from_fy is not None and reading.from_fy != reading.year:
        return f"{fy_range_label(reading.from_fy, reading.year)}の累計"
    return fy_label(reading.year)


def _money_thousands(value_yen: float) -> float:
    """Yen as a whole number of 千円, rounded half up exactly as `money_text` shows it."""
    return float((Decimal(str(value_yen)) / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Card:
    """A reading rendered: the label with its scope, the value and its change, for the screen;
    `figure` and `delta_figure` the same as numbers for spreadsheets."""

    reading: Reading

    @property
    def metric(self) -> str:
        return self.reading.metric

    @property
    def definition(self) -> Metric:
        return CATALOGUE[self.reading.metric]

    @property
    def label(self) -> str:
        """The catalogue's label, 「 / 目標」 when the value stands against a target, and the
        scope it was computed for: 「拠点数 / 目標（令和6年度 (2024)）」."""
        name = self.definition.label + (" / 目標" if self.reading.target is not None else "")
        parts = (self.reading.where, _period(self.reading, self.definition))
        scope = "・".join(p for p in parts if p)
        return f"{name}（{scope}）" if scope else name

    @property
    def value(self) -> str:
        r, m = self.reading, self.definition
        if is_missing(r.value):
            return NO_DATA
        if m.unit == "千円":
            return money_text(r.value)
        if m.unit == "%":
            return share_text(r.value, r.unknown, m.digits)
        if r.target is not None:
            return f"{int(r.value):,} / {r.target:,}{m.unit}{unknown_note(r.unknown)}"
        return count_with_unknown(r.value, r.unknown, m.unit)

    def _change_suffix(self) -> str:
        r, m = self.reading, self.definition
        unit = "ポイント" if m.unit == "%" else m.unit
        partial = "、不明を除く" if r.change_partial else ""
        return f"{unit}（{fy_short(r.change_base_fy)}比{partial}）"

    def _change_number(self) -> float | None:
        r, m = self.reading, self.definition
        if r.change is None or r.change_base_fy is None or is_missing(r.change):
            return None
        if m.unit == "千円":
            return _money_thousands(r.change)
        return round(float(r.change), m.digits)

    @property
    def delta(self) -> str | None:
        number = self._change_number()
        if number is None:
            return None
        digits = self.definition.digits
        return f"{number:+,.{digits}f}{self._change_suffix()}"

    @property
    def help(self) -> str:
        """Where the value comes from: a stock's year, 時点 and source; a flow's period and
        source; then any note."""
        r, m = self.reading, self.definition
        parts = []
        if r.source and m.kind == FLOW:
            parts.append(f"{r.source}（{_period(r, m)}）" if r.year is not None else r.source)
        elif r.source:
            year = fy_label(r.year) if r.year is not None else None
            parts.append("・".join(p for p in (year, r.as_of or "時点不明", r.source) if p))
        if r.note:
            parts.append(r.note)
        return "。".join(parts)

    @property
    def figure(self) -> Figure | None:
        r, m = self.reading, self.definition
        if is_missing(r.value):
            return None
        if m.unit == "千円":
            return Figure.count(_money_thousands(r.value), "千円")
        if m.unit == "%":
            return Figure.count(
                round(float(r.value), m.digits), "%" + share_note(r.unknown), m.digits
            )
        if r.target is not None:
            return Figure.count(r.value, f" / {r.target:,}{m.unit}{unknown_note(r.unknown)}")
        return Figure.count(r.value, m.unit + unknown_note(r.unknown))

    @property
    def delta_figure(self) -> Figure | None:
        number = self._change_number()
        if number is None:
            return None
        return Figure.change(number, self._change_suffix(), self.definition.digits)
