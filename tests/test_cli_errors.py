"""`python -m etl`: the last-resort handler. An unexpected error is a message, a log file and exit 1;
never a traceback on screen."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from core import layout
from core.settings import PROJECT_DIR
from etl import cli, publish
from tests.conftest import SAMPLE_DIR

UNCHANGED = "公開中のデータは変わっていません。"


@pytest.fixture
def logs(tmp_path, monkeypatch):
    """The log folder of the command (not made yet) and a private warehouse."""
    folder = tmp_path / "logs"
    monkeypatch.setenv("KYOTEN_LOG_DIR", str(folder))
    monkeypatch.setenv("KYOTEN_WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    return folder


def boom(*_args, **_kwargs):
    raise RuntimeError("boom in the middle")


def test_an_unexpected_error_is_a_message_a_log_and_exit_one(logs, monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(cli, "cmd_validate", boom)
    listing = tmp_path / "list.csv"
    listing.write_text("a,b\n1,2\n", encoding="utf-8")
    assert cli.main(["validate", str(listing)]) == 1
    out, err = capsys.readouterr()
    [log] = list(logs.iterdir())
    assert out == ""
    assert err.splitlines() == [
        "予期しないエラーで「validate」を中止しました（入力: list.csv）: RuntimeError: boom in the middle",
        f"詳しい記録: {log}",
        UNCHANGED,
    ]
    record = log.read_text(encoding="utf-8")
    assert f"コマンド: python -m etl validate {listing}" in record
    assert "Traceback (most recent call last)" in record and "in boom" in record
    assert record.rstrip().endswith("RuntimeError: boom in the middle")


def test_the_message_names_the_file_being_validated(logs, monkeypatch, capsys, tmp_path):
    def fail_on_second(paths, ctx, progress=lambda _: None):
        progress(f"[1/2] 検証 {paths[0].name}")
        progress(f"[2/2] 検証 {paths[1].name}")
        raise KeyError("列")

    monkeypatch.setattr("etl.build.validate_files", fail_on_second)
    paths = [tmp_path / "a.csv", tmp_path / "b.csv"]
    for path in paths:
        path.write_text("a,b\n1,2\n", encoding="utf-8")
    assert cli.main(["validate", "--format", "json", *map(str, paths)]) == 1
    out, err = capsys.readouterr()
    assert out == ""  # no half-printed JSON
    assert err.splitlines()[0] == (
        "予期しないエラーで「validate」を中止しました（入力: a.csv、b.csv／処理中: [2/2] 検証 b.csv）: "
        "KeyError: '列'"
    )
    assert "Traceback" not in err and err.endswith(f"{UNCHANGED}\n")
    assert "最後の処理: [2/2] 検証 b.csv" in next(logs.iterdir()).read_text(encoding="utf-8")


def test_an_unwritable_log_folder_is_said_and_still_exits_one(monkeypatch, capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("KYOTEN_LOG_DIR", str(blocker / "logs"))  # a folder inside a file
    monkeypatch.setenv("KYOTEN_WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    monkeypatch.setattr(cli, "cmd_status", boom)
    assert cli.main(["status"]) == 1
    _, err = capsys.readouterr()
    assert err.splitlines() == [
        "予期しないエラーで「status」を中止しました: RuntimeError: boom in the middle",
        f"詳しい記録をログに書けませんでした（{blocker / 'logs'}: Not a directory）。",
        UNCHANGED,
    ]


def test_a_memory_error_says_memory(logs, monkeypatch, capsys):
    def exhaust(*_):
        raise MemoryError

    monkeypatch.setattr(cli, "cmd_sample", exhaust)
    assert cli.main(["sample"]) == 1
    _, err = capsys.readouterr()
    assert err.splitlines()[0] == (
        "予期しないエラーで「sample」を中止しました: メモリが足りません（MemoryError）"
    )


def test_an_error_after_publishing_says_the_new_build_is_published(logs, monkeypatch, capsys):
    built = []

    def build_then_fail(args, settings):
        from etl.build import build

        built.append(build(settings, SAMPLE_DIR).build_id)
        raise RuntimeError("after the publish")

    monkeypatch.setattr(cli, "cmd_build", build_then_fail)
    assert cli.main(["build", "--quiet"]) == 1
    _, err = capsys.readouterr()
    assert err.splitlines()[-1] == f"新しい版 {built[0]} が公開されています。"


def test_ctrl_c_exits_130_with_a_short_message(logs, monkeypatch, capsys):
    def interrupted(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "cmd_status", interrupted)
    assert cli.main(["status"]) == 130
    _, err = capsys.readouterr()
    assert err == f"中断しました。{UNCHANGED}\n"
    assert not logs.exists()  # an interruption is not an error to investigate


def test_ctrl_c_while_waiting_for_another_build_exits_130_without_a_traceback(tmp_path):
    warehouse = tmp_path / "warehouse"
    command = cli.build_command(SAMPLE_DIR, warehouse=warehouse, wait=60)
    with publish.build_lock(warehouse):
        # As from a terminal: Ctrl-C's default handling even when this test itself was started
        # as a background job (a shell then passes SIGINT on as ignored).
        child = subprocess.Popen(command, cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = child.stderr.readline()
            lines.append(line)
            if "別の公開処理が実行中です" in line or not line:
                break
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    assert child.returncode == 130, lines + [err]
    assert err.splitlines()[-1] == f"中断しました。{UNCHANGED}"
    assert "Traceback" not in err
    assert layout.current_build_id(warehouse) is None


def test_a_real_process_prints_no_traceback_and_exits_one(tmp_path):
    code = (
        "import sys\nfrom etl import cli\n"
        "def boom(*_):\n    raise ZeroDivisionError('division by zero')\n"
        "cli.cmd_status = boom\nsys.exit(cli.main(['status']))\n"
    )
    env = {"KYOTEN_LOG_DIR": str(tmp_path / "logs"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True,
                            text=True, env=env, timeout=60)  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("予期しないエラーで「status」を中止しました: ZeroDivisionError")
    [log] = list((tmp_path / "logs").iterdir())
    assert "ZeroDivisionError: division by zero" in log.read_text(encoding="utf-8")


def test_validate_json_still_lists_known_problems_with_a_missing_file(tmp_path, capsys, logs):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "年度,市町村,地区名,事業区分,補助金額（円）,状態\nR6,西会津町,A地区,計画策定事業,12x,完了\n",
        encoding="utf-8",
    )
    assert cli.main(["validate", "--format", "json", str(tmp_path / "gone.csv"), str(bad)]) == 1
    out, err = capsys.readouterr()
    problems = json.loads(out)
    assert [(p["file"], p["row"], p["column"], p["value"]) for p in problems] == [
        ("gone.csv", None, None, None),
        ("bad.csv", 2, "補助金額（円）", "12x"),
    ]
    assert problems[0]["reason"] == "ファイルがありません"
    assert not logs.exists()
