"""Sources as people cite them: one readable line per dataset (publisher, title, 時点).

File names and build ids stay on the データ page; a slide or a printed page names the survey, the
grant records and the published figures it shows."""

from __future__ import annotations

import re

from dashboard.filters import Filters, ProfileOption
from dashboard.formatting import fy_label, fy_range_label, is_missing
from dashboard.views import Loader

SURVEY = "内閣府「小さな拠点の形成に関する実態調査」"
SAMPLE_MARK = "【サンプルデータ（架空）】"
_DETAIL = re.compile(r"\s*[(（:：]")


def source_title(source: object) -> str:
    """The publisher and title of a published figure's source, without its detail:
    「内閣府「令和6年度…調査」 (本県では47団体; …)」 → 「内閣府「令和6年度…調査」」."""
    text = "" if is_missing(source) else str(source).strip()
    match = _DETAIL.search(text)
    detail = match.start() if match else len(text)
    opening = text.find("「")
    if 0 <= opening < detail and "」" in text[opening:]:  # a quoted title may hold brackets
        return text[: text.index("」", opening) + 1].strip()
    return text[:detail].strip()


def published_lines(load: Loader, option: ProfileOption, to_fy: int | None) -> list[str]:
    """The prefecture's published figures up to the end of the period (and its target), one line
    per source title with its latest 時点, oldest first."""
    rows = load("sources", pref=option.pref_code)
    rows = rows[rows["pref_code"] == option.pref_code]
    if to_fy is not None:
        rows = rows[(rows["kind"] == "target") | (rows["fiscal_year"] <= to_fy)]
    rows = rows.assign(title=rows["source"].map(source_title))
    rows = rows[rows["title"] != ""]
    lines = []
    for title, group in rows.groupby("title", sort=False):
        dates = group["as_of"].dropna().astype(str)
        actual = group[group["kind"] != "target"]
        if len(dates):
            when = f"{dates.max()}時点"
        elif len(actual):
            when = fy_label(int(actual["fiscal_year"].max()))
        else:
            when = f"目標 {fy_label(int(group['fiscal_year'].max()))}"
        lines.append((str(dates.max()) if len(dates) else "", f"公表値: {title}（{when}）"))
    return [line for _, line in sorted(lines, key=lambda pair: pair[0])]


def survey_line(load: Loader, option: ProfileOption, to_fy: int | None) -> str | None:
    """The hub lists behind the counts: survey, prefecture, the years read and the latest 時点."""
    years = load("survey_years", pref=option.pref_code)
    if to_fy is not None:
        years = years[years["fiscal_year"] <= to_fy]
    if years.empty:
        return None
    first, last = int(years["fiscal_year"].min()), int(years["fiscal_year"].max())
    span = fy_label(last) if first == last else f"{len(years)}回分（{fy_range_label(first, last)}）"
    latest = years.iloc[-1]["as_of"]
    sample = SAMPLE_MARK if bool(years["is_sample"].all()) else ""
    return f"拠点一覧: {SURVEY} {option.pref_name}分 {span}、最新 {latest}時点{sample}"


def grants_line(load: Loader, option: ProfileOption, filters: Filters) -> str | None:
    """The grant records: the prefecture's programmes, the selected years and the record count."""
    files = load("grant_sources", pref=option.pref_code)
    if files.empty:
        return None
    programs = load("programs", pref=option.pref_code)
    names = "・".join(programs["program_name"]) if len(programs) else "補助事業"
    first, last = int(files["first_fy"].min()), int(files["last_fy"].max())
    if filters.from_fy is not None and filters.to_fy is not None:
        first, last = max(first, filters.from_fy), min(last, filters.to_fy)
    span = fy_range_label(first, last) if first <= last else "選択した年度に記録なし"
    sample = SAMPLE_MARK if bool(files["is_sample"].all()) else ""
    return f"補助金: {option.pref_name} 補助金交付記録（{names}）{span}、取下げを除く{sample}"


def dataset_lines(load: Loader, option: ProfileOption, filters: Filters,
                  credit: str | None = None) -> list[str]:  # fmt: skip
    """Every dataset a briefing shows, one line each: hub lists, grants, published figures, map."""
    lines = [survey_line(load, option, filters.to_fy), grants_line(load, option, filters)]
    lines += published_lines(load, option, filters.to_fy)
    if credit:
        lines.append(f"地図: {credit}")
    return [line for line in lines if line]


def short_source(lines: list[str], *prefixes: str) -> str:
    """「出典: …」 from the dataset lines whose kind is one of `prefixes` (拠点一覧, 補助金, 公表値)."""
    chosen = [line.split(": ", 1)[1] for line in lines if line.split(": ", 1)[0] in prefixes]
    return "出典: " + "／".join(chosen) if chosen else ""
