"""Checks that need more than one cell: municipalities, prefectures, programs, duplicates.

`parse_file` is the whole validation of one input file: it returns the parsed file with every
problem listed; callers load nothing from a file whose `problems` is not empty.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from core.vocabulary import PREF_NAME_BY_CODE, fiscal_year_of, wareki
from etl import normalize as nz
from etl.extract import ParsedFile, read_file
from etl.profiles import Profile
from etl.reference import Reference, pref_code_of
from etl.schemas import AMOUNT_BASES, FIRST_YEARS, GRANT_STATUSES, KINDS, PUBLISHED_KINDS

OUTPUT_COLUMNS = {
    "survey": [
        "pref_code", "fiscal_year", "as_of", "municipality_code", "hub_name", "district_name",
        "district_key", "hub_key", "address", "population", "settlements", "coverage_area", "area_type",
        "in_municipal_strategy", "in_regional_plan", "main_facility", "transport", "has_rmo",
        "rmo_name", "rmo_legal_form", "services", "source_file", "source_row",
    ],
    "grants": [
        "pref_code", "fiscal_year", "municipality_code", "district_name", "district_key", "program_id",
        "project_name", "total_cost_yen", "eligible_cost_yen", "grant_yen", "decided_yen",
        "actual_yen", "amount_basis",
        "implementing_body", "is_indirect", "has_equivalent_plan", "status", "note",
        "source_file", "source_row",
    ],
    "cooperatives": [
        "pref_code", "fiscal_year", "cooperative_name", "municipality_code", "certified_on",
        "members", "dispatched_workers", "source_file", "source_row",
    ],
    "published_counts": [
        "pref_code", "indicator", "fiscal_year", "value", "kind", "as_of", "source",
        "source_file", "source_row",
    ],
}  # fmt: skip


@dataclass(frozen=True)
class Context:
    reference: Reference
    profiles: dict[str, Profile]
    default_profile: str
    today: dt.date = field(default_factory=dt.date.today)  # fixes "the current fiscal year"
    input_max_bytes: int | None = None

    @property
    def current_fy(self) -> int:
        return fiscal_year_of(self.today)

    def profile_for(self, pref_code: str) -> Profile | None:
        return self._by_pref.get(pref_code)

    @functools.cached_property
    def _by_pref(self) -> dict[str, Profile]:
        """The profile of each prefecture code, built once (asked for every row)."""
        by_pref: dict[str, Profile] = {}
        for profile in self.profiles.values():
            by_pref.setdefault(profile.pref_code, profile)  # the first, as the scan did
        return by_pref


def _index(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Every accepted spelling (as a match key) → the canonical value it stands for."""
    return {nz.match_key(w): canonical for canonical, words in table.items() for w in words}


STATUS_INDEX, BASIS_INDEX, PUBLISHED_KIND_INDEX = map(
    _index, (GRANT_STATUSES, AMOUNT_BASES, PUBLISHED_KINDS)
)


def _canonical(value: str, index: dict[str, str]) -> str | None:
    return index.get(nz.match_key(value))


@functools.lru_cache(maxsize=256)
def _pref_in(text: str) -> str | None:
    """The one prefecture a title names (None when it names none, or several)."""
    named = {c for c, n in PREF_NAME_BY_CODE.items() if n in nz.nfkc(text)}
    return named.pop() if len(named) == 1 else None


def _pref_label(code: str) -> str:
    return PREF_NAME_BY_CODE.get(code, code)


def _row_pref(parsed: ParsedFile, record: dict, ctx: Context) -> tuple[str, str] | None:
    """The prefecture a row is in and what says so: its 都道府県 cell, else its sheet's title,
    else the profile (`--profile`): a file that states none is never moved to another
    prefecture by one of its codes. None when the 都道府県 cell is not a prefecture."""
    pref_name = record.get("pref_name")
    if pref_name is not None:
        stated = pref_code_of(pref_name)
        if stated is None:
            reason = "都道府県名として読めません"
            parsed.problem(record, parsed.headers.get("pref_name"), pref_name, reason)
            return None
        return stated, "この行の都道府県"
    titled = _pref_in(parsed.title_of(record))
    if titled:
        return titled, "タイトル"
    return ctx.profiles[ctx.default_profile].pref_code, "このファイルの都道府県（プロファイル）"


def _resolve_municipality(parsed: ParsedFile, record: dict, ctx: Context) -> bool:
    """Set pref_code and municipality_code; report what does not resolve or disagrees (a code
    of another prefecture than the stated one is an error, never a move or a drop)."""
    headers = parsed.headers
    if "municipality_code" in record.get("_failed", ()):
        return False  # the code cell is already reported
    code, name = record.get("municipality_code"), record.get("municipality_name")
    found = _row_pref(parsed, record, ctx)
    if found is None:
        return False
    pref, said = found
    if code and code[:2] != pref:
        reason = f"市町村コード{code}は{_pref_label(code[:2])}のコードですが、{said}は{_pref_label(pref)}です"
        parsed.problem(record, headers["municipality_code"], code, reason)
        return False
    record["pref_code"] = pref
    if ctx.profile_for(pref) is None:  # settled for the whole file in _unprofiled_rows
        record["_unprofiled"] = pref
        return False
    if pref not in ctx.reference.pref_codes:
        reason = f"{_pref_label(pref)}の市町村は参照データ（municipalities.csv）にありません"
        column = headers.get("municipality_code") or headers.get("pref_name")
        parsed.problem(record, column, code or record.get("pref_name"), reason)
        return False
    if code:
        muni = ctx.reference.municipality(code)
        if muni is None:
            parsed.problem(record, headers["municipality_code"], code, "市町村表にないコードです")
            return False
        if name and ctx.reference.code_for_name(pref, name) != code:
            reason = f"市町村名とコードが一致しません（{code}は{muni.name}）"
            parsed.problem(record, headers["municipality_name"], name, reason)
            return False
    elif not name:
        parsed.problem(record, headers.get("municipality_name"), None, "市町村が空です")
        return False
    else:
        code = ctx.reference.code_for_name(pref, name)
        if code is None:
            reason = f"{_pref_label(pref)}の市町村名にありません"
            parsed.problem(record, headers["municipality_name"], name, reason)
            return False
        record["municipality_code"] = code
    if name and ctx.reference.is_variant_spelling(pref, name):
        parsed.variants.add((nz.clean_text(name), ctx.reference.municipality(code).name))
    return True


def _check_duplicates(parsed: ParsedFile, key_columns: tuple[str, ...], label: str) -> None:
    seen: dict[tuple, dict] = {}
    for record in parsed.records:
        key = tuple(nz.match_key(record.get(c) or "") for c in key_columns)
        if key in seen:
            reason = f"{label}が{parsed.place(seen[key], with_file=False)}と重複しています"
            parsed.problem(record, None, " / ".join(k for k in key if k), reason)
        else:
            seen[key] = record


def _check_year(parsed: ParsedFile, record: dict, first: int, last: int, what: str) -> bool:
    """A fiscal year between the first year the programme or survey exists and `last`."""
    year = record.get("fiscal_year")
    if year is None or first <= year <= last:
        return True
    column = parsed.headers.get("fiscal_year", "年度")
    if year > last:
        reason = f"{what}の年度として先すぎます（{_fy(last)}まで）"
    else:
        reason = f"{what}の年度として古すぎます（{_fy(first)}から）"
    parsed.problem(record, column, _fy(year), reason)
    return False


def _fy(year: int) -> str:
    """令和6年度（2024）: the 和暦 of a fiscal year beside its 西暦."""
    return f"{wareki(year)}年度（{year}）"


def _finish_survey(parsed: ParsedFile, ctx: Context) -> None:
    years: dict[int, list[dict]] = {}
    for record in parsed.records:
        title = parsed.title_of(record)
        # a sheet without a title of its own is under the workbook's title (its first sheet's)
        title_years = nz.find_fiscal_years(title) or nz.find_fiscal_years(parsed.title)
        title_year = title_years[0] if len(title_years) == 1 else None
        column_year = record.get("fiscal_year")
        if column_year and title_year and column_year != title_year:
            reason = f"タイトル行の年度（{_fy(title_year)}）と一致しません"
            parsed.problem(record, parsed.headers.get("fiscal_year"), _fy(column_year), reason)
            continue
        year = column_year or title_year
        if year is None:
            named = "、".join(_fy(y) for y in title_years)
            reason = (
                f"タイトルに複数の年度（{named}）があり、調査年度を決められません（調査年度の列を設けてください）"
                if len(title_years) > 1
                else "調査年度がわかりません（調査年度の列を設けるか、タイトル行に年度を書いてください）"
            )
            parsed.problem(record, "調査年度", None, reason)
            continue
        record["fiscal_year"] = year
        if not _check_year(parsed, record, FIRST_YEARS["survey"], ctx.current_fy, "調査"):
            continue
        years.setdefault(year, []).append(record)
        title_date = _date_in(title)
        in_year = title_date and title_date.year in (year, year + 1)
        # Without a date in the title, the survey's own date: the end of May of the survey year.
        record["as_of"] = title_date.isoformat() if in_year else f"{year}-05-31"
        if record.get("rmo_name") and record.get("has_rmo") is False:
            said = (
                "空欄（○印だけの列なので「無」と読みます）"
                if "has_rmo" in record.get("_read_as_no", ())
                else "「無」"
            )
            reason = f"地域運営組織の有無が{said}なのに名称が書かれています"
            parsed.problem(record, parsed.headers.get("rmo_name"), record["rmo_name"], reason)
        for column in ("population", "settlements"):  # 0 people or hamlets stands for unknown
            if record.get(column) == 0:
                reason = (
                    "0は入力できません（拠点には人口・集落があります。不明なら空欄にしてください）"
                )
                parsed.problem(record, parsed.headers.get(column), 0, reason)
    _check_one_year(parsed, years)
    _check_duplicates(
        parsed, ("fiscal_year", "municipality_code", "district_key", "hub_name"), "拠点"
    )
    _check_same_hub_twice(parsed)


def _check_same_hub_twice(parsed: ParsedFile) -> None:
    """One hub name twice in a municipality: with a blank 地区名 on either row it is the same hub
    written twice (refused: it would be counted twice); under two districts it is noted."""
    seen: dict[tuple, dict] = {}
    for record in parsed.records:
        key = (record.get("fiscal_year"), record.get("municipality_code"),
               nz.match_key(record.get("hub_name") or ""))  # fmt: skip
        first = seen.setdefault(key, record)
        if first is record or first.get("district_key") == record.get("district_key"):
            continue  # the first row, or a duplicate _check_duplicates reports
        where = parsed.place(first, with_file=False)
        if not first.get("district_key") or not record.get("district_key"):
            reason = f"同じ拠点が{where}にもあります（地区名が空欄のため別の拠点とみなせません）"
            parsed.problem(record, parsed.headers.get("hub_name"), record.get("hub_name"), reason)
        else:
            reason = f"同じ名前の拠点が{where}にもあります（別の地区の別の拠点として数えました）"
            parsed.warn(record, parsed.headers.get("hub_name"), record.get("hub_name"), reason)


def _date_in(text: str):
    match = re.search(
        r"((?:令和|平成|R|H)\s*(?:元|\d{1,2})|\d{4})\s*[年./]\s*\d{1,2}\s*[月./]\s*\d{1,2}日?",
        nz.nfkc(text),
    )
    if not match:
        return None
    try:
        return nz.parse_date(match.group(0).replace(" ", ""))
    except ValueError:
        return None


def _check_one_year(parsed: ParsedFile, years: dict[int, list[dict]]) -> None:
    """One survey list is one survey year: rows of any other year are errors."""
    if len(years) < 2:
        return
    main = max(years, key=lambda y: (len(years[y]), y))
    counts = "、".join(f"{_fy(y)} {len(r)}行" for y, r in sorted(years.items()))
    for year, records in years.items():
        if year == main:
            continue
        for record in records:
            reason = f"1つの一覧に複数の調査年度があります（{counts}）。調査年度ごとにファイルを分けてください"
            parsed.problem(record, parsed.headers.get("fiscal_year", "調査年度"), _fy(year), reason)


def _finish_grants(parsed: ParsedFile, ctx: Context) -> None:
    amount_label = nz.split_header(parsed.headers.get("grant_yen", ""))[0]
    default_basis = next((b for b, words in AMOUNT_BASES.items() if amount_label in words), None)
    for record in parsed.records:
        row, headers = record, parsed.headers
        if "municipality" in record.get("_failed", ()):
            continue  # its prefecture is not known: the municipality is already reported
        profile = ctx.profile_for(record.get("pref_code", ""))
        if profile is None:
            reason = "この都道府県のプロファイルがありません"
            parsed.problem(row, None, record.get("pref_code"), reason)
            continue
        last = ctx.current_fy + profile.grant_horizon_years
        _check_year(parsed, record, profile.grants_first_year, last, "補助事業")
        _check_grant_labels(parsed, record, profile, default_basis)
        _grant_figure(parsed, record)
        _check_grant_amounts(parsed, record, headers)
        _check_plausible(parsed, record, profile)
        muni = ctx.reference.municipality(record.get("municipality_code") or "")
        bureau = record.get("bureau")
        if muni is not None and bureau and bureau_key(bureau, profile) != nz.match_key(muni.bureau):
            reason = f"{muni.name}の{profile.bureau_label}は{muni.bureau}です"
            parsed.problem(row, headers.get("bureau"), bureau, reason)
    _check_duplicates(
        parsed,
        ("fiscal_year", "municipality_code", "district_key", "program_id"),
        "同じ年度・地区・事業区分の行",
    )


PUBLISHED_TARGET_HORIZON = 20  # a published target may name a year this far ahead


def bureau_key(text: str, profile: Profile) -> str:
    """'県北地方振興局' → '県北', '東部地域' → '東部': the profile's own office-name endings
    (`bureau_suffixes`) and its bureau label removed."""
    return _bureau_key(text, (*profile.bureau_suffixes, profile.bureau_label))


@functools.lru_cache(maxsize=4096)  # a bureau column repeats a few names on every row
def _bureau_key(text: str, endings: tuple[str, ...]) -> str:
    key = nz.match_key(text)
    endings = [nz.match_key(s) for s in endings if s]
    for suffix in sorted(endings, key=len, reverse=True):
        if key.endswith(suffix) and len(key) > len(suffix):
            return key.removesuffix(suffix)
    return key


def _grant_figure(parsed: ParsedFile, record: dict) -> None:
    """The grant figure of a row: 実績額 where present, else 交付決定額, else 補助金額 as such;
    amount_basis says which. Both amounts are kept as they were written."""
    decided, actual = record.get("decided_yen"), record.get("actual_yen")
    if "decided_yen" not in parsed.headers and "actual_yen" not in parsed.headers:
        return
    basis = "実績額" if actual is not None else "交付決定額" if decided is not None else None
    written = record.get("amount_basis")
    if basis and written and written != basis:
        reason = f"金額区分が{written}ですが、金額は{basis}の列にあります"
        parsed.problem(record, parsed.headers.get("amount_basis"), written, reason)
    record["grant_yen"] = actual if actual is not None else decided
    record["amount_basis"] = basis or written
    if decided is not None and actual is not None and actual > decided:
        reason = f"実績額が交付決定額（{decided:,}円）を超えています"
        parsed.problem(record, parsed.headers["actual_yen"], actual, reason)


def grant_header(headers: dict) -> str:
    """The header of the column the grant figure comes from, for messages."""
    return headers.get("grant_yen") or headers.get("actual_yen") or headers["decided_yen"]


def _check_grant_labels(parsed: ParsedFile, record: dict, profile: Profile, default_basis) -> None:
    row, headers = record, parsed.headers
    program = profile.program_by_label(nz.nfkc(record.get("program") or ""))
    if program is None:
        names = "、".join(p.name for p in profile.programs)
        reason = f"{profile.pref_name}の事業区分にありません（{names}）"
        parsed.problem(row, headers["program"], record.get("program"), reason)
    record["program_id"] = program.id if program else None
    status = _canonical(record.get("status") or "", STATUS_INDEX)
    if status is None:
        reason = f"状態は{'・'.join(GRANT_STATUSES)}のいずれかです"
        parsed.problem(row, headers["status"], record.get("status"), reason)
    record["status"] = status
    basis = record.get("amount_basis")
    record["amount_basis"] = _canonical(basis, BASIS_INDEX) if basis else default_basis
    if basis and record["amount_basis"] is None:
        parsed.problem(
            row, headers.get("amount_basis"), basis, "金額区分は交付決定額・実績額のいずれかです"
        )


def _check_grant_amounts(parsed: ParsedFile, record: dict, headers: dict) -> None:
    """Amounts against the status and against each other; a cell already reported is left out."""
    failed = record.get("_failed", set())
    grant_failed = bool({"grant_yen", "decided_yen", "actual_yen"} & failed)
    grant_column = grant_header(headers)
    grant, eligible, total, decided = (
        None if k in failed else record.get(k)
        for k in ("grant_yen", "eligible_cost_yen", "total_cost_yen", "decided_yen")
    )
    if not grant_failed and grant is None and record.get("status") not in ("採択", "取下げ"):
        reason = "補助金額が空です（採択・取下げ以外は必須）"
        parsed.problem(record, grant_column, None, reason)
    if grant == 0 and record.get("status") != "取下げ":
        reason = "補助金額が0円です（未定なら空欄にしてください）"
        parsed.problem(record, grant_column, 0, reason)
    for amount, column in ((grant, grant_column), (decided, headers.get("decided_yen"))):
        if amount is not None and eligible is not None and amount > eligible:
            parsed.problem(record, column, amount, "補助金額が補助対象経費を超えています")
    if eligible is not None and total is not None and eligible > total:
        reason = "補助対象経費が総事業費を超えています"
        parsed.problem(record, headers["eligible_cost_yen"], eligible, reason)


IMPLAUSIBLE_TIMES_CAP = 10  # one grant this many times a district's whole cap: a unit slip


def _check_plausible(parsed: ParsedFile, record: dict, profile: Profile) -> None:
    """A grant far beyond anything the programme allows is a unit slip (円 read as 千円, or a
    thousands format): refused rather than loaded a thousand times too large."""
    if profile.district_cap_yen is None:  # no cap declared: nothing to measure a slip against
        return
    ceiling = profile.district_cap_yen * IMPLAUSIBLE_TIMES_CAP
    for name in ("grant_yen", "decided_yen", "actual_yen"):
        amount = record.get(name)
        if amount is not None and amount > ceiling and name not in record.get("_failed", ()):
            reason = (
                f"金額が大きすぎます（地区ごとの累計上限{profile.district_cap_yen:,}円の"
                f"{IMPLAUSIBLE_TIMES_CAP}倍を超えています）。単位（円・千円）を確かめてください"
            )
            parsed.problem(record, parsed.headers.get(name), f"{amount:,}円", reason)


def _finish_cooperatives(parsed: ParsedFile, ctx: Context) -> None:
    for record in parsed.records:
        _check_year(parsed, record, FIRST_YEARS["cooperatives"], ctx.current_fy, "協同組合")
    _check_duplicates(parsed, ("fiscal_year", "cooperative_name"), "同じ年度の組合")


def _finish_published(parsed: ParsedFile, ctx: Context) -> None:
    for record in parsed.records:
        row, headers = record, parsed.headers
        scope = nz.nfkc(record.get("scope") or "")
        if scope.lower() in ("national", "全国", "00"):
            record["pref_code"] = "00"
        elif re.fullmatch(r"\d{2}", scope) and scope in PREF_NAME_BY_CODE:
            record["pref_code"] = scope
        elif pref_code_of(scope):
            record["pref_code"] = pref_code_of(scope)
        else:
            parsed.problem(
                row,
                headers["scope"],
                scope,
                "全国・都道府県コード・都道府県名のいずれでもありません",
            )
        kind = _canonical(record.get("kind") or "", PUBLISHED_KIND_INDEX)
        if kind is None:
            parsed.problem(
                row, headers["kind"], record.get("kind"), "種別は actual / target / derived です"
            )
        record["kind"] = kind
        if record.get("value") == 0:
            reason = "公表値に0は入力できません（不明なら空欄にしてください）"
            parsed.problem(row, headers["value"], 0, reason)
        horizon = PUBLISHED_TARGET_HORIZON if kind == "target" else 0
        _check_year(parsed, record, FIRST_YEARS["published_counts"], ctx.current_fy + horizon,
                    "目標値" if kind == "target" else "公表値")  # fmt: skip
    _check_duplicates(parsed, ("pref_code", "indicator", "fiscal_year", "kind"), "同じ公表値")


FINISHERS = {
    "survey": _finish_survey,
    "grants": _finish_grants,
    "cooperatives": _finish_cooperatives,
    "published_counts": _finish_published,
}


def parse_file(path: Path, ctx: Context) -> list[ParsedFile]:
    """Read, parse and check one input file: one ParsedFile per table, `problems` listing
    everything wrong with it."""
    tables = read_file(path, ctx.input_max_bytes, bureau_totals(ctx))
    return [_check_table(parsed, ctx) for parsed in tables]


def bureau_totals(ctx: Context) -> frozenset[str]:
    """Subtotal labels made of a bureau's name and 計 (会津計, 県北計), for every profile."""
    return frozenset(
        nz.match_key(f"{bureau}{suffix}計")
        for profile in ctx.profiles.values()
        for bureau in profile.bureaus
        for suffix in ("", profile.bureau_label)
    )


def _check_table(parsed: ParsedFile, ctx: Context) -> ParsedFile:
    if parsed.kind is None or not parsed.records:
        return parsed  # no header, or the header itself is wrong: nothing to check row by row
    if parsed.kind != "published_counts":
        for record in parsed.records:
            if not _resolve_municipality(parsed, record, ctx):
                record.setdefault("_failed", set()).add("municipality")
        _unprofiled_rows(parsed)
        for written, official in sorted(parsed.variants):
            parsed.notes.append(f"市町村名「{written}」を「{official}」として読みました（異体字）")
            parsed.warn(None, None, written, f"市町村名を「{official}」として読みました（異体字）")
    for record in parsed.records:
        if "district_name" in record:  # keys that match districts and hubs across files and years
            record["district_key"] = nz.district_key(record.get("district_name") or "")
            record["hub_key"] = (
                f"{record['district_key']}|{nz.match_key(record.get('hub_name') or '')}"
            )
    FINISHERS[parsed.kind](parsed, ctx)
    columns = OUTPUT_COLUMNS[parsed.kind]
    keep = (*columns, "source_sheet")
    records = parsed.records
    for index, record in enumerate(records):  # in place: a large table is never held twice
        records[index] = dict(zip(keep, map(record.get, keep), strict=True))
    return parsed


NATIONAL_LIST_PREFECTURES = 3  # a list spanning this many prefectures is a national list


def _unprofiled_rows(parsed: ParsedFile) -> None:
    """Rows of prefectures without a profile. A national list (rows of three or more
    prefectures, as the Cabinet Office holds it) loads the profiled ones and names the others in
    one note; in any other list they are an error, one per prefecture, saying which command
    makes its profile (a stray row of another prefecture is never dropped quietly)."""
    rows = [r for r in parsed.records if r.get("_unprofiled")]
    if not rows:
        return
    counts = Counter(r["_unprofiled"] for r in rows)
    prefectures = {r.get("pref_code") for r in parsed.records if r.get("pref_code")}
    column = parsed.headers.get("municipality_code") or parsed.headers.get("pref_name")
    if len(prefectures) < NATIONAL_LIST_PREFECTURES:
        for code, count in sorted(counts.items()):
            first = next(r for r in rows if r["_unprofiled"] == code)
            value = (
                first.get("municipality_code")
                if "municipality_code" in parsed.headers
                else _pref_label(code)
            )
            reason = (f"{_pref_label(code)}のプロファイルがありません（{count}行）。"
                      f"python -m etl profile new {code} で作ってから取り込んでください")  # fmt: skip
            parsed.problem(first, column, value, reason)
        return
    parsed.records = [r for r in parsed.records if not r.get("_unprofiled")]
    parsed.dropped_rows.extend(r["source_row"] for r in rows)
    named = "、".join(
        f"{_pref_label(c)} {n}行（python -m etl profile new {c}）"
        for c, n in sorted(counts.items())
    )
    parsed.note(
        f"全国の一覧のうち、プロファイルのない都道府県の行は読み込みませんでした: {named}",
        column=column,
    )


def kind_label(kind: str) -> str:
    return KINDS[kind].label
