"""`python -m etl`: build, validate, status, boundaries, sample. Errors become exit codes here.

Known errors (EtlError) become their message; anything else becomes a short message that names
the command, its input and the last step, with the full traceback in a log file under log_dir."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
import time
import traceback
from pathlib import Path

import duckdb

from core import layout
from core.settings import PROJECT_DIR, load_settings
from etl import publish
from etl.errors import UNCHANGED, DataTestFailed, EtlError, Problem, ValidationFailed

COMMANDS = (
    "build",
    "validate",
    "status",
    "rollback",
    "boundaries",
    "sample",
)  # `preview` is for the app only


def _step(args, message: str) -> None:
    """Remember the last step of the command, for the message of an unexpected error."""
    args.last_step = message


def _progress(args):
    started = time.monotonic()

    def report(message: str) -> None:
        _step(args, message)
        if not args.quiet:
            print(f"[{time.monotonic() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    return report


def cmd_build(args, settings) -> int:
    from etl.build import build

    if args.warehouse:
        settings = _with(settings, warehouse_dir=Path(args.warehouse).resolve())
    if args.if_missing and layout.current_build_id(settings.warehouse_dir):
        print(f"公開済みの倉庫があります: {layout.current_path(settings.warehouse_dir)}")
        return 0
    input_dir = Path(args.input).resolve() if args.input else None
    result = build(settings, input_dir, args.profile, _progress(args), args.wait)
    print(f"公開しました: {result.build_id} ({result.files}ファイル, 警告{result.warnings}件)")
    for table, count in result.rows.items():
        print(f"  {table}: {count}行")
    for name, reason in result.skipped:
        print(f"  読み飛ばし: {name}（{reason}）")
    return 0


def cmd_validate(args, settings) -> int:
    from etl.build import make_context, validate_files
    from etl.readers import not_data_reason

    ctx = make_context(settings, args.profile)
    paths = [Path(p) for p in args.files]
    missing = [p for p in paths if not p.is_file()]
    if missing and args.format != "json":
        raise EtlError(f"ファイルがありません: {', '.join(str(p) for p in missing)}")
    paths = [p for p in paths if p not in missing]
    # as `build` does: Excel's ~$ lock files, READMEs … (a glob picks them up) are not data
    skipped = [(p.name, not_data_reason(p)) for p in paths if not_data_reason(p)]
    paths = [p for p in paths if not not_data_reason(p)]
    parsed = validate_files(paths, ctx, progress=lambda message: _step(args, message))
    problems = [Problem(p.name, None, None, None, "ファイルがありません") for p in missing]
    problems += [p for item in parsed for p in item.problems]
    if args.format == "json":  # a missing file is one more problem: stdout stays one JSON list
        print(json.dumps([p.as_dict() for p in problems], ensure_ascii=False, indent=2))
    else:
        shown: set[tuple] = set()
        for item in parsed:
            state = "OK" if item.ok else f"{len(item.problems)}件の問題"
            sheets = f"［{item.sheet}］" if item.sheet else ""
            print(f"{item.name}{sheets}: {item.kind or '不明'} {len(item.records)}行 — {state}")
            for problem in item.problems:
                print(f"  {problem}")
            for warning in item.warnings:
                print(f"  (警告) {warning}")
            for sheet, reason in item.skipped_sheets:
                if (item.name, sheet) not in shown:
                    shown.add((item.name, sheet))
                    print(f"  (読み飛ばし) シート「{sheet}」: {reason}")
        for name, reason in skipped:
            print(f"{name}: 読み飛ばし（{reason}）")
    return 1 if problems else 0


def cmd_preview(args, settings) -> int:
    """Build a candidate warehouse into --target without publishing it (the データ page's
    preview, run in a child with limits). Progress lines go to stderr; stdout is one JSON object:
    {"rows": …}, or {"error": …} with "problems" or "failures" when refused."""
    from etl.build import preview_build

    def report(message: str) -> None:
        _step(args, message)
        print(message, file=sys.stderr, flush=True)

    try:
        rows = preview_build(settings, Path(args.input), Path(args.target), args.profile, report)
    except ValidationFailed as exc:
        outcome = {"error": str(exc), "problems": [p.as_dict() for p in exc.problems]}
    except DataTestFailed as exc:
        outcome = {"error": str(exc), "failures": exc.failures}
    except EtlError as exc:
        outcome = {"error": str(exc)}
    else:
        print(json.dumps({"rows": rows}, ensure_ascii=False))
        return 0
    print(json.dumps(outcome, ensure_ascii=False, default=str))
    return 1


def warehouse_status(warehouse_dir: Path) -> dict | None:
    import pandas as pd  # here only: a build does not need pandas (0.4 s of its start)

    path = layout.current_path(warehouse_dir)
    if path is None or not path.exists():
        return None
    with duckdb.connect(str(path), read_only=True) as con:
        info = con.execute(
            "select build_id, built_at, input_dir, is_sample from build_info"
        ).fetchone()
        files = con.execute("select * from load_log").df()
    # builds made before load_log had a status column list only the files they read
    status = files["status"] if "status" in files else pd.Series("loaded", index=files.index)
    columns = ["file", "sheet", "kind", "sha256", "rows", "dropped_rows", "is_sample", "note"]
    loaded = files[status == "loaded"].reindex(columns=columns)
    skipped = files[status == "skipped"].reindex(columns=["file", "sheet", "note"])
    return {
        "path": str(path),
        "version": info[0],
        "built_at": info[1].isoformat(timespec="seconds") + "Z",
        "input_dir": info[2],
        "is_sample": bool(info[3]),
        "inputs": json.loads(loaded.to_json(orient="records", force_ascii=False)),
        "skipped": json.loads(skipped.to_json(orient="records", force_ascii=False)),
    }


def cmd_rollback(args, settings) -> int:
    warehouse_dir = Path(args.warehouse).resolve() if args.warehouse else settings.warehouse_dir
    publish.rollback(warehouse_dir, args.build_id, wait_seconds=args.wait)
    print(f"公開しました: {args.build_id}（以前の版に戻しました）")
    return 0


def cmd_status(args, settings) -> int:
    warehouse_dir = Path(args.warehouse).resolve() if args.warehouse else settings.warehouse_dir
    status = warehouse_status(warehouse_dir)
    if status is None:
        message = f"公開されている倉庫がありません: {warehouse_dir}（python -m etl build で作成）"
        print(json.dumps({"error": message}, ensure_ascii=False) if args.json else message)
        return 1
    if args.json:
        print(json.dumps(status, ensure_ascii=False, indent=2))
        return 0
    print(f"倉庫: {status['path']}\n版: {status['version']}\n作成: {status['built_at']}")
    print(f"入力: {status['input_dir']}{'（サンプルデータ）' if status['is_sample'] else ''}")
    for item in status["inputs"]:
        sheet = f"［{item['sheet']}］" if item.get("sheet") else ""
        print(f"  {item['file']}{sheet}  {item['kind']}  {item['rows']}行  sha256={item['sha256']}")
    for item in status["skipped"]:
        sheet = f"［{item['sheet']}］" if item.get("sheet") else ""
        print(f"  （読み飛ばし）{item['file']}{sheet}: {item['note']}")
    return 0


def cmd_boundaries(args, settings) -> int:
    from etl.boundaries import boundaries_from_file, existing_boundaries, fetch_boundaries

    if args.if_missing:
        existing = existing_boundaries(settings, args.profile)
        if existing:
            print(f"境界データがあります: {existing}")
            return 0

    if args.source and not args.profile:  # every profile whose prefecture the file holds
        for out in boundaries_from_file(settings, args.source, _progress(args)):
            print(f"境界データを書き出しました: {out}")
        return 0
    out = fetch_boundaries(
        settings, args.profile, args.source, _progress(args), timeout=args.timeout
    )
    print(f"境界データを書き出しました: {out}")
    return 0


def cmd_profile_new(args, settings) -> int:
    from etl.profile_new import new_profile

    if (args.target_year is None) != (args.target_value is None):
        raise EtlError("--target-year と --target-value は両方指定してください")
    target = None if args.target_year is None else (args.target_year, args.target_value)
    bureaus = Path(args.bureaus) if args.bureaus else None
    made = new_profile(settings, args.pref, args.boundaries, bureaus, target, args.key, args.timeout,
                       _progress(args))  # fmt: skip
    print(f"プロファイルを書き出しました: {made.profile_path}")
    print(f"市町村の一覧（{made.municipalities}市町村）: {made.municipalities_path}")
    print(f"境界データ: {made.boundaries_path}")
    if made.bureaus:
        print(f"{made.bureau_label}: {'、'.join(made.bureaus)}")
    else:
        print("振興局などの区分はありません（--bureaus で追加できます）。")
    print(f"次に: python -m etl build --input <入力フォルダ>（画面では ?profile={made.key}）")
    return 0


def cmd_sample(args, settings) -> int:
    from etl.sample import write_sample

    out_dir = Path(args.out).resolve() if args.out else settings.sample_dir
    written = write_sample(out_dir)
    print(f"サンプルデータを書き出しました: {out_dir}（{len(written)}ファイル）")
    return 0


def _with(settings, **changes):
    from dataclasses import replace

    return replace(settings, **changes)


def build_command(
    input_dir: Path | str,
    *,
    warehouse: Path | str | None = None,
    profile: str | None = None,
    wait: float | None = None,
    quiet: bool = False,
) -> list[str]:
    """The argv of `python -m etl build` in a child process, for the app's publish, the
    benchmarks and the crash tests."""
    command = [sys.executable, "-m", "etl", "build", "--input", str(input_dir)]
    if warehouse is not None:
        command += ["--warehouse", str(warehouse)]
    if profile:
        command += ["--profile", profile]
    if wait is not None:
        command += ["--wait", str(wait)]
    if quiet:
        command.append("--quiet")
    return command


def validate_command(files: list[Path], profile: str | None = None) -> list[str]:
    """The argv of `python -m etl validate --format json` in a child process (uploads)."""
    command = [sys.executable, "-m", "etl", "validate", "--format", "json"]
    if profile:
        command += ["--profile", profile]
    return [*command, "--", *(str(f) for f in files)]


def preview_command(input_dir: Path, target: Path, profile: str | None = None) -> list[str]:
    """The argv of the app's preview build in a child process (not listed in --help)."""
    command = [sys.executable, "-m", "etl", "preview", "--input", str(input_dir)]
    command += ["--target", str(target)]
    return command + (["--profile", profile] if profile else [])


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m etl", description="小さな拠点モニター ETL")
    sub = top.add_subparsers(dest="command", required=True, metavar="{" + ",".join(COMMANDS) + "}")

    p = sub.add_parser("build", help="入力フォルダから倉庫を作り、検証して公開する")
    p.add_argument("--input", help="入力フォルダ（既定: data/sample/）")
    p.add_argument("--warehouse", help="倉庫フォルダ（既定: data/warehouse/）")
    p.add_argument("--profile", help="都道府県が書かれていないファイルに使うプロファイル")
    p.add_argument("--if-missing", action="store_true", help="公開済みの倉庫があれば何もしない")
    p.add_argument("--wait", type=float, default=0.0, help="他のビルドの終了を待つ秒数")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("validate", help="ファイルを検証する（倉庫は変えない）")
    p.add_argument("files", nargs="+")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--profile")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("status", help="公開中の倉庫の情報")
    p.add_argument("--json", action="store_true")
    p.add_argument("--warehouse")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("rollback", help="以前に公開した版を公開中に戻す")
    p.add_argument("build_id", help="戻す版（python -m etl status や データ ページの履歴に表示）")
    p.add_argument("--warehouse")
    p.add_argument("--wait", type=float, default=0.0, help="他のビルドの終了を待つ秒数")
    p.set_defaults(func=cmd_rollback)

    p = sub.add_parser("boundaries", help="行政区域（N03）を取得・簡略化して保存する")
    p.add_argument("--profile")
    p.add_argument("--from", dest="source",
                   help="ローカルの zip / GeoJSON / Shapefile / TopoJSON または URL。--profile なしなら、"
                        "ファイルにあるプロファイルの都道府県をすべて書き出す（全国ファイル可）")  # fmt: skip
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--if-missing", action="store_true", help="境界データがあれば何もしない")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_boundaries)

    p = sub.add_parser("profile", help="都道府県のプロファイルを作る（profile new PREF）")
    actions = p.add_subparsers(dest="action", required=True)
    p = actions.add_parser(
        "new", help="47都道府県のどれでも、プロファイル・市町村一覧・境界を N03 から作る"
    )
    p.add_argument("pref", help="都道府県コード（2桁）または名前（島根県）")
    p.add_argument(
        "--boundaries",
        help="N03 の zip / GeoJSON / Shapefile / TopoJSON（全国ファイル可）。なければ国土数値情報からダウンロード",
    )
    p.add_argument(
        "--bureaus", help="市町村（コード5・6桁か名前）と振興局などの対応表（CSV / Excel）"
    )
    p.add_argument("--target-year", type=int)
    p.add_argument("--target-value", type=int)
    p.add_argument("--key", help="プロファイルのキー（既定: 都道府県のローマ字名、例: shimane）")
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_profile_new)

    p = sub.add_parser("sample", help="サンプルデータを決定的に再生成する")
    p.add_argument("--out", help="出力フォルダ（既定: data/sample/）")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("preview")  # no help: the app runs it, people use build and validate
    p.add_argument("--input", required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--profile")
    p.set_defaults(func=cmd_preview)
    return top


def _inputs(args) -> str:
    """What the command was reading, as a person would name it."""
    if args.command == "validate":
        names = [Path(f).name for f in args.files]
        more = f" ほか{len(names) - 3}件" if len(names) > 3 else ""
        return "、".join(names[:3]) + more
    if args.command in ("build", "preview"):
        return args.input or "サンプルデータ（data/sample/）"
    if args.command == "boundaries":
        return args.source or "国土数値情報（ダウンロード）"
    return ""


def _published(args, settings) -> str | None:
    """The build id published now in the warehouse the command works on (None if unknown)."""
    warehouse = getattr(args, "warehouse", None)
    with contextlib.suppress(Exception):
        return layout.current_build_id(Path(warehouse) if warehouse else settings.warehouse_dir)
    return None


def _outcome(args, settings, before: str | None) -> str:
    after = _published(args, settings)
    return UNCHANGED if after == before else f"新しい版 {after} が公開されています。"


def write_log(log_dir: Path, argv: list[str], step: str | None, exc: BaseException) -> Path:
    """The full record of an unexpected error: one new file per error under log_dir."""
    now = dt.datetime.now()
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / f"etl-{now:%Y%m%d-%H%M%S}-{os.getpid()}.log"
    text = (
        f"時刻: {now.isoformat(timespec='seconds')}\n"
        f"コマンド: python -m etl {' '.join(argv)}\n"
        f"最後の処理: {step or '（なし）'}\n\n" + "".join(traceback.format_exception(exc))
    )
    with path.open("x", encoding="utf-8") as handle:
        handle.write(text)
    return path


def report_unexpected(args, settings, argv: list[str], exc: Exception, before: str | None) -> int:
    """The last resort: a clear message on stderr and the traceback in a log file; exit 1."""
    detail = type(exc).__name__
    first = next(iter(str(exc).splitlines()), "").strip()
    if first:
        detail += f": {first[:200]}"
    if isinstance(exc, MemoryError):
        detail = f"メモリが足りません（{detail}）"
    where = [f"入力: {_inputs(args)}"] if _inputs(args) else []
    if args.last_step:
        where.append(f"処理中: {args.last_step}")
    place = f"（{'／'.join(where)}）" if where else ""
    lines = [f"予期しないエラーで「{args.command}」を中止しました{place}: {detail}"]
    log_dir = settings.log_dir if settings else PROJECT_DIR / "data" / "logs"
    try:
        lines.append(f"詳しい記録: {write_log(log_dir, argv, args.last_step, exc)}")
    except Exception as log_error:  # noqa: BLE001 - the record is lost, the message is not
        reason = getattr(log_error, "strerror", None) or type(log_error).__name__
        lines.append(f"詳しい記録をログに書けませんでした（{log_dir}: {reason}）。")
    lines.append(_outcome(args, settings, before) if settings else UNCHANGED)
    with contextlib.suppress(Exception):
        print("\n".join(lines), file=sys.stderr, flush=True)
    return 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    args.last_step = None
    settings, before = None, None
    try:
        settings = load_settings()
        before = _published(args, settings)
        return args.func(args, settings)
    except ValidationFailed as exc:
        print(f"取り込みを中止しました: {exc}。倉庫は変更していません。", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except DataTestFailed as exc:
        print(f"公開を中止しました: {exc}。倉庫は変更していません。", file=sys.stderr)
        for name, rows in exc.failures.items():
            print(
                f"  {name}: {json.dumps(rows[:5], ensure_ascii=False, default=str)}",
                file=sys.stderr,
            )
        return 1
    except EtlError as exc:
        print(f"エラー: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        outcome = _outcome(args, settings, before) if settings else UNCHANGED
        with contextlib.suppress(Exception):
            print(f"中断しました。{outcome}", file=sys.stderr, flush=True)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last resort: never a traceback on screen
        return report_unexpected(args, settings, argv, exc, before)
