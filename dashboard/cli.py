"""`python -m dashboard export`: the briefing pack for a scheduled job (same code as the buttons)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.settings import load_settings
from dashboard.db import Warehouse, WarehouseMissing
from dashboard.export.packs import FORMATS, export
from dashboard.filters import build_profile_options, parse_filters
from dashboard.views import direct_loader


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m dashboard", description="小さな拠点モニター")
    sub = top.add_subparsers(dest="command", required=True)
    p = sub.add_parser("export", help="ブリーフィング資料（PPTX / PDF）または表（xlsx）を書き出す")
    p.add_argument("--profile", help="プロファイル（既定: 設定の既定プロファイル）")
    p.add_argument(
        "--bureau", action="append", default=[], help="地方振興局（複数指定可。省略時はすべて）"
    )
    p.add_argument("--from-fy", type=int, help="開始年度（西暦）")
    p.add_argument("--to-fy", type=int, help="終了年度（西暦）")
    p.add_argument("--format", choices=sorted(FORMATS), required=True)
    p.add_argument(
        "--out", required=True, help="出力ファイル（フォルダを指定するとその中に既定の名前で作成）"
    )
    p.add_argument("--warehouse", help="倉庫フォルダ（既定: data/warehouse/）")
    p.add_argument(
        "--appendix",
        action="store_true",
        help="PPTX / PDF に付録（市町村別・規則チェック全件・地区の上限などの表）を付ける",
    )
    return top


def run_export(args) -> int:
    settings = load_settings()
    warehouse_dir = Path(args.warehouse).resolve() if args.warehouse else settings.warehouse_dir
    load = direct_loader(Warehouse(warehouse_dir).snapshot())  # one build for the whole pack
    options = build_profile_options(load)
    params = {"profile": [args.profile or settings.default_profile], "bureau": args.bureau}
    if args.from_fy is not None:
        params["from"] = [str(args.from_fy)]
    if args.to_fy is not None:
        params["to"] = [str(args.to_fy)]
    filters, warnings = parse_filters(params, options, settings.default_profile)
    if warnings:  # a scheduled job must not silently produce a different pack
        for warning in warnings:
            print(
                f"エラー: {warning.replace('リンクの', '指定の').replace('（除外しました）', '')}",
                file=sys.stderr,
            )
        return 2
    result = export(
        load,
        filters,
        options[filters.profile],
        args.format,
        settings.boundaries_dir,
        settings.map_style,
        appendix=args.appendix,
    )
    out = Path(args.out)
    target = out / result.file_name if out.is_dir() else out
    target.write_bytes(result.data)
    print(f"書き出しました: {target}（{len(result.data):,} バイト）")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return run_export(args)
    except WarehouseMissing as exc:
        print(f"エラー: {exc}", file=sys.stderr)
        return 1
