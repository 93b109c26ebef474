"""`accel workload ...` commands: list the built-in workloads, show a cascade's facts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from accel.arch import JsonObject, YamlValue

from ._common import echo_json, json_option, report_errors

if TYPE_CHECKING:
    from dataflow import Cascade

_DEFAULT_BITS = 16
_MAX_RANKS_FOR_ALL_PASSES = 12


@click.group(name="workload")
def group() -> None:
    """Workloads: cascades of extended Einsums (built-in or from YAML files)."""


_INT = re.compile(r"^[+-]?[0-9]+$")
_FLOAT = re.compile(r"^[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][+-]?[0-9]+)?$")


def _parse_value(text: str) -> YamlValue:
    """``true``/``false``, an integer, a number, a comma-separated tuple, else the text itself (ASCII digits only:
    Python's ``int`` also reads ``'٣'``, and ``'²'`` is a digit to ``str.isdigit``)."""
    text = text.strip()
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if _INT.match(text) and len(text) <= 30:
        return int(text)
    if _FLOAT.match(text) and len(text) <= 400:
        return float(text)
    if "," in text:
        return tuple(_parse_value(piece) for piece in text.split(",") if piece.strip())
    return text


def parse_params(pairs: tuple[str, ...] | list[str]) -> dict[str, YamlValue]:
    """``("M=128", "sizes=64,32")`` -> ``{"M": 128, "sizes": (64, 32)}``.

    Raises
    ------
    click.BadParameter
        For a pair without ``=``.
    """
    params: dict[str, YamlValue] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=VALUE, not {pair!r}", param_hint="-p/--param")
        params[name.strip()] = _parse_value(value.strip())
    return params


def _is_timeloop_problem(path: Path) -> bool:
    """Whether a YAML file is a Timeloop v4 problem (a top-level ``problem`` key) rather than a cascade file."""
    from accel.arch import LoadError, load_yaml_file

    try:
        data = load_yaml_file(path)
    except LoadError:
        return False  # the cascade loader reports the malformed file
    return isinstance(data, dict) and "problem" in data and "einsums" not in data


def resolve(name_or_path: str, params: dict[str, YamlValue] | None = None) -> Cascade:
    """A cascade from a YAML file path (a cascade file or a Timeloop v4 problem), an ONNX model (``.onnx``) or a
    library name (built with ``params``).

    Raises
    ------
    FileNotFoundError
        For a ``.yaml``/``.yml``/``.onnx`` path that does not exist.
    click.BadParameter
        For parameters given with a file.
    dataflow.UnknownNameError, LibraryParameterError
        For an unknown workload name or a parameter it does not take (bad-input errors: exit 2).
    """
    from dataflow import library, load_cascade

    path = Path(name_or_path)
    if path.suffix.lower() == ".onnx":  # an ONNX model, imported; -p NAME=N sets its dynamic dimensions
        from dataflow.onnx import load_onnx_cascade

        return load_onnx_cascade(path, dims=params)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        if params:
            raise click.BadParameter(f"parameters {sorted(params)!r} apply only to built-in workloads, not to file "
                                     f"{name_or_path!r}", param_hint="-p/--param")
        if not path.is_file():
            raise FileNotFoundError(f"no cascade file {name_or_path!r}")
        if _is_timeloop_problem(path):  # a Timeloop v4 problem file: its one Einsum
            from dataflow import load_timeloop_problem

            return load_timeloop_problem(path)
        return load_cascade(path)
    return library.build(name_or_path, **(params or {}))


def _bits(cascade: Cascade, name: str, bits: int | None) -> int:
    if bits is not None:
        return bits
    declared = cascade.tensors[name].bits
    return declared if declared is not None else _DEFAULT_BITS


def _kind(cascade: Cascade, name: str) -> str:
    if name in cascade.weights:
        return "weight"
    if name in cascade.inputs:
        return "input"
    return "output" if name in cascade.outputs else "intermediate"


def workload_report(cascade: Cascade, rank: str | None = None, bits: int | None = None) -> JsonObject:
    """Everything `show` prints, as plain data (the ``--json`` form)."""
    from dataflow import analyze_passes

    shapes = dict(cascade.shapes)
    einsums = [
        {
            "name": e.name,
            "text": str(e),
            "points": e.points(shapes),
            "ops": e.op_counts(shapes),
            "macs": e.macs(shapes),
            "depends_on": list(cascade.dependencies()[e.name]),
        }
        for e in cascade.einsums
    ]
    tensors = [
        {
            "name": t.name,
            "kind": _kind(cascade, t.name),
            "dims": list(t.dims),
            "shape": list(t.shape),
            "elements": t.elements,
            "bits": _bits(cascade, t.name, bits),
            "bytes": t.bytes(_bits(cascade, t.name, bits)),
        }
        for t in cascade.tensor_list
    ]
    if rank is not None:
        ranks = [rank]
    elif len(shapes) <= _MAX_RANKS_FOR_ALL_PASSES:
        ranks = list(shapes)
    else:
        ranks = []
    passes = {}
    for r in ranks:
        analysis = analyze_passes(cascade, r)
        passes[r] = {
            "count": analysis.count,
            "fibre_ranks": list(analysis.fibre_ranks),
            "passes": [
                {
                    "number": p.number,
                    "einsums": list(p.einsums),
                    "boundaries": [
                        {"einsum": b.einsum, "tensor": b.tensor, "reduced_by": b.reduced_by} for b in p.boundaries
                    ],
                }
                for p in analysis.passes
            ],
            "between": list(analysis.between),
        }
    return {
        "name": cascade.name,
        "shapes": shapes,
        "einsums": einsums,
        "ops": cascade.op_counts(),
        "macs": cascade.macs(),
        "tensors": tensors,
        "total_bytes": sum(t["bytes"] for t in tensors),
        "passes": passes,
    }


def _ops_text(ops: dict[str, int]) -> str:
    return ", ".join(f"{op} {count:,}" for op, count in ops.items()) or "none (copy)"


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]


def format_report(report: JsonObject) -> str:
    """Human-readable text of :func:`workload_report`."""
    lines = [
        f"workload {report['name']}: {len(report['einsums'])} Einsums, {len(report['tensors'])} tensors",
        "shapes: " + " ".join(f"{rank}={size}" for rank, size in report["shapes"].items()),
        "",
        "Einsums:",
    ]
    rows = [["#", "Einsum", "points", "ops"]]
    for i, e in enumerate(report["einsums"], start=1):
        rows.append([str(i), e["text"], f"{e['points']:,}", _ops_text(e["ops"])])
    lines += ["  " + line for line in _table(rows, {0, 2})]
    lines += ["", f"total ops: {_ops_text(report['ops'])}", f"MACs: {report['macs']:,}", "", "tensors:"]
    rows = [["tensor", "kind", "dims", "shape", "elements", "bits", "bytes"]]
    for t in report["tensors"]:
        rows.append(
            [t["name"], t["kind"], ",".join(t["dims"]), "x".join(map(str, t["shape"])) or "scalar",
             f"{t['elements']:,}", str(t["bits"]), f"{t['bytes']:,}"]
        )
    lines += ["  " + line for line in _table(rows, {4, 5, 6})]
    lines.append(f"  total bytes: {report['total_bytes']:,}")
    lines.append("")
    if not report["passes"]:
        lines.append("passes: many ranks; choose one with --rank")
    for rank, info in report["passes"].items():
        parts = f" (fibre ranks {', '.join(info['fibre_ranks'])})" if info["fibre_ranks"] != [rank] else ""
        lines.append(f"passes over {rank}{parts}: {info['count']}")
        for p in info["passes"]:
            why = "; ".join(f"{b['einsum']} needs {b['tensor']}, complete only after {b['reduced_by']}" for b in p["boundaries"])
            lines.append(f"  pass {p['number']}: {', '.join(p['einsums'])}" + (f"   [{why}]" if why else ""))
        if info["between"] and info["count"]:
            lines.append(f"  outside the passes: {', '.join(info['between'])}")
    return "\n".join(lines)


def show_workload(name_or_path: str, rank: str | None = None, params: dict[str, YamlValue] | None = None,
                  bits: int | None = None, as_json: bool = False) -> JsonObject:
    """Print a workload's cascade, shapes, op counts, tensor bytes and passes; return the report.

    Raises
    ------
    ValueError, FileNotFoundError
        For an unknown workload or file, bad parameters, or an unknown rank.
    """
    cascade = resolve(name_or_path, params)
    report = workload_report(cascade, rank, bits)
    if as_json:
        echo_json(report)
    else:
        click.echo(format_report(report))
    return report


@group.command(name="show")
@click.argument("name_or_path", metavar="FILE_OR_NAME")
@click.option("-p", "--param", "pairs", multiple=True, metavar="NAME=VALUE", help="Builder parameter (repeatable), e.g. -p M=128.")
@click.option("--rank", default=None, help="Rank whose passes to analyse (default: every rank of small cascades).")
@click.option("--dtype-bits", "bits", type=click.IntRange(min=1), default=None,
              help=f"Bits per element for the byte counts (default: declared, else {_DEFAULT_BITS}).")
@json_option
@report_errors
def show(name_or_path: str, pairs: tuple[str, ...], rank: str | None, bits: int | None, as_json: bool) -> None:
    """Show a workload: its Einsums, shapes, op counts, tensor bytes and passes.

    FILE_OR_NAME is a cascade YAML file, an ONNX model (.onnx; -p NAME=N sets its
    dynamic dimensions) or a built-in workload (see `accel workload list`).
    """
    show_workload(name_or_path, rank=rank, params=parse_params(pairs), bits=bits, as_json=as_json)


@group.command(name="list")
@json_option
@report_errors
def list_workloads(as_json: bool) -> None:
    """List the built-in workloads and their parameters (with defaults)."""
    from dataflow import library

    entries = [
        {"name": name, "params": library.params(name), "description": library.describe(name)} for name in library.names()
    ]
    if as_json:
        echo_json(entries)
        return
    rows = [["workload", "parameters", "description"]]
    for entry in entries:
        params = " ".join(f"{k}={','.join(map(str, v)) if isinstance(v, tuple) else v}" for k, v in entry["params"].items())
        rows.append([entry["name"], params, entry["description"]])
    click.echo("\n".join(_table(rows, set())))


# `accel workload import MODEL.onnx` lives in its own module, beside the ONNX importer's other entry points.
from .workload_import import command as _import_command  # noqa: E402 - registered after the group exists

group.add_command(_import_command)
