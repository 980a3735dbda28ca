"""KPI judgement: the target path, the status grade, the trend forecast and the national index.

Pure functions on plain numbers and frames; the overview page writes each rule out for readers.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd

from core.vocabulary import fiscal_year_of
from dashboard.formatting import fy_label

# Two-sided 80% prediction intervals: the 0.90 quantile of Student's t by degrees of freedom.
T90 = {1: 3.078, 2: 1.886, 3: 1.638, 4: 1.533, 5: 1.476, 6: 1.440, 7: 1.415, 8: 1.397, 9: 1.383,
       10: 1.372, 12: 1.356, 15: 1.341, 20: 1.325, 30: 1.310}  # fmt: skip
CAUTION_SHARE = 0.8  # below the path but at least 80% of the increase it asks for: 要注意

GRADE_RULE = (
    "判定は、基準年の値から目標年の目標値までを直線で結んだ「目標経路」と最新の実績を比べます。"
    "実績が目標値以上なら「達成」、その年の経路の値以上なら「順調」、"
    "基準年から経路までの増加分の80%以上なら「要注意」、それ未満なら「遅れ」、実績がなければ「データなし」。"
)
FORECAST_RULE = (
    "トレンド予測は、年ごとの実績（公表値を優先し、なければ拠点一覧から数えた値）に最小二乗法で直線を当てはめ、"
    "目標年まで延ばしたものです。帯は80%予測区間（実績が2点以下なら帯は示しません）。"
)


@dataclass(frozen=True)
class Target:
    """The straight path from the base value to the target value (the base is the profile's, or
    the first actual value when the profile names none)."""

    base_year: int
    base_value: int
    target_year: int
    target_value: int

    def path_value(self, year: int) -> float:
        span = self.target_year - self.base_year
        step = (self.target_value - self.base_value) / span if span else 0.0
        return self.base_value + step * (year - self.base_year)

    def path(self) -> pd.DataFrame:
        years = list(range(self.base_year, self.target_year + 1))
        return pd.DataFrame({"fiscal_year": years, "value": [self.path_value(y) for y in years]})


@dataclass(frozen=True)
class Grade:
    label: str  # 達成 / 順調 / 要注意 / 遅れ / データなし
    year: int | None
    actual: int | None
    expected: float | None
    explanation: str


def actual_values(
    kpi: pd.DataFrame, pref: str, indicator: str, to_fy: int | None = None
) -> pd.DataFrame:
    """The kpi_actual rows of one prefecture and indicator, by year (up to `to_fy` when given):
    the one actual value per year the warehouse defines (published first, else the survey list,
    with the rows a partial count leaves out in `unknown_rows`)."""
    rows = kpi[(kpi["pref_code"] == pref) & (kpi["indicator"] == indicator)]
    if to_fy is not None:
        rows = rows[rows["fiscal_year"] <= to_fy]
    return rows.sort_values("fiscal_year").reset_index(drop=True)


NO_TARGET = "目標なし"


def grade(series: pd.DataFrame, target: Target | None) -> Grade:
    """The status grade of the latest actual value against the straight target path; without a
    target (none set in the profile) the progress is shown, not judged."""
    if target is None:
        latest = series.iloc[-1] if len(series) else None
        year = None if latest is None else int(latest["fiscal_year"])
        actual = None if latest is None else int(latest["value"])
        text = ("目標が設定されていないため、判定しません（プロファイルの [kpi] に target_year と "
                "target_value を書くと判定します）。")  # fmt: skip
        return Grade(NO_TARGET, year, actual, None, text)
    if series.empty:
        return Grade("データなし", None, None, None, "実績がありません。")
    latest = series.iloc[-1]
    year, actual = int(latest["fiscal_year"]), int(latest["value"])
    expected = target.path_value(year)
    unknown = int(latest["unknown_rows"]) if "unknown_rows" in series.columns else 0
    if unknown > 0:  # a partial count is graded as the lower bound it is, and says so
        found = grade(series.assign(unknown_rows=0), target)
        note = f"実績は拠点一覧の不明の{unknown}行を含まない値です。"
        return Grade(found.label, year, actual, expected, found.explanation + note)
    if actual >= target.target_value:
        return Grade(
            "達成", year, actual, expected, f"実績{actual}は目標値{target.target_value}以上です。"
        )
    if actual >= expected:
        return Grade(
            "順調", year, actual, expected, f"実績{actual}は目標経路の{expected:.1f}以上です。"
        )
    asked = expected - target.base_value
    achieved = actual - target.base_value
    if asked > 0 and achieved >= CAUTION_SHARE * asked:
        text = f"実績{actual}は目標経路の{expected:.1f}を下回りますが、必要な増加分の{achieved / asked:.0%}です。"
        return Grade("要注意", year, actual, expected, text)
    share = f"（必要な増加分の{max(achieved, 0) / asked:.0%}）" if asked > 0 else ""
    return Grade(
        "遅れ",
        year,
        actual,
        expected,
        f"実績{actual}は目標経路の{expected:.1f}を下回ります{share}。",
    )


def current_fiscal_year(today: dt.date | None = None) -> int:
    """The fiscal year (April–March) of today, against which data is old and targets are past."""
    return fiscal_year_of(today or dt.date.today())


def age_note(year: int | None, current_fy: int) -> str:
    """「令和4年度 (2022)の実績（2年度前）による判定です。」 for data older than last year."""
    if year is None or current_fy - year <= 1:
        return ""
    return f"{fy_label(year)}の実績（{current_fy - year}年度前のデータ）によります。"


def outlook_text(series: pd.DataFrame, forecast: pd.DataFrame, target: Target | None,
                 current_fy: int) -> str:  # fmt: skip
    """The one sentence on where the count is heading, the same on every page: a forecast for a
    target year still ahead; for a target year already reached, what the actuals say."""
    if target is None:
        return "目標が設定されていないため、目標年度の見通しは示しません。"
    reached_year = len(series) and int(series.iloc[-1]["fiscal_year"]) >= target.target_year
    if target.target_year < current_fy or reached_year:
        if series.empty:
            return f"目標年度（{fy_label(target.target_year)}）を過ぎています。実績はありません。"
        last = series[series["fiscal_year"] <= target.target_year]
        last = series.iloc[[0]] if last.empty else last
        row = last.iloc[-1]
        reached = "達成しました" if row["value"] >= target.target_value else "達成していません"
        return (f"目標年度（{fy_label(target.target_year)}）を過ぎています。{fy_label(int(row['fiscal_year']))}の"
                f"実績{int(row['value'])}拠点で、目標{target.target_value}拠点を{reached}。"
                + age_note(int(row["fiscal_year"]), current_fy))  # fmt: skip
    at_target = forecast[forecast["fiscal_year"] == target.target_year]
    if at_target.empty:
        return "実績が2年度分に満たないため、トレンド予測はできません。"
    row = at_target.iloc[0]
    verdict = "目標に届く見込み" if row["value"] >= target.target_value else "目標に届かない見込み"
    band = "" if pd.isna(row["low"]) else f"（80%予測区間 {row['low']:.1f}～{row['high']:.1f}）"
    latest = int(series.iloc[-1]["fiscal_year"]) if len(series) else None
    return (f"トレンド予測: {fy_label(target.target_year)}に{row['value']:.1f}拠点{band}。{verdict}"
            f"（目標{target.target_value}拠点）。" + age_note(latest, current_fy))  # fmt: skip


def _t90(dof: int) -> float:
    eligible = [d for d in T90 if d <= dof]
    return T90[max(eligible)] if eligible else T90[1]


def trend_forecast(series: pd.DataFrame, until_year: int) -> pd.DataFrame:
    """Least-squares line through the actual points, from the last actual year to until_year,
    with an 80% prediction band (NaN when there are too few points for one)."""
    years = series["fiscal_year"].astype(float).tolist()
    values = series["value"].astype(float).tolist()
    n = len(years)
    columns = ["fiscal_year", "value", "low", "high"]
    if n < 2 or len(set(years)) < 2:
        return pd.DataFrame(columns=columns)
    mean_x, mean_y = sum(years) / n, sum(values) / n
    sxx = sum((x - mean_x) ** 2 for x in years)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(years, values, strict=True)) / sxx
    intercept = mean_y - slope * mean_x
    residual = [y - (intercept + slope * x) for x, y in zip(years, values, strict=True)]
    dof = n - 2
    sigma = math.sqrt(sum(r * r for r in residual) / dof) if dof > 0 else None
    rows = []
    for year in range(int(years[-1]), until_year + 1):
        fit = intercept + slope * year
        if sigma is None:
            low = high = float("nan")
        else:
            half = _t90(dof) * sigma * math.sqrt(1 + 1 / n + (year - mean_x) ** 2 / sxx)
            low, high = fit - half, fit + half
        rows.append((year, fit, low, high))
    return pd.DataFrame(rows, columns=columns)


def national_index(
    kpi: pd.DataFrame, pref: str, indicator: str = "hubs_total"
) -> tuple[pd.DataFrame, int | None]:
    """Prefecture and national series indexed to 100 in the latest year both have a value."""
    own = actual_values(kpi, pref, indicator)
    nation = actual_values(kpi, "00", indicator)
    common = sorted(set(own["fiscal_year"]) & set(nation["fiscal_year"]))
    if not common:
        return pd.DataFrame(columns=["series", "fiscal_year", "index", "value"]), None
    base = common[-1]
    parts = []
    for label, frame in (("県", own), ("全国", nation)):
        base_value = float(frame.loc[frame["fiscal_year"] == base, "value"].iloc[0])
        parts.append(
            frame.assign(series=label, index=frame["value"].astype(float) / base_value * 100)
        )
    out = pd.concat(parts, ignore_index=True)[["series", "fiscal_year", "index", "value"]]
    return out, base


def annual_growth(series: pd.DataFrame) -> float | None:
    """Average yearly growth between the first and last actual value (compound), in percent."""
    if len(series) < 2:
        return None
    first, last = series.iloc[0], series.iloc[-1]
    years = int(last["fiscal_year"]) - int(first["fiscal_year"])
    if years <= 0 or float(first["value"]) <= 0:
        return None
    return ((float(last["value"]) / float(first["value"])) ** (1 / years) - 1) * 100


def target_from(profile: pd.Series, series: pd.DataFrame) -> Target | None:
    """The profile's target (None when none is set); a profile without a base starts the path
    at the first actual value of the graded series (or at the target itself without one)."""
    if pd.isna(profile["target_year"]):
        return None
    year, value = int(profile["target_year"]), int(profile["target_value"])
    if not pd.isna(profile["base_year"]):
        return Target(int(profile["base_year"]), int(profile["base_value"]), year, value)
    if len(series):
        return Target(int(series.iloc[0]["fiscal_year"]), int(series.iloc[0]["value"]), year, value)
    return Target(year, value, year, value)
