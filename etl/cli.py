"""`python -m etl`: build, validate, status, boundaries, sample. Errors become exit codes here."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import duckdb

from etl import publish
from etl.errors import DataTestFailed, EtlError, ValidationFailed
from etl.settings import load_settings


def _progress(quiet: bool):
    started = time.monotonic()

    def report(message: str) -> None:
        if not quiet:
            print(f"[{time.monotonic() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    return report


def cmd_build(args, settings) -> int:
    from etl.build import build

    if args.warehouse:
        settings = _with(settings, warehouse_dir=Path(args.warehouse).resolve())
    if args.if_missing and publish.current_build_id(settings.warehouse_dir):
        print(f"公開済みの倉庫があります: {publish.current_path(settings.warehouse_dir)}")
        return 0
    input_dir = Path(args.input).resolve() if args.input else None
    result = build(settings, input_dir, args.profile, _progress(args.quiet), args.wait)
    print(f"公開しました: {result.build_id} ({result.files}ファイル, 警告{result.warnings}件)")
    for table, count in result.rows.items():
        print(f"  {table}: {count}行")
    return 0


def cmd_validate(args, settings) -> int:
    from etl.build import make_context, validate_files

    ctx = make_context(settings, args.profile)
    paths = [Path(p) for p in args.files]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise EtlError(f"ファイルがありません: {', '.join(missing)}")
    parsed = validate_files(paths, ctx)
    problems = [p for item in parsed for p in item.problems]
    if args.format == "json":
        print(json.dumps([p.as_dict() for p in problems], ensure_ascii=False, indent=2))
    else:
        for item in parsed:
            state = "OK" if item.ok else f"{len(item.problems)}件の問題"
            print(f"{item.name}: {item.kind or '不明'} {len(item.records)}行 — {state}")
            for problem in item.problems:
                print(f"  {problem}")
            for warning in item.warnings:
                print(f"  (警告) {warning}")
    return 1 if problems else 0


def warehouse_status(warehouse_dir: Path) -> dict | None:
    path = publish.current_path(warehouse_dir)
    if path is None or not path.exists():
        return None
    with duckdb.connect(str(path), read_only=True) as con:
        info = con.execute(
            "select build_id, built_at, input_dir, is_sample from build_info"
        ).fetchone()
        files = con.execute(
            "select file, kind, sha256, rows, dropped_rows, is_sample from load_log"
        ).df()
    return {
        "path": str(path),
        "version": info[0],
        "built_at": info[1].isoformat(timespec="seconds") + "Z",
        "input_dir": info[2],
        "is_sample": bool(info[3]),
        "inputs": json.loads(files.to_json(orient="records", force_ascii=False)),
    }


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
        print(f"  {item['file']}  {item['kind']}  {item['rows']}行  sha256={item['sha256']}")
    return 0


def cmd_boundaries(args, settings) -> int:
    from etl.boundaries import existing_boundaries, fetch_boundaries

    if args.if_missing:
        existing = existing_boundaries(settings, args.profile)
        if existing:
            print(f"境界データがあります: {existing}")
            return 0

    out = fetch_boundaries(
        settings, args.profile, args.source, _progress(args.quiet), timeout=args.timeout
    )
    print(f"境界データを書き出しました: {out}")
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


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m etl", description="小さな拠点モニター ETL")
    sub = top.add_subparsers(dest="command", required=True)

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

    p = sub.add_parser("boundaries", help="行政区域（N03）を取得・簡略化して保存する")
    p.add_argument("--profile")
    p.add_argument("--from", dest="source", help="ローカルの zip / GeoJSON / Shapefile または URL")
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--if-missing", action="store_true", help="境界データがあれば何もしない")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_boundaries)

    p = sub.add_parser("sample", help="サンプルデータを決定的に再生成する")
    p.add_argument("--out", help="出力フォルダ（既定: data/sample/）")
    p.set_defaults(func=cmd_sample)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = load_settings()
    try:
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
