"""The fuzz suite's harness: run one ``accel`` command in-process on hostile input and check how it fails.

Every run, whatever the input, must

* exit 0 (accepted), 2 (bad input) or 3 (infeasible): never 1 (a bug) and never a traceback;
* on exit 2, say where: the message names the input file (or the option) and a place in it (a line, a key path,
  a row, a column; or the file as a whole, when its top level has the wrong type or its encoding is wrong);
* on exit 2, write nothing: the working folder holds exactly what it held before;
* stay within :data:`PEAK_BYTES` of Python-level memory (``tracemalloc``'s peak over the run).

Examples are drawn by hypothesis under the suite's derandomized profile (``tests/conftest.py``): the same inputs
every run. ``ACCEL_FUZZ_SCALE`` multiplies every test's example count (``make fuzz`` sets it).
"""

from __future__ import annotations

import os
import re
import shutil
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from accel.cli import main

#: Most memory one run may take (tracemalloc's peak: every Python and numpy allocation).
PEAK_BYTES = 256 * 1024 * 1024
#: A place in a message: a line or column, an indexed entry, a dotted key path, a row, the top of the file.
PLACE = re.compile(r"line \d+|column \d+|\[\d+\]|\b[A-Za-z_]\w*\.[A-Za-z_]\w*|\brow \d+|<top>|top-level|"
                   r"byte-order mark|the file|must be a (JSON object|mapping)")


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str
    peak: int


def _listing(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): (p.stat().st_size if p.is_file() else -1) for p in sorted(folder.rglob("*"))}


class Cli:
    """Runs ``accel ARGS`` in ``folder`` (the working directory), checking the rules of the module docstring."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def reset(self) -> None:
        for child in self.folder.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()

    def write(self, name: str, data: str | bytes) -> Path:
        path = self.folder / name
        path.write_bytes(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
        return path

    def __call__(self, *args: str, names: tuple[str, ...] = (), places: tuple[str, ...] = ()) -> Outcome:
        """Run; ``names``: what an exit-2 message must mention (one of them); ``places``: extra place words."""
        before = _listing(self.folder)
        cwd = os.getcwd()
        os.chdir(self.folder)
        tracemalloc.start()
        try:
            result = CliRunner().invoke(main, list(args), catch_exceptions=True)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            os.chdir(cwd)
        stderr = result.stderr
        shown = f"accel {' '.join(args)}\nexit {result.exit_code}\nstdout: {result.stdout[-2000:]}\nstderr: {stderr[-3000:]}"
        if result.exc_info is not None and not isinstance(result.exception, SystemExit):
            import traceback

            shown += "\n" + "".join(traceback.format_exception(*result.exc_info))[-4000:]
        assert result.exit_code in (0, 2, 3), shown
        assert "Traceback" not in result.output, shown
        assert peak < PEAK_BYTES, f"peak {peak / 2**20:.0f} MiB\n{shown}"
        if result.exit_code == 2:
            assert _listing(self.folder) == before, f"files written on a bad-input exit\n{shown}"
            message = stderr
            if names:
                assert any(n in message for n in names), f"the message names none of {names}\n{shown}"
            rest = message
            for n in names:  # a file's own name is not a place in it (an option's name is)
                if re.search(r"\.(yaml|json|onnx|sqlite)$", n):
                    rest = rest.replace(n, "")
            assert PLACE.search(rest) or any(p in rest for p in places), f"the message names no place\n{shown}"
        return Outcome(result.exit_code, result.stdout, stderr, peak)


@pytest.fixture(scope="module")
def cli(tmp_path_factory) -> Cli:
    return Cli(tmp_path_factory.mktemp("fuzz"))
