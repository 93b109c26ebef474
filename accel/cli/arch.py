"""`accel arch ...` commands: list the built-in architectures, show one in detail."""

from __future__ import annotations

import click
import yaml

from accel.arch import LoadError, YamlValue, load_yaml

from ._common import echo_json, json_option, report_errors, table_text


@click.group(name="arch")
def group() -> None:
    """Architecture descriptions: list the built-ins, show one with its energy per action."""


def _si(value: float, unit: str) -> str:
    for scale, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.4g} {prefix}{unit}"
    return f"{value:.4g} {unit}"


def _bytes(n: float) -> str:
    for scale, suffix in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if n >= scale and n % (scale // 1024 or 1) == 0:
            return f"{n / scale:g} {suffix}"
    return f"{n:g} B"


def _parse_sets(values: tuple[str, ...]) -> dict[str, YamlValue]:
    changes: dict[str, YamlValue] = {}
    for item in values:
        path, sep, raw = item.partition("=")
        if not sep or not path.strip():
            raise click.BadParameter(f"expected PATH=VALUE (e.g. pe_array.rows=32), got {item!r}", param_hint="--set")
        try:
            changes[path.strip()] = load_yaml(raw, f"--set {path.strip()}")
        except LoadError as exc:
            raise click.BadParameter(f"value of {item!r} is not valid YAML: {exc.problem}", param_hint="--set") from None
    return changes


@group.command(name="list")
@json_option
@report_errors
def list_command(as_json: bool) -> None:
    """List the built-in example architectures."""
    from accel import builtin_architectures, load_architecture

    archs = [load_architecture(name) for name in builtin_architectures()]
    if as_json:
        echo_json(
            [
                {
                    "name": a.name,
                    "description": a.description,
                    "pes": a.num_pes,
                    "clock_mhz": a.clock_mhz,
                    "technology_nm": a.technology_nm,
                    "arith": a.arith.kind,
                    "peak_ops_per_second": a.peak_ops_per_second,
                }
                for a in archs
            ]
        )
        return
    rows = [
        [a.name, f"{a.pe_array.rows}x{a.pe_array.cols}", a.arith.kind, f"{a.clock_mhz:g} MHz", f"{a.technology_nm:g} nm",
         _si(a.peak_ops_per_second, "op/s"), a.description]
        for a in archs
    ]
    click.echo(table_text(["name", "PEs", "arith", "clock", "node", "peak", "description"], rows))


@group.command(name="show")
@click.argument("file_or_name")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
              help="Change a field by dotted path before showing, e.g. --set pe_array.rows=32 --set levels.scratchpad.capacity=131072.")
@click.option("--table", "tables", multiple=True, type=click.Path(dir_okay=False),
              help="A user energy/area table (YAML) to register next to the built-in Horowitz estimator.")
@click.option("--cacti", "use_cacti", is_flag=True,
              help="Also register CACTI 7 for SRAM / register-file energy and area, where one is found ($ACCEL_CACTI, "
                   "PATH, an installed zigzag); without one the built-in table answers.")
@json_option
@report_errors
def show_command(file_or_name: str, sets: tuple[str, ...], tables: tuple[str, ...], use_cacti: bool, as_json: bool) -> None:
    """Show an architecture: memory hierarchy, PE array, peak ops/s, DRAM and energy per action.

    FILE_OR_NAME is a YAML spec file or a built-in name (see `accel arch list`).
    """
    from accel import (
        NoEstimateError,
        UserTableEstimator,
        area_table,
        default_registry,
        derive,
        energy_table,
        load_architecture,
        to_dict,
    )

    changes = _parse_sets(sets)
    arch = load_architecture(file_or_name)
    if changes:
        arch = derive(arch, changes)
    registry = default_registry()
    for path in tables:
        registry.register(UserTableEstimator.from_yaml(path))
    cacti_note = None
    if use_cacti:
        from accel.arch import CactiEstimator

        cacti = CactiEstimator.find()
        if cacti is None:
            cacti_note = "CACTI not found ($ACCEL_CACTI, PATH, zigzag): the built-in table answers instead"
        else:
            registry.register(cacti)
            cacti_note = f"CACTI: {cacti.executable}"
    # An architecture no registered estimator covers (e.g. a node outside the built-in
    # table's range) is still shown; the missing estimates are named instead of numbers.
    energy = area = None
    missing: list[str] = []
    try:
        energy = energy_table(arch, registry)
    except NoEstimateError as exc:
        missing.append(f"energy: {exc}")
    try:
        area = area_table(arch, registry)
    except NoEstimateError as exc:
        missing.append(f"area: {exc}")
    summary = {
        "num_pes": arch.num_pes,
        "peak_macs_per_cycle": arch.peak_macs_per_cycle,
        "peak_ops_per_second": arch.peak_ops_per_second,
        "peak_vector_ops_per_second": arch.peak_vector_ops_per_second,
        "dram_bytes_per_second": arch.dram_bytes_per_second,
        "operand_bits": arch.operand_bits,
        "accumulator_bits": arch.accumulator_bits,
        "area_mm2": area.total_mm2 if area is not None else None,
    }
    if as_json:
        echo_json({"architecture": to_dict(arch), "summary": summary,
                   "energy": energy.as_dict() if energy is not None else None,
                   "area": area.as_dict() if area is not None else None,
                   "unavailable": missing, "cacti": cacti_note})
        return

    pe, a = arch.pe_array, arch.arith
    click.echo(f"{arch.name}: {arch.description}" if arch.description else arch.name)
    click.echo(f"clock {arch.clock_mhz:g} MHz, {arch.technology_nm:g} nm")
    ranks = lambda r: ",".join(r) if r else "any"  # noqa: E731
    click.echo(
        f"PE array: {pe.rows} x {pe.cols} = {arch.num_pes} PEs, {pe.dataflow}, {pe.network} network, "
        f"hop latency {pe.hop_latency} cycle(s), row ranks {ranks(pe.row_ranks)}, col ranks {ranks(pe.col_ranks)}, "
        f"fold pipelining {'on' if pe.fold_pipelining else 'off'}"
    )
    mant = f", {a.mantissa_bits}-bit mantissa" if a.mantissa_bits is not None else ""
    click.echo(
        f"arith: {a.kind} ({a.input_format} x {a.input_format} -> {a.accumulate_format}{mant}), "
        f"{a.operand_bits}-bit operands, pipeline depth {a.pipeline_depth}, {a.macs_per_cycle} MAC/cycle per PE"
    )
    click.echo(f"peak: {arch.peak_macs_per_cycle} MAC/cycle = {_si(arch.peak_ops_per_second, 'op/s')} (2 ops per MAC)")
    if arch.vector_unit is not None:
        v = arch.vector_unit
        click.echo(
            f"vector unit: {v.lanes} lanes x {v.ops_per_cycle} op/cycle, {v.format}, ops {','.join(v.ops)} = "
            f"{_si(arch.peak_vector_ops_per_second, 'op/s')}"
        )
    click.echo()
    rf = arch.register_file
    rows = [["rf (per PE)", _bytes(rf.capacity), f"{rf.word_bits} b", "-", "-", "-", "-", ",".join(rf.holds), "-"]]
    for lvl in arch.levels:
        rows.append([lvl.name, _bytes(lvl.capacity), f"{lvl.word_bits} b", f"{lvl.read_bandwidth:g}", f"{lvl.write_bandwidth:g}",
                     str(lvl.ports), str(lvl.banks), ",".join(lvl.holds), str(lvl.latency)])
    d = arch.dram
    rows.append(["dram", "-", "-", f"{d.bandwidth:g}", f"{d.bandwidth:g}", "-", "-", "any", str(d.latency)])
    click.echo("memory hierarchy (innermost first; bandwidth in B/cycle, latency in cycles):")
    click.echo(table_text(["level", "capacity", "word", "read bw", "write bw", "ports", "banks", "holds", "latency"], rows))
    click.echo(f"DRAM: {_si(arch.dram_bytes_per_second, 'B/s')}, {d.latency} cycles")
    click.echo()
    if energy is not None:
        click.echo("energy per action:")
        erows = [[e.key, f"{e.pj:.4g}", e.per + (f" ({e.bits} b)" if e.bits else ""), e.estimate.estimator, e.estimate.source]
                 for e in energy.entries]
        click.echo(table_text(["action", "pJ", "per", "estimator", "source"], erows))
        click.echo()
    if area is not None:
        click.echo(f"area (logic and storage): {area.total_mm2:.4g} mm^2")
    for note in missing:
        click.echo(f"{note}\n  (register a table that covers this architecture with --table FILE)")
    if cacti_note:
        click.echo(cacti_note)


@group.command(name="import")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="accel architecture YAML to write (default: SPEC's name with the suffix .accel.yaml).")
@click.option("--energy-table", "energy_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the spec's per-action energies as an estimator table (use with `accel arch show --table`).")
@click.option("--format", "fmt", type=click.Choice(["zigzag", "timeloop"]), default=None,
              help="The peer's format (default: recognized from the file's keys).")
@click.option("--clock-mhz", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Clock, which the peers' formats do not state (default 1000 MHz, noted).")
@click.option("--technology-nm", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Process node, which the peers' formats do not state (default 28 nm, noted).")
@json_option
@report_errors
def import_command(spec: str, output: str | None, energy_path: str | None, fmt: str | None, clock_mhz: float | None,
                   technology_nm: float | None, as_json: bool) -> None:
    """Translate a peer's architecture spec (ZigZag hardware YAML, Timeloop v4) into an accel architecture YAML.

    Prints every assumption the translation makes (values the peer does not
    state, memories merged); a spec accel cannot express exits 2 with the key.
    """
    from pathlib import Path

    from accel import to_dict, to_yaml
    from accel.arch import import_architecture

    result = import_architecture(spec, fmt=fmt, clock_mhz=clock_mhz, technology_nm=technology_nm)
    arch = result.architecture
    target = Path(output) if output else Path(spec).with_suffix(".accel.yaml")
    header = f"# {arch.name}: imported from {spec} ({result.format}) by `accel arch import`\n"
    header += "".join(f"# note: {n}\n" for n in result.notes)
    target.write_text(header + to_yaml(arch), encoding="utf-8")
    if energy_path and result.energy_data is not None:
        Path(energy_path).write_text(yaml.safe_dump(result.energy_data, sort_keys=False, width=120), encoding="utf-8")
    if as_json:
        echo_json({"architecture": to_dict(arch), "format": result.format, "notes": list(result.notes),
                   "energy": result.energy_data, "written": str(target),
                   "energy_table": energy_path if result.energy_data is not None else None})
        return
    levels = ", ".join(f"{lv.name} [{' '.join(lv.holds)}]" for lv in arch.levels)
    click.echo(f"imported {spec} ({result.format}) as {arch.name!r}: {arch.pe_array.rows} x {arch.pe_array.cols} PEs, "
               f"register file {arch.register_file.capacity} B [{' '.join(arch.register_file.holds)}], levels {levels}, "
               f"DRAM -> {target}")
    if result.energy_data is not None:
        click.echo(f"energies from the spec: {len(result.energy_data['energy'])} action(s)"
                   + (f" -> {energy_path}" if energy_path else " (write them with --energy-table)"))
    for note in result.notes:
        click.echo(f"note: {note}")
