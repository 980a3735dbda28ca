"""A generated national-scale input: 1,741 municipalities in 47 prefectures, 5 survey years of
about 2,300 hubs each and 50,000 grant rows, with a profile per prefecture. Synthetic, for
measuring only; written as the CSV files a national data set would arrive in.

`generate_large_grants` writes the same reference and profiles with one large grant file instead:
a prefectural office's list (福島県's layout) of 300,000 rows."""

from __future__ import annotations

import csv
import random
import tomllib
from pathlib import Path

from core.settings import PROJECT_DIR
from core.vocabulary import PREF_NAME_BY_CODE
from etl.normalize import check_digit

MUNICIPALITIES = 1741
SURVEY_YEARS = (2020, 2021, 2022, 2023, 2024)
HUBS_PER_YEAR = 2300
GRANT_ROWS = 50_000
GRANT_YEARS = range(2021, 2027)


def _write_csv(path: Path, rows: list[list]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def _municipalities(rng: random.Random) -> list[dict]:
    per_pref = [MUNICIPALITIES // 47 + (1 if i < MUNICIPALITIES % 47 else 0) for i in range(47)]
    rows = []
    for index, count in enumerate(per_pref, 1):
        pref = f"{index:02d}"
        bureaus = [f"第{b}地域" for b in range(1, 6)]
        for n in range(count):
            code = f"{pref}{201 + n if n < 20 else 300 + n:03d}"
            rows.append({
                "pref_code": pref, "code": code, "name": f"{PREF_NAME_BY_CODE[pref][:-1]}第{n + 1}町",
                "kana": "", "bureau": bureaus[n % len(bureaus)],
                "kaso": rng.choice(["全部過疎", "一部過疎", "非過疎"]),
                "rep_lat": f"{33 + index * 0.2:.4f}", "rep_lon": f"{130 + index * 0.2:.4f}",
            })  # fmt: skip
    return rows


def _profile(pref: str, template: str) -> str:
    lines = template.splitlines()
    body = "\n".join(
        line
        for line in lines
        if not line.startswith(("key", "pref_code", "pref_name", "bureaus", "n03_url"))
    )
    body = body.replace("base_year = 2020", "base_year = 2020").replace(
        "target_value = 60", "target_value = 600"
    )
    head = [
        f'key = "p{pref}"', f'pref_code = "{pref}"', f'pref_name = "{PREF_NAME_BY_CODE[pref]}"',
        'bureaus = ["第1地域", "第2地域", "第3地域", "第4地域", "第5地域"]', 'n03_url = ""',
    ]  # fmt: skip
    return "\n".join(head) + "\n" + body + "\n"


def _write_reference(root: Path, rng: random.Random) -> tuple[list[dict], dict[str, Path]]:
    """The generated municipalities, written as reference/ with a profile per prefecture."""
    reference, profiles, inputs = root / "reference", root / "profiles", root / "input"
    for folder in (reference, profiles, inputs):
        folder.mkdir(parents=True, exist_ok=True)
    munis = _municipalities(rng)
    columns = ["pref_code", "code", "name", "kana", "bureau", "kaso", "rep_lat", "rep_lon"]
    _write_csv(
        reference / "municipalities.csv", [columns] + [[m[c] for c in columns] for m in munis]
    )
    published = (PROJECT_DIR / "data" / "reference" / "published_counts.csv").read_text(
        encoding="utf-8"
    )
    (reference / "published_counts.csv").write_text(published, encoding="utf-8")
    template = (PROJECT_DIR / "data" / "profiles" / "fukushima.toml").read_text(encoding="utf-8")
    tomllib.loads(template)
    for pref in sorted({m["pref_code"] for m in munis}):
        (profiles / f"p{pref}.toml").write_text(_profile(pref, template), encoding="utf-8")
    return munis, {"reference": reference, "profiles": profiles, "input": inputs}


def generate(root: Path, seed: int = 7, grant_rows: int = GRANT_ROWS) -> dict[str, Path]:
    """Write reference/, profiles/ and input/ under root; return their paths. `grant_rows` scales
    the grant file (the hub lists stay the same)."""
    rng = random.Random(seed)
    munis, paths = _write_reference(root, rng)
    inputs = paths["input"]
    hubs = [(rng.choice(munis), f"拠点{i:05d}") for i in range(HUBS_PER_YEAR + 300)]
    for offset, year in enumerate(SURVEY_YEARS):
        listed = hubs[: HUBS_PER_YEAR - 200 + offset * 100]
        rows = [["調査年度", "都道府県", "市町村コード", "市町村名", "小さな拠点の名称", "地区名", "人口", "集落数",
                 "地域運営組織の有無", "地域運営組織の名称", "法人格", "提供サービス"]]  # fmt: skip
        for m, name in listed:
            code6 = m["code"] + str(check_digit(m["code"]))
            has_rmo = rng.random() < 0.8
            rows.append([year, PREF_NAME_BY_CODE[m["pref_code"]], code6, m["name"], f"{name}センター", f"{name}地区",
                         rng.randint(200, 5000), rng.randint(2, 30), "有" if has_rmo else "無",
                         f"{name}協議会" if has_rmo else "", "任意団体" if has_rmo else "", "移動、買い物、見守り"])  # fmt: skip
        _write_csv(inputs / f"survey_{year}.csv", rows)
    rows = [["年度", "都道府県", "市町村コード", "市町村名", "地区名", "事業区分", "事業名", "総事業費（円）",
             "補助対象経費（円）", "補助金額（円）", "状態"]]  # fmt: skip
    per_year = grant_rows // len(GRANT_YEARS)
    for year in GRANT_YEARS:
        for i in range(per_year):
            m = munis[i % len(munis)]
            program = "計画策定事業" if (i // len(munis)) % 2 == 0 else "小さな拠点づくり事業"
            eligible = rng.randrange(300, 2000) * 1000
            rows.append([f"R{year - 2018}", PREF_NAME_BY_CODE[m["pref_code"]], m["code"], m["name"], f"地区{i // len(munis):02d}", program, "事業",
                         eligible + 100_000, eligible, eligible * 9 // 10 // 1000 * 1000, "完了"])  # fmt: skip
    _write_csv(inputs / "grants.csv", rows)
    return paths


LARGE_GRANT_ROWS = 300_000
LARGE_PREF = "07"  # 福島県: the file's title names it, its rows name municipalities only
LARGE_FILE = "fukushima_grants_large.csv"
LARGE_PREAMBLE_LINES = 3  # title, blank line, header
PROJECT_STEPS = ("拠点施設の改修", "移動支援の試行", "買物支援と見守りの連携")


def _district_rows(muni: dict, district: str, start: int, rng: random.Random):
    """One district's grants as a prefectural office lists them: 計画策定事業 in its first year,
    then 小さな拠点づくり事業 for up to 3 years (until FY2026). Within every rule of the profile:
    rate <= 9/10, plan <= 500,000 yen, cumulative <= 5,000,000 yen, a plan before the project,
    at most 4 fiscal years from plan to last project, a different project each year."""
    for step, year in enumerate(range(start, min(start + 4, GRANT_YEARS.stop))):
        plan = step == 0
        eligible = rng.randrange(300, 556 if plan else 1667) * 1000
        grant = eligible * 9 // 10 // 1000 * 1000
        done = year <= 2024
        yield year, [
            f"令和{year - 2018}年度", muni["bureau"], muni["name"], district,
            "計画策定事業" if plan else "小さな拠点づくり事業",
            "地域づくり計画の策定" if plan else PROJECT_STEPS[step - 1],
            f"{eligible + rng.randrange(0, 300) * 1000:,}", f"{eligible:,}", f"{grant:,}",
            "実績額" if done else "交付決定額", muni["name"], "完了" if done else "交付決定",
        ]  # fmt: skip


def generate_large_grants(
    root: Path, rows: int = LARGE_GRANT_ROWS, seed: int = 7
) -> dict[str, Path]:
    """reference/ and profiles/ as `generate` writes them, and input/ with one CSV (CP932, a title
    row, amounts in 円 with separators) of exactly `rows` grant rows of 福島県 (profile p07),
    sorted by fiscal year, bureau and municipality. Returns the paths, with the file as "file"."""
    rng = random.Random(seed)
    munis, paths = _write_reference(root, rng)
    local = sorted((m for m in munis if m["pref_code"] == LARGE_PREF),
                   key=lambda m: (m["bureau"], m["code"]))  # fmt: skip
    # Districts of 4 rows (plan in FY2021-2023), and up to 3 of 3 rows (plan in FY2024) so that
    # the rows add up exactly.
    count = -(-rows // 4)
    short = 4 * count - rows
    districts = [
        (local[d % len(local)], d // len(local), 2024 if d < short else 2021 + d // len(local) % 3)
        for d in range(count)
    ]
    districts.sort(key=lambda d: (d[0]["bureau"], d[0]["code"], d[1]))
    by_year: dict[int, list[list]] = {year: [] for year in GRANT_YEARS}
    for muni, number, start in districts:
        for year, row in _district_rows(muni, f"第{number + 1}行政区", start, rng):
            by_year[year].append(row)
    path = paths["input"] / LARGE_FILE
    title = "【架空】集落ネットワーク圏形成事業 交付状況（令和3年度～令和8年度） 福島県"
    header = ["年度", "地方振興局", "市町村", "地区名", "事業区分", "事業名", "総事業費（円）",
              "補助対象経費（円）", "補助金額（円）", "金額区分", "実施主体", "状態"]  # fmt: skip
    with path.open("w", encoding="cp932", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows([[title], [], header])
        for year in GRANT_YEARS:
            writer.writerows(by_year.pop(year))
    return paths | {"file": path}
