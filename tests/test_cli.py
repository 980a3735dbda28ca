"""`python -m etl`: exit codes and machine-readable output."""

from __future__ import annotations

import json
import subprocess
import sys

from core.settings import PROJECT_DIR
from tests.conftest import SAMPLE_DIR


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=PROJECT_DIR, capture_output=True,
                          text=True, env=env)  # fmt: skip


BAD = "年度,市町村,地区名,事業区分,補助金額（円）,状態\nR6,西会津町,A地区,計画策定事業,12x,完了\nR6,架空町,B地区,計画策定事業,1000,完了\n"


def test_validate_json_lists_every_problem(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD, encoding="utf-8")
    result = run(
        "validate", str(bad), str(SAMPLE_DIR / "tottori_cooperatives.xlsx"), "--format", "json"
    )
    assert result.returncode == 1
    problems = json.loads(result.stdout)
    assert [{k: p[k] for k in ("file", "row", "column", "value")} for p in problems] == [
        {"file": "bad.csv", "row": 2, "column": "補助金額（円）", "value": "12x"},
        {"file": "bad.csv", "row": 3, "column": "市町村", "value": "架空町"},
    ]
    assert all(
        {"file", "row", "column", "value", "reason"} <= set(p) and p["reason"] for p in problems
    )


def test_validate_clean_files_exits_zero():
    result = run("validate", *sorted(str(p) for p in SAMPLE_DIR.glob("*.xlsx")))
    assert result.returncode == 0, result.stdout
    assert "OK" in result.stdout


def test_build_then_status(tmp_path):
    warehouse = tmp_path / "wh"
    result = run("build", "--warehouse", str(warehouse), "--quiet")
    assert result.returncode == 0, result.stderr
    status = run("status", "--json", "--warehouse", str(warehouse))
    assert status.returncode == 0
    info = json.loads(status.stdout)
    assert info["is_sample"] is True
    assert info["path"].endswith(f"{info['version']}.duckdb")
    assert {f["file"] for f in info["inputs"]} == {
        p.name for p in SAMPLE_DIR.glob("*.*") if p.suffix in (".csv", ".xlsx")
    }
    assert all(len(f["sha256"]) == 64 and f["rows"] > 0 for f in info["inputs"])
    again = run("build", "--warehouse", str(warehouse), "--if-missing")
    assert again.returncode == 0 and "公開済み" in again.stdout


def test_build_with_a_bad_file_exits_one_and_names_the_cell(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bad.csv").write_text(BAD, encoding="utf-8")
    result = run("build", "--input", str(folder), "--warehouse", str(tmp_path / "wh"))
    assert result.returncode == 1
    assert "bad.csv 2行目 列「補助金額（円）」 値「12x」" in result.stderr
    assert "倉庫は変更していません" in result.stderr
    assert not (tmp_path / "wh" / "CURRENT").exists()


def test_status_without_a_warehouse(tmp_path):
    result = run("status", "--warehouse", str(tmp_path / "none"))
    assert result.returncode == 1 and "python -m etl build" in result.stdout


def test_sample_command_is_byte_identical(tmp_path):
    result = run("sample", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    committed = {p.name: p.read_bytes() for p in SAMPLE_DIR.iterdir()}
    written = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert written == committed


def test_help_lists_the_commands_for_people_and_not_the_apps_preview():
    result = run("--help")
    assert result.returncode == 0
    assert "{build,validate,status,rollback,boundaries,sample}" in result.stdout
    assert "preview" not in result.stdout


def test_preview_builds_a_candidate_without_publishing_and_prints_json(tmp_path):
    target = tmp_path / "preview.duckdb"
    result = run("preview", "--input", str(SAMPLE_DIR), "--target", str(target))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rows"]["hubs"] == 277
    assert "データテスト" in result.stderr.splitlines()  # progress, one step a line
    assert target.exists()


def test_preview_of_a_bad_folder_prints_the_problems_as_json(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bad.csv").write_text(BAD, encoding="utf-8")
    result = run("preview", "--input", str(folder), "--target", str(tmp_path / "p.duckdb"))
    assert result.returncode == 1
    outcome = json.loads(result.stdout)
    assert outcome["error"] == "2件の問題があります（bad.csv）"
    assert [(p["row"], p["value"]) for p in outcome["problems"]] == [(2, "12x"), (3, "架空町")]
    assert not (tmp_path / "p.duckdb").exists()
