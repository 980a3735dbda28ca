"""`python -m bench <what>`: benchmarks that print figures (they assert nothing)."""

from __future__ import annotations

import argparse
import importlib


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m bench")
    sub = top.add_subparsers(dest="what", required=True)
    etl = sub.add_parser(
        "etl",
        help="national build beside naive and floor references, the growth curve, one large file",
    )
    etl.add_argument("--runs", type=int, default=3)
    etl.add_argument(
        "--scales", default="1,4,16", help="grant file sizes for the curve (× 50,000 rows)"
    )
    etl.add_argument(
        "--only",
        choices=("large", "sample"),
        help="large: only the large-file row (300,000 grant rows in one CSV); sample: only the "
        "embedded sample beside Python's start-up; --runs builds",
    )
    pages = sub.add_parser(
        "pages", help="server-side page run times (cold/warm) and map figure size"
    )
    pages.add_argument("--runs", type=int, default=3)
    pages.add_argument("--app", help="the app to measure (default: app.py)")
    pages.add_argument("--pages", help="comma-separated pages, e.g. overview,hubs (default: all)")
    pages.add_argument(
        "--breakdown",
        action="store_true",
        help="also where each page's warm rerun spends its time (py-spy, from requirements-dev)",
    )
    maps = sub.add_parser(
        "map", help="map figure sizes with all 47 prefectures loaded from a national file"
    )
    maps.add_argument(
        "--boundaries",
        metavar="FILE",
        help="national N03 / TopoJSON / GeoJSON of all municipalities "
        "(default: the development copy beside the project, when present)",
    )
    packs = sub.add_parser("export", help="time and peak memory of each briefing pack")
    packs.add_argument("--runs", type=int, default=2)
    load = sub.add_parser(
        "load", help="concurrent sessions against a server on loopback, publish mid-run"
    )
    load.add_argument("--sessions", type=int, default=20)
    load.add_argument("--duration", type=float, default=60.0, help="seconds")
    load.add_argument(
        "--port", type=int, help="port for the server it starts (default: a free one)"
    )
    load.add_argument(
        "--think-min", type=float, default=3.0, help="shortest pause between page views, s"
    )
    load.add_argument(
        "--think-max", type=float, default=10.0, help="longest pause between page views, s"
    )
    load.add_argument(
        "--target",
        metavar="URL",
        help="an already running server (e.g. nginx of `make serve`) instead of starting one",
    )
    load.add_argument(
        "--warehouse",
        metavar="DIR",
        help="with --target: the warehouse it serves; the mid-run publish goes there "
        "(without it the publish is skipped)",
    )
    return top


MODULES = {"etl": "bench.etl_bench", "pages": "bench.pages_bench", "export": "bench.export_bench",
           "load": "bench.load_bench", "map": "bench.map_bench"}  # fmt: skip


def main() -> None:
    args = parser().parse_args()
    importlib.import_module(MODULES[args.what]).run(args)


if __name__ == "__main__":
    main()
