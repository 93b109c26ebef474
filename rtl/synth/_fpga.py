"""FPGA flow for generated units: Yosys ``synth_ice40``, then nextpnr-ice40 place and route."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from amaranth.back import verilog
from amaranth.hdl import Elaboratable, Module, Signal, Value

from rtl.hdl import HDLParamError, ToolMissingError, UnitDesign

from ._yosys import SynthResult, synthesize_verilog

__all__ = ["FpgaResult", "ICE40_DEVICES", "run_fpga", "require_nextpnr", "NEXTPNR_INSTALL"]

NEXTPNR_INSTALL = "sudo apt-get install nextpnr-ice40 (Debian/Ubuntu), or `make setup`"

# device -> (nextpnr flag, package, logic cells, usable IO pins)
ICE40_DEVICES: dict[str, tuple[str, str, int, int]] = {
    "hx8k": ("--hx8k", "ct256", 7680, 206),
    "up5k": ("--up5k", "sg48", 5280, 39),
}
_NEXTPNR_TIMEOUT_S = 600


@dataclass(frozen=True)
class FpgaResult:
    """Place-and-route outcome of one unit on an iCE40 device.

    Attributes
    ----------
    label : str
        Unit and non-default parameters.
    device, package : str
        The iCE40 device and package.
    synth : SynthResult
        Yosys numbers of the registered wrapper (LUTs, carries, flip-flops).
    fits : bool
        Whether nextpnr placed and routed the design.
    fmax_mhz : float or None
        Maximum clock frequency reported by nextpnr (None if it did not fit).
    logic_cells : int or None
        ``ICESTORM_LC`` used, as nextpnr reports.
    message : str
        Why it did not fit (empty when it did).
    """

    label: str
    device: str
    package: str
    synth: SynthResult
    fits: bool
    fmax_mhz: float | None
    logic_cells: int | None
    message: str

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return {
            "label": self.label,
            "device": self.device,
            "package": self.package,
            "luts": self.synth.ice40_luts,
            "carries": self.synth.ice40_carries,
            "ffs": self.synth.ice40_ffs,
            "logic_cells": self.logic_cells,
            "fits": self.fits,
            "fmax_mhz": None if self.fmax_mhz is None else round(self.fmax_mhz, 2),
            "message": self.message,
        }


class _Registered(Elaboratable):
    """The unit with a register on every input and output port, for a reg-to-reg Fmax."""

    def __init__(self, component) -> None:
        self.component = component
        self.pins: list[tuple[Signal, Value, bool]] = []
        for path, member, value in component.signature.flatten(component):
            inner = Value.cast(value)
            pin = Signal(len(inner), name="_".join(str(p) for p in path))
            self.pins.append((pin, inner, member.flow.name == "In"))

    @property
    def ports(self) -> list[Signal]:
        return [pin for pin, _, _ in self.pins]

    def elaborate(self, platform):
        m = Module()
        m.submodules.unit = self.component
        for pin, inner, is_input in self.pins:
            reg = Signal(len(inner), name=f"{pin.name}_q")
            if is_input:
                m.d.sync += reg.eq(pin)
                m.d.comb += inner.eq(reg)
            else:
                m.d.sync += reg.eq(inner)
                m.d.comb += pin.eq(reg)
        return m


def require_nextpnr() -> str:
    """Path of ``nextpnr-ice40``.

    Raises
    ------
    ToolMissingError
        nextpnr-ice40 is not installed; the message says how to install it.
    """
    path = shutil.which("nextpnr-ice40")
    if path is None:
        raise ToolMissingError("nextpnr-ice40", "iCE40 place and route", NEXTPNR_INSTALL)
    return path


def _fmax(report: dict) -> float | None:
    values = [float(v["achieved"]) for v in report.get("fmax", {}).values() if "achieved" in v]
    return min(values) if values else None


def run_fpga(design: UnitDesign, workdir: str | Path, *, device: str = "hx8k", seed: int = 1) -> FpgaResult:
    """Synthesize ``design`` for iCE40 and place and route it with nextpnr-ice40.

    Every port of the unit gets a register, so the reported Fmax is a
    register-to-register figure for combinational units too. A design that
    needs more pins or logic cells than the device has is reported with
    ``fits=False`` and the reason, not raised.

    Parameters
    ----------
    design : UnitDesign
        From :func:`rtl.hdl.build_unit`.
    workdir : str or Path
        Folder for Verilog, netlists and logs.
    device : str
        ``'hx8k'`` (CT256 package) or ``'up5k'`` (SG48).
    seed : int
        nextpnr placer seed.

    Raises
    ------
    HDLParamError
        Unknown device.
    ToolMissingError
        nextpnr-ice40 is not installed.
    SynthesisError
        Yosys failed.
    """
    if device not in ICE40_DEVICES:
        raise HDLParamError(f"run_fpga: device must be one of {sorted(ICE40_DEVICES)}, not {device!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"run_fpga: seed must be an integer, not {seed!r}")
    nextpnr = require_nextpnr()
    flag, package, cells, pins = ICE40_DEVICES[device]
    work = Path(workdir)
    top = f"fpga_{design.top}"
    wrapper = _Registered(design.component)
    text = verilog.convert(wrapper, name=top, ports=wrapper.ports, emit_src=False)
    synth = synthesize_verilog(text, top, work, label=design.label, unit=design.unit, params=design.params)
    base = dict(label=design.label, device=device, package=package, synth=synth)
    npins = sum(len(p) for p in wrapper.ports) + 2  # ports plus clock and reset
    if npins > pins:
        msg = f"needs {npins} IO pins, the {device} {package} has {pins}"
        return FpgaResult(**base, fits=False, fmax_mhz=None, logic_cells=None, message=msg)
    cmd = [nextpnr, flag, "--package", package, "--json", "ice40.json", "--pcf-allow-unconstrained",
           "--report", "report.json", "--seed", str(seed), "--timing-allow-fail", "-q", "-l", "nextpnr.log"]
    try:
        proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=_NEXTPNR_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        msg = f"nextpnr ran past {_NEXTPNR_TIMEOUT_S} s"
        return FpgaResult(**base, fits=False, fmax_mhz=None, logic_cells=None, message=msg)
    report_path = work / "report.json"
    if proc.returncode != 0 or not report_path.exists():
        log = (work / "nextpnr.log").read_text() if (work / "nextpnr.log").exists() else proc.stderr
        errors = [ln.strip() for ln in log.splitlines() if "ERROR" in ln]
        reason = errors[0] if errors else f"nextpnr exited with {proc.returncode}"
        if synth.ice40_luts + synth.ice40_ffs > cells:
            reason = f"needs about {max(synth.ice40_luts, synth.ice40_ffs)} logic cells, the {device} has {cells}: {reason}"
        return FpgaResult(**base, fits=False, fmax_mhz=None, logic_cells=None, message=reason)
    report = json.loads(report_path.read_text())
    used = report.get("utilization", {}).get("ICESTORM_LC", {}).get("used")
    return FpgaResult(**base, fits=True, fmax_mhz=_fmax(report), logic_cells=used, message="")
