"""``python -m bench NAME [options]``, ``python -m bench all``, ``python -m bench --list``."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import signal
import sys
import traceback
from pathlib import Path
from types import ModuleType

DEFAULT_SETTINGS = "cinema.settings.base"
PACKAGE = "bench"


def discover() -> list[str]:
    """Public modules of this package, in name order; each one is a benchmark."""
    folder = Path(__file__).resolve().parent
    return sorted(
        info.name
        for info in pkgutil.iter_modules([str(folder)])
        if not info.name.startswith("_") and not info.ispkg
    )


def load(name: str) -> ModuleType:
    module = importlib.import_module(f"{PACKAGE}.{name}")
    if not (callable(getattr(module, "run", None)) and hasattr(module, "add_arguments")):
        raise SystemExit(f"bench/{name}.py has no run(args) and add_arguments(parser)")
    return module


def summary(module: ModuleType) -> str:
    doc = (module.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""


def benchmark_parser(name: str, module: ModuleType) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m bench {name}", description=summary(module))
    module.add_arguments(parser)
    return parser


def setup_django(settings_module: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    import django
    from django.conf import settings

    django.setup()
    # Measure what production runs: no query log growing in memory, no debug pages.
    settings.DEBUG = False


def run_one(name: str, module: ModuleType, args: argparse.Namespace) -> dict:
    print(f"[bench] running {name}", file=sys.stderr, flush=True)
    result = module.run(args)
    result.setdefault("benchmark", name)
    missing = {"benchmark", "figure", "unit", "baseline", "ratio", "params"} - result.keys()
    if missing:
        raise RuntimeError(f"{name} result lacks {sorted(missing)}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run Marquee's benchmarks; each prints one JSON object on stdout.",
        epilog="Options after NAME go to that benchmark; see python -m bench NAME --help.",
        add_help=False,
    )
    parser.add_argument("-h", "--help", action="store_true", help="show this help and exit")
    parser.add_argument("name", nargs="?", help="benchmark to run, or 'all'")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument(
        "--settings",
        default=os.environ.get("DJANGO_SETTINGS_MODULE") or DEFAULT_SETTINGS,
        help=f"Django settings module (default: $DJANGO_SETTINGS_MODULE or {DEFAULT_SETTINGS})",
    )
    args, rest = parser.parse_known_args(argv)
    if args.help:
        if not args.name or args.name == "all":
            parser.print_help()
            return 0
        rest.append("--help")  # the benchmark's own options

    # SIGTERM unwinds like Ctrl-C, so the throwaway database is still dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    setup_django(args.settings)
    names = discover()

    if args.list:
        for name in names:
            print(f"{name:<20} {summary(load(name))}")
        return 0
    if not args.name:
        parser.print_usage(sys.stderr)
        return 2

    if args.name != "all":
        if args.name not in names:
            parser.error(f"unknown benchmark {args.name!r}; known: {', '.join(names)}")
        module = load(args.name)
        bench_args = benchmark_parser(args.name, module).parse_args(rest)
        print(json.dumps(run_one(args.name, module, bench_args)), flush=True)
        return 0

    # `all`: each benchmark takes the options it knows; an option none knows is an error.
    modules = {name: load(name) for name in names}
    parsed, unknown_everywhere = {}, None
    for name, module in modules.items():
        parsed[name], unknown = benchmark_parser(name, module).parse_known_args(rest)
        unknown_everywhere = (
            set(unknown) if unknown_everywhere is None else unknown_everywhere & set(unknown)
        )
    if unknown_everywhere:
        parser.error(f"no benchmark accepts {sorted(unknown_everywhere)}")
    failed = []
    for name, module in modules.items():
        try:
            print(json.dumps(run_one(name, module, parsed[name])), flush=True)
        except Exception:
            traceback.print_exc()
            failed.append(name)
    if failed:
        print(f"[bench] failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
