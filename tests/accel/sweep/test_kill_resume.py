"""SIGKILL a running `accel sweep run` midway, resume it, and compare with an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path


from accel.sweep import load_spec, run_sweep

SPEC = """
name: killme
base: edge
workloads:
  - {name: attention_2pass, params: {M: 128, P: 128}}
axes:
  pe_array.rows: [2, 4, 8, 16]
  pe_array.cols: [2, 4, 8, 16]
  unit:
    - {label: int8, arith.kind: int8_mac}
    - {label: fp8, arith.kind: fp8_mac}
    - {label: lmul, arith.kind: lmul, arith.input_format: e4m3, arith.mantissa_bits: 3}
mapping: {mapper: search, samples: 1000, seed: 0}
"""
ACCEL = [str(Path(sys.executable).with_name("accel"))]


def _done(store: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)
        try:
            return db.execute("SELECT count(*) FROM points WHERE status != 'pending'").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def _rows(store: Path) -> dict[str, tuple]:
    db = sqlite3.connect(store)
    try:
        cols = ("status", "reason", "latency_cycles", "energy_pj", "area_mm2", "utilization", "energy_breakdown", "report")
        return {r[0]: r[1:] for r in db.execute(f"SELECT key, {', '.join(cols)}, seconds FROM points")}
    finally:
        db.close()


def test_sigkill_then_resume_loses_nothing_and_computes_nothing_twice(tmp_path):
    spec_path = tmp_path / "kill.yaml"
    spec_path.write_text(SPEC)
    store = tmp_path / "kill.sqlite"
    proc = subprocess.Popen([*ACCEL, "sweep", "run", str(spec_path), "--store", str(store), "--json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while _done(store) < 3:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "no results stored within 120 s"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its Dask workers: the group this test started
        proc.wait()
    before = _rows(store)
    finished = {k: v for k, v in before.items() if v[0] != "pending"}
    assert 3 <= len(finished) < 48, "the kill must land midway"
    assert len(before) == 48

    out = subprocess.run([*ACCEL, "sweep", "resume", str(store), "--workers", "0", "--json"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["evaluated"] == 48 - len(finished)  # nothing computed twice
    assert summary["reused"] == len(finished)
    assert summary["counts"]["pending"] == 0 and summary["counts"]["total"] == 48

    after = _rows(store)
    assert set(after) == set(before)  # every point, once (the key is the table's primary key)
    for key, row in finished.items():
        assert after[key] == row  # stored results untouched, wall time included

    reference = tmp_path / "reference.sqlite"
    run_sweep(load_spec(spec_path), reference, workers=0)
    ref = _rows(reference)
    assert set(ref) == set(after)
    for key in ref:
        assert after[key][:-1] == ref[key][:-1], f"point {key} differs from the uninterrupted run"
