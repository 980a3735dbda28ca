"""`python -m bench <what>`: benchmarks that print figures (they assert nothing)."""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    sub = parser.add_subparsers(dest="what", required=True)
    etl = sub.add_parser("etl", help="build time and peak memory: sample and national-scale input")
    etl.add_argument("--runs", type=int, default=3)
    pages = sub.add_parser(
        "pages", help="server-side page run times (cold/warm) and map figure size"
    )
    pages.add_argument("--runs", type=int, default=3)
    packs = sub.add_parser("export", help="time and peak memory of each briefing pack")
    packs.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    if args.what == "etl":
        from bench import etl_bench

        etl_bench.run(args)
    elif args.what == "export":
        from bench import export_bench

        export_bench.run(args)
    elif args.what == "pages":
        from bench import pages_bench

        pages_bench.run(args)


if __name__ == "__main__":
    main()
