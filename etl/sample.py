"""`python -m etl sample`: write the sample dataset in the formats prefectures really use.

Deterministic: the same code writes byte-identical files (seeded random, fixed xlsx timestamps).
The files are deliberately varied: title rows, line breaks and units in headers, 和暦, full-width
digits, 千円, CP932, 6-digit codes, 小計/合計 rows. `manifest.json` lists every file's sha256 so
the build can label sample data wherever it is shown.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import random
import re
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font

from core.settings import PROJECT_DIR
from etl import sample_content as sc
from etl.normalize import check_digit
from etl.reference import load_reference

SAMPLE_MARK = "【サンプルデータ（架空）】"
FIXED_TIME = dt.datetime(2025, 1, 1)
WAREKI = {2019: "令和元", 2020: "令和2", 2021: "令和3", 2022: "令和4", 2023: "令和5", 2024: "令和6",
          2025: "令和7", 2026: "令和8"}  # fmt: skip
ZENKAKU = str.maketrans("0123456789,", "０１２３４５６７８９，")


def _mark(value: bool | None, yes: str, no: str) -> str:
    return "" if value is None else (yes if value else no)


def _xlsx_bytes(
    title_rows: list[str], header: list[str], rows: list[list], widths: dict[int, int]
) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "一覧"
    for text in title_rows:
        sheet.append([text])
    sheet.append([])
    sheet.append(header)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows(min_row=header_row + 1):
        for cell in row:
            if isinstance(cell.value, int) and not isinstance(cell.value, bool):
                cell.number_format = "#,##0"
    for index, width in widths.items():
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = width
    book.properties.creator = "小さな拠点モニター"
    book.properties.created = book.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    book.save(buffer)
    return _normalise_zip(buffer.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite an xlsx with fixed entry timestamps (and core.xml dates) so re-runs are identical."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                content = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp, content)
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, content)
    return out.getvalue()


def _csv_bytes(rows: list[list], encoding: str) -> bytes:
    text = io.StringIO(newline="")
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    data = text.getvalue().encode("cp932" if encoding == "cp932" else "utf-8")
    return b"\xef\xbb\xbf" + data if encoding == "utf-8-sig" else data


SURVEY_HEADER_2020 = ["都道府県", "市町村コード", "市町村名", "小さな拠点名", "地区名", "住所", "人口\n（人）",
                      "集落数", "対象範囲", "地域区分", "市町村版総合戦略への位置付け", "地域再生計画への位置付け",
                      "主な拠点施設", "交通ネットワーク"]  # fmt: skip


def _area_type(muni) -> str:
    return {"全部過疎": "過疎地域", "一部過疎": "一部過疎地域"}.get(muni.kaso or "", "中山間地域")


def fukushima_survey_2020(hubs, munis) -> bytes:
    rows = [["福島県", h.municipality_code, munis[h.municipality_code].name, h.hub_name, h.district, h.address,
             h.population, h.settlements, h.coverage, _area_type(munis[h.municipality_code]),
             _mark(h.in_strategy, "○", "×"), _mark(h.in_regional_plan, "○", "×"), h.facility, h.transport]
            for h in sc.hubs_in(hubs, 2020)]  # fmt: skip
    titles = [f"{SAMPLE_MARK}令和2年度 小さな拠点の形成に関する実態調査 小さな拠点一覧（福島県）",
              "令和2年5月31日時点"]  # fmt: skip
    return _xlsx_bytes(titles, SURVEY_HEADER_2020, rows, {3: 12, 4: 28, 5: 14, 6: 36})


def fukushima_survey_2023(hubs, munis) -> bytes:
    header = ["都道府県", "市町村コード", "市町村名", "小さな拠点の名称", "地区名", "住所", "人口", "集落数",
              "対象範囲", "地域区分", "市町村版総合戦略\nへの位置付け", "地域再生計画\nへの位置付け", "主な拠点施設",
              "交通ネットワーク", "地域運営組織\nの有無", "地域運営組織の名称", "法人格", "提供サービス"]  # fmt: skip
    rows = []
    listed = sc.hubs_in(hubs, 2023)
    for h in listed:
        has_rmo = h.rmo_since is not None and h.rmo_since <= 2023
        rows.append(["福島県", h.municipality_code, munis[h.municipality_code].name, h.hub_name, h.district,
                     h.address, h.population, h.settlements, h.coverage, _area_type(munis[h.municipality_code]),
                     _mark(h.in_strategy, "有", "無"), _mark(h.in_regional_plan, "有", "無"), h.facility,
                     h.transport, "有" if has_rmo else "無", h.rmo_name if has_rmo else "",
                     h.legal_form if has_rmo else "", "、".join(h.services)])  # fmt: skip
    rows.append(["合計", "", "", f"{len(listed)}か所"] + [""] * 14)
    titles = [f"{SAMPLE_MARK}令和5年度 小さな拠点の形成に関する実態調査 小さな拠点一覧（福島県）",
              "令和5年5月31日時点"]  # fmt: skip
    return _xlsx_bytes(titles, header, rows, {3: 12, 4: 28, 5: 14, 6: 36, 16: 28, 18: 30})


def fukushima_survey_2024(hubs, munis) -> bytes:
    header = ["調査年度", "都道府県名", "団体コード", "市町村名", "小さな拠点の名称", "地区名", "所在地", "人口", "集落数",
              "対象範囲", "地域区分", "総合戦略への位置付け", "地域再生計画への位置付け", "主な拠点施設",
              "交通ネットワーク", "地域運営組織の有無", "地域運営組織名", "法人格", "主な生活サービス"]  # fmt: skip
    rows = [header]
    for h in sc.hubs_in(hubs, 2024):
        code6 = h.municipality_code + str(check_digit(h.municipality_code))
        has_rmo = h.rmo_since is not None
        rows.append(["R6", "福島県", code6, munis[h.municipality_code].name, h.hub_name, h.district, h.address,
                     f"{h.population:,}", h.settlements, h.coverage, _area_type(munis[h.municipality_code]),
                     _mark(h.in_strategy, "あり", "なし"), _mark(h.in_regional_plan, "あり", "なし"), h.facility,
                     h.transport, "あり" if has_rmo else "なし", h.rmo_name or "", h.legal_form or "",
                     "、".join(h.services)])  # fmt: skip
    return _csv_bytes(rows, "utf-8-sig")


GRANT_HEADER = ["年度", "地方振興局", "市町村", "地区名", "事業区分", "事業名", "総事業費\n（円）", "補助対象経費\n（円）",
                "補助金額\n（円）", "事業実施主体", "間接補助の有無", "同等計画の有無", "状態"]  # fmt: skip
PROGRAM_LABEL = {"plan": "計画策定事業", "project": "小さな拠点づくり事業"}


def fukushima_grants_early(grants, munis) -> bytes:
    """FY2021-2023 in 円, with 小計 rows per year and a 合計 row, as a prefecture's Excel has them."""
    rows: list[list] = []
    for year in (2021, 2022, 2023):
        selected = [g for g in grants if g.fiscal_year == year]
        for g in selected:
            m = munis[g.municipality_code]
            rows.append([f"{WAREKI[year]}年度", f"{m.bureau}地方振興局", m.name, g.district, PROGRAM_LABEL[g.program],
                         g.project_name, g.total_cost_yen, g.eligible_cost_yen, g.grant_yen, g.implementing_body,
                         _mark(g.is_indirect, "有", "無"), _mark(g.has_equivalent_plan, "有", "無"), g.status])  # fmt: skip
        subtotal = sum(g.grant_yen or 0 for g in selected)
        rows.append(
            [f"{WAREKI[year]}年度 小計", "", "", "", "", "", "", "", subtotal, "", "", "", ""]
        )
    rows.append(["合計", "", "", "", "", "", "", "", sum(g.grant_yen or 0 for g in grants if g.fiscal_year <= 2023)]
                + [""] * 4)  # fmt: skip
    titles = [
        f"{SAMPLE_MARK}集落ネットワーク圏形成事業 交付実績（令和3年度～令和5年度）",
        "福島県 企画調整部 地域振興課",
    ]
    return _xlsx_bytes(titles, GRANT_HEADER, rows, {4: 14, 6: 36, 10: 28})


def _kilo(value: int | None) -> str:
    return "" if value is None else f"{value // 1000:,}".translate(ZENKAKU)


def fukushima_grants_late(grants, munis) -> bytes:
    """FY2024-2026 as a CP932 CSV: title row, 和暦, amounts in 千円 with full-width digits."""
    header = ["年度", "振興局", "市町村名", "地区名", "事業区分", "事業名", "総事業費（千円）", "補助対象経費（千円）",
              "補助金額（千円）", "金額区分", "実施主体", "間接補助", "同等計画の有無", "状態"]  # fmt: skip
    rows: list[list] = [
        [f"{SAMPLE_MARK}集落ネットワーク圏形成事業 交付状況（令和6年度～令和8年度） 福島県"],
        [],
        header,
    ]
    selected = [g for g in grants if g.fiscal_year >= 2024]
    for g in selected:
        m = munis[g.municipality_code]
        rows.append([f"{WAREKI[g.fiscal_year]}年度", m.bureau, m.name, g.district, PROGRAM_LABEL[g.program],
                     g.project_name, _kilo(g.total_cost_yen), _kilo(g.eligible_cost_yen), _kilo(g.grant_yen),
                     g.amount_basis, g.implementing_body, _mark(g.is_indirect, "○", ""),
                     _mark(g.has_equivalent_plan, "○", ""), g.status])  # fmt: skip
    rows.append(
        ["合計", "", "", "", "", "", "", "", _kilo(sum(g.grant_yen or 0 for g in selected))]
        + [""] * 5
    )
    return _csv_bytes(rows, "cp932")


TOTTORI_TITLES = {
    2019: "令和元年度末（令和2年3月31日）時点 小さな拠点一覧（鳥取県）",
    2021: "令和3年度 小さな拠点一覧（鳥取県） 令和4年4月1日時点",
    2022: "令和4年度末（令和5年3月31日）時点 小さな拠点一覧（鳥取県）",
}


def tottori_survey(hubs, munis, year: int, as_csv: bool) -> bytes:
    header = [
        "都道府県",
        "市町村名",
        "小さな拠点の名称",
        "地区名",
        "対象範囲",
        "主な拠点施設",
        "人口",
        "集落数",
        "主な取組",
    ]
    rows = [["鳥取県", munis[h.municipality_code].name, h.hub_name, h.district, h.coverage, h.facility,
             h.population, h.settlements, "、".join(h.services)] for h in sc.hubs_in(hubs, year)]  # fmt: skip
    title = f"{SAMPLE_MARK}{TOTTORI_TITLES[year]}"
    if as_csv:
        return _csv_bytes([[title], header, *rows], "utf-8")
    return _xlsx_bytes([title], header, rows, {3: 28, 4: 14, 9: 30})


def tottori_cooperatives_file(munis) -> bytes:
    header = ["年度", "組合名", "町", "認定日", "組合員数", "派遣人員"]
    rows = [[f"{WAREKI[c.fiscal_year]}年度", c.name, munis[c.municipality_code].name, c.certified_on, c.members,
             c.dispatched] for c in sc.tottori_cooperatives()]  # fmt: skip
    title = f"{SAMPLE_MARK}鳥取県 特定地域づくり事業協同組合の状況（各年度末）"
    return _xlsx_bytes([title], header, rows, {2: 34, 4: 16})


def _findings_table(grants, munis) -> list[str]:
    district_by_tag = {g.tag: (g.municipality_code, g.district) for g in grants}
    lines = ["| 規則 | 種別 | 年度 | 市町村 | 地区 | 内容 |", "|---|---|---|---|---|---|"]
    for tag, rule, severity, year, text in sc.DOCUMENTED_FINDINGS:
        code, district = district_by_tag[tag]
        lines.append(
            f"| {rule} | {severity} | {WAREKI[year]}年度 ({year}) | {munis[code].name} | {district} | {text} |"
        )
    return lines


def _readme(files: dict[str, str], grants, munis) -> str:
    exact = next(g for g in grants if g.tag == sc.EXACT_CAP_TAG and g.program == "plan")
    lines = [
        "# サンプルデータ（架空）",
        "",
        "`python -m etl sample` が決定的に生成するデータです（再実行してもバイト単位で同一）。",
        "拠点数・地域運営組織数の合計は公表値と一致しますが、地区名・人口・サービス・金額などは架空です。",
        "ダッシュボードはこれらのファイルから作った倉庫を「サンプルデータ」と表示します。",
        "",
        "| ファイル | 内容 | 形式の特徴 |",
        "|---|---|---|",
        "| fukushima_survey_r02_2020.xlsx | 福島県 令和2年度 拠点一覧（48か所） | タイトル行、旧様式の見出し、○/×、地域運営組織の列なし（不明） |",
        "| fukushima_survey_r05_2023.xlsx | 福島県 令和5年度 拠点一覧（20市町村55か所、地域運営組織43） | 見出しの改行、有/無、合計行 |",
        "| fukushima_survey_r06_2024.csv | 福島県 令和6年度 拠点一覧（59か所、地域運営組織47） | UTF-8（BOM付き）、調査年度列「R6」、6桁コード、あり/なし、桁区切り |",
        "| fukushima_grants_r03-r05.xlsx | 集落ネットワーク圏形成事業 令和3～5年度 | 円単位、和暦、小計・合計行、市町村名のみ（コードなし） |",
        "| fukushima_grants_r06-r08.csv | 同 令和6～8年度 | CP932、タイトル行、千円単位・全角数字、金額区分、合計行 |",
        "| tottori_survey_r01_2019.xlsx | 鳥取県 令和元年度末 拠点一覧（30か所） | タイトル行の年度と時点 |",
        "| tottori_survey_r03_2021.csv | 鳥取県 令和4年4月1日時点 拠点一覧（39か所） | UTF-8（BOMなし）、タイトル行 |",
        "| tottori_survey_r04_2022.xlsx | 鳥取県 令和4年度末 拠点一覧（46か所） | 報告書の2拠点（小鴨、高宮の郷）を含む |",
        "| tottori_cooperatives.xlsx | 特定地域づくり事業協同組合（3組合） | 和暦の認定日。智頭町の令和5年度値（組合員14・派遣9）は報告書どおり |",
        "",
        "## 意図して含めた規則違反・助言（集落ネットワーク圏形成事業）",
        "",
        "規則チェックはこれらをすべて検出し、これ以外を error と報告してはいけません。",
        "",
        *_findings_table(grants, munis),
        "",
        f"境界値: {munis[exact.municipality_code].name} {exact.district} の{WAREKI[exact.fiscal_year]}年度 計画策定事業は"
        "ちょうど500,000円（上限内）。会津美里町の令和6年度 計画策定事業は取下げ（上限に数えない）。",
        "",
        "## sha256",
        "",
        *[f"- `{name}` {digest}" for name, digest in sorted(files.items())],
        "",
    ]  # fmt: skip
    return "\n".join(lines)


def build_files() -> tuple[dict[str, bytes], list, dict]:
    reference = load_reference(PROJECT_DIR / "data" / "reference")
    munis = {r.code: r for r in reference.municipality_rows}
    rng = random.Random(sc.SEED)
    names = sc.Names(rng)
    f_hubs = sc.fukushima_hubs(munis, names, rng)
    t_hubs = sc.tottori_hubs(munis, names, rng)
    grants = sc.fukushima_grants(munis, f_hubs, names, rng)
    files = {
        "fukushima_survey_r02_2020.xlsx": fukushima_survey_2020(f_hubs, munis),
        "fukushima_survey_r05_2023.xlsx": fukushima_survey_2023(f_hubs, munis),
        "fukushima_survey_r06_2024.csv": fukushima_survey_2024(f_hubs, munis),
        "fukushima_grants_r03-r05.xlsx": fukushima_grants_early(grants, munis),
        "fukushima_grants_r06-r08.csv": fukushima_grants_late(grants, munis),
        "tottori_survey_r01_2019.xlsx": tottori_survey(t_hubs, munis, 2019, as_csv=False),
        "tottori_survey_r03_2021.csv": tottori_survey(t_hubs, munis, 2021, as_csv=True),
        "tottori_survey_r04_2022.xlsx": tottori_survey(t_hubs, munis, 2022, as_csv=False),
        "tottori_cooperatives.xlsx": tottori_cooperatives_file(munis),
    }
    return files, grants, munis


def write_sample(out_dir: Path) -> list[Path]:
    """Write the sample files, their manifest and README into out_dir (replacing earlier ones)."""
    files, grants, munis = build_files()
    out_dir.mkdir(parents=True, exist_ok=True)
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    written = []
    for name, data in files.items():
        (out_dir / name).write_bytes(data)
        written.append(out_dir / name)
    manifest = {"generator": "python -m etl sample", "files": dict(sorted(digests.items()))}
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (out_dir / "README.md").write_text(_readme(digests, grants, munis), encoding="utf-8")
    return [*written, out_dir / "manifest.json", out_dir / "README.md"]
