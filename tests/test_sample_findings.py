"""rule_findings on the sample warehouse: exactly the findings documented in etl/sample_content.py.

The sample's DOCUMENTED_FINDINGS name a district by tag; the tag's municipality and 地区名 come
from the generated grants (etl.sample.build_files), as data/sample/README.md is written.
"""

from __future__ import annotations

import re
from collections import Counter

import duckdb
import pytest

from core import layout
from core.settings import PROJECT_DIR
from etl import sample_content as sc
from etl.sample import WAREKI, build_files

README = PROJECT_DIR / "data" / "sample" / "README.md"
AIZUMISATO = "07447"  # 会津美里町: its 令和6年度 計画策定事業 is 取下げ


@pytest.fixture(scope="module")
def sample():
    """(grants, munis) of the generated sample and tag -> (municipality_code, district_name)."""
    _files, grants, munis = build_files()
    districts = {g.tag: (g.municipality_code, g.district) for g in grants}
    return grants, munis, districts


@pytest.fixture(scope="module")
def documented(sample) -> list[tuple]:
    """(rule_id, severity, fiscal_year, municipality_code, district_name) of every documented
    finding."""
    _grants, _munis, districts = sample
    return [
        (rule, severity, year, *districts[tag])
        for tag, rule, severity, year, _text in sc.DOCUMENTED_FINDINGS
    ]


@pytest.fixture(scope="module")
def mart(sample_settings) -> list[dict]:
    path = layout.current_path(sample_settings.warehouse_dir)
    assert path is not None
    con = duckdb.connect(str(path), read_only=True)
    try:
        cursor = con.execute("select * from rule_findings")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


@pytest.fixture(scope="module")
def sample_grants_mart(sample_settings) -> list[dict]:
    path = layout.current_path(sample_settings.warehouse_dir)
    con = duckdb.connect(str(path), read_only=True)
    try:
        cursor = con.execute(
            "select pref_code, fiscal_year, municipality_code, district_name, program, status,"
            " is_withdrawn, grant_yen from grants"
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def _key(f: dict) -> tuple:
    return (
        f["rule_id"],
        f["severity"],
        f["fiscal_year"],
        f["municipality_code"],
        f["district_name"],
    )


def test_documented_findings_name_distinct_grant_districts(sample, documented):
    grants, _munis, districts = sample
    assert {tag for tag, *_ in sc.DOCUMENTED_FINDINGS} <= set(districts)
    assert len(set(documented)) == len(documented) == len(sc.DOCUMENTED_FINDINGS)
    assert all(g.tag in sc.GRANT_PLAN for g in grants)


def test_every_documented_finding_is_found(mart, documented):
    missing = set(documented) - {_key(f) for f in mart}
    assert not missing


def test_no_undocumented_error(mart, documented):
    extra = {_key(f) for f in mart if f["severity"] == "error"} - set(documented)
    assert not extra


def test_findings_are_exactly_the_documented_ones(mart, documented):
    assert {_key(f) for f in mart} == set(documented)


def test_each_documented_finding_is_reported_once(mart, documented):
    assert Counter(_key(f) for f in mart) == Counter(documented)


def test_findings_are_fukushima_rules_with_messages(mart):
    for f in mart:
        assert f["pref_code"] == "07"
        assert f["bureau"]
        assert f["source_ref"] and f["source_ref"] in f["message"]


def test_readme_lists_every_documented_finding(sample):
    _grants, munis, districts = sample
    text = README.read_text(encoding="utf-8")
    section = text.split("## 意図して含めた規則違反・助言", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if re.match(r"\| [RT]\d+ \|", line)]
    expected = []
    for tag, rule, severity, year, note in sc.DOCUMENTED_FINDINGS:
        code, district = districts[tag]
        expected.append(
            f"| {rule} | {severity} | {WAREKI[year]}年度 ({year}) | {munis[code].name} | "
            f"{district} | {note} |"
        )
    assert rows == expected


def test_withdrawn_grants_produce_no_finding(mart, sample_grants_mart, sample):
    _grants, munis, _districts = sample
    assert munis[AIZUMISATO].name == "会津美里町"
    withdrawn = [g for g in sample_grants_mart if g["is_withdrawn"]]
    assert [(g["municipality_code"], g["fiscal_year"], g["status"]) for g in withdrawn] == [
        (AIZUMISATO, 2024, "取下げ")
    ]
    assert not [f for f in mart if f["municipality_code"] == AIZUMISATO]


def test_plan_at_exactly_the_cap_is_no_finding(mart, sample):
    grants, _munis, districts = sample
    (plan,) = [g for g in grants if g.tag == sc.EXACT_CAP_TAG and g.program == "plan"]
    assert plan.grant_yen == 500_000
    code, district = districts[sc.EXACT_CAP_TAG]
    assert not [f for f in mart if (f["municipality_code"], f["district_name"]) == (code, district)]
