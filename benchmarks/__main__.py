"""Run every benchmark module's ``main()``: ``python -m benchmarks [NAME ...]``.

Modules are the ``benchmarks/*.py`` files (not starting with ``_``) in name
order; with names given, only those.  Each ``main()`` runs with no
command-line arguments of its own (its defaults).  A failing benchmark is
reported and the others still run; the exit status is 1 if any failed.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from pathlib import Path


def discover() -> list[str]:
    """Names of the benchmark modules, sorted."""
    here = Path(__file__).parent
    return sorted(p.stem for p in here.glob("*.py") if not p.stem.startswith("_"))


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks; return the exit status."""
    available = discover()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all of {', '.join(available)})")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(available))
        return 0
    unknown = [n for n in args.names if n not in available]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown!r}; available: {', '.join(available)}")
    failed = []
    for name in args.names or available:
        module = importlib.import_module(f"benchmarks.{name}")
        entry = getattr(module, "main", None)
        if entry is None:
            print(f"== {name}: no main(), skipped", flush=True)
            continue
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        saved = sys.argv
        sys.argv = [f"benchmarks.{name}"]
        try:
            entry()
        except SystemExit as exc:
            if exc.code not in (0, None):
                failed.append(name)
        except Exception:  # noqa: BLE001 - report and go on with the other benchmarks
            traceback.print_exc()
            failed.append(name)
        finally:
            sys.argv = saved
        print(f"== {name}: {time.perf_counter() - start:.1f} s", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
