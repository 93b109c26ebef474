"""Run every peer comparison: ``python -m benchmarks.peers [NAME ...]`` (names without ``vs_``)."""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from pathlib import Path


def discover() -> list[str]:
    """The comparisons, sorted: ``vs_<peer>.py`` files, by peer name."""
    return sorted(p.stem[3:] for p in Path(__file__).parent.glob("vs_*.py"))


def main(argv: list[str] | None = None) -> int:
    available = discover()
    parser = argparse.ArgumentParser(prog="python -m benchmarks.peers", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"comparisons to run (default: all of {', '.join(available)})")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in available]
    if unknown:
        parser.error(f"unknown comparison(s) {unknown!r}; available: {', '.join(available)}")
    status = 0
    for name in args.names or available:
        print(f"== {name}", flush=True)
        try:
            status |= importlib.import_module(f"benchmarks.peers.vs_{name}").main([])
        except Exception:  # one failing comparison is reported, the others still run
            traceback.print_exc()
            status = 1
    return 1 if status else 0


if __name__ == "__main__":
    sys.exit(main())
