"""Shared helpers of the peer comparisons: the side venvs and running a peer's Python there."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Side venvs made by ``make peers`` (build/ is git-ignored).
VENVS = ROOT / "build" / "peers"
HERE = Path(__file__).parent


class PeerMissing(RuntimeError):
    """A peer's side venv is not installed (run ``make peers``)."""


def peer_python(name: str) -> Path:
    """The Python of the side venv ``name`` (``'scalesim'`` or ``'zigzag'``)."""
    python = VENVS / name / "bin" / "python"
    if not (VENVS / name / ".installed").exists() or not python.exists():
        raise PeerMissing(f"{VENVS / name} is not installed: run `make peers`")
    return python


def run_peer(name: str, runner: str, payload: object, timeout: float = 3600.0) -> object:
    """Run ``benchmarks/peers/<runner>`` in the side venv ``name`` with ``payload`` as JSON on stdin."""
    proc = subprocess.run(
        [str(peer_python(name)), str(HERE / runner)], input=json.dumps(payload), capture_output=True, text=True,
        timeout=timeout, cwd=str(ROOT),
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{runner} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout)
