"""`accel workload import MODEL.onnx -o CASCADE.yaml`: an ONNX model as a cascade file."""

from __future__ import annotations

import os
import re
from pathlib import Path

import click

from ._common import echo_json, json_option, report_errors


_MAX_SIZE = 2**53  # what the models count exactly
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def _size(text: str) -> int | None:
    """A positive size written in ASCII digits (``²`` is a digit to Python, not to us), at most 2**53."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 16:
        return None
    value = int(text)
    return value if 1 <= value <= _MAX_SIZE else None


def _dims(pairs: tuple[str, ...]) -> dict[str, int]:
    dims: dict[str, int] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or _size(value) is None:
            raise click.BadParameter(f"expected NAME=POSITIVE_INTEGER (in ASCII digits, at most 2**53), not {pair!r}", param_hint="--dim")
        dims[name.strip()] = _size(value)
    return dims


def _shapes(pairs: tuple[str, ...]) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        pieces = value.replace("x", ",").split(",")
        if not sep or not name.strip() or not all(_size(p) is not None for p in pieces):
            raise click.BadParameter(f"expected INPUT=D0,D1,... (positive sizes), not {pair!r}; sizes are at most 2**53",
                                     param_hint="--input-shape")
        shapes[name.strip()] = tuple(_size(p) for p in pieces)
    return shapes


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file (the same path, or one file reached by two paths)."""
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


@click.command(name="import")
@click.argument("model", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Cascade YAML file to write (default: MODEL with the suffix .yaml).")
@click.option("--dim", "dim_pairs", multiple=True, metavar="NAME=N", help="Value of a dynamic dimension, e.g. --dim batch=1.")
@click.option("--input-shape", "shape_pairs", multiple=True, metavar="INPUT=D0,D1,...",
              help="Shape of a graph input, e.g. --input-shape input_ids=1,128.")
@click.option("--name", default=None, help="Name of the cascade (default: MODEL's file name without suffix).")
@click.option("--strict", is_flag=True, help="Fail (exit 2) if any node cannot be imported instead of skipping it.")
@click.option("--weights", "weights_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the weight tensors' values to this .npz file (by cascade tensor name).")
@json_option
@report_errors
def command(model: Path, output: Path | None, dim_pairs: tuple[str, ...], shape_pairs: tuple[str, ...],
            name: str | None, strict: bool, weights_path: Path | None, as_json: bool) -> None:
    """Import an ONNX model as a cascade of Einsums and write it as a cascade YAML file.

    Shapes come from the graph (give dynamic dimensions with --dim or --input-shape).
    Nodes that have no Einsum form are skipped and listed with the reason; their
    outputs become cascade inputs.  The YAML holds the computation, not the
    weights' values (see --weights).  Weights the model keeps in a file
    beside it that is not there are imported by shape alone, and the output
    says so.
    """
    import numpy as np

    from dataflow import dump_cascade
    from dataflow.onnx import import_onnx

    if name is not None and not _NAME.match(name):
        raise click.BadParameter(f"a cascade name is letters, digits, '_', '.' and '-', starting with a letter or '_' "
                                 f"(it names files such as NAME.trace.json), not {name!r}", param_hint="--name")
    target = output if output is not None else model.with_suffix(".yaml")
    if _same_file(target, model) or (weights_path is not None and (_same_file(weights_path, model) or _same_file(weights_path, target))):
        raise click.BadParameter(f"{str(target if _same_file(target, model) else weights_path)!r} is the model or the "
                                 "cascade file itself; give another output path", param_hint="-o/--output or --weights")
    result = import_onnx(model, dims=_dims(dim_pairs), input_shapes=_shapes(shape_pairs), name=name, strict=strict)
    target.write_text(dump_cascade(result.cascade), encoding="utf-8")
    if weights_path is not None:
        np.savez(weights_path, **{key: np.asarray(value) for key, value in result.weights.items()})
    cascade = result.cascade
    summary = {
        "model": str(model),
        "cascade": cascade.name,
        "written": str(target),
        "einsums": len(cascade.einsums),
        "tensors": len(cascade.tensor_list),
        "macs": cascade.macs(),
        "ops": cascade.op_counts(),
        "inputs": {b.onnx_name: b.tensor for b in result.inputs},
        "outputs": {b.onnx_name: b.tensor for b in result.outputs},
        "folded": len(result.folded),
        "skipped": [{"node": s.node, "op_type": s.op_type, "reason": s.reason, "outputs": list(s.outputs)} for s in result.skipped],
        "shape_only": list(result.shape_only),
    }
    if as_json:
        echo_json(summary)
        return
    click.echo(f"imported {model} as cascade {cascade.name!r}: {len(cascade.einsums)} Einsums, "
               f"{len(cascade.tensor_list)} tensors, {cascade.macs():,} MACs -> {target}")
    if result.shape_only:
        click.echo(f"shape only: {len(result.shape_only)} weight tensor(s) are stored beside the model in a file that "
                   f"is not there; their shapes were imported, not their values"
                   + (f" (left out of {weights_path})" if weights_path is not None else ""))
    if result.folded:
        click.echo(f"folded {len(result.folded)} constant node(s)")
    if result.skipped:
        click.echo(f"skipped {len(result.skipped)} node(s):")
        for skipped in result.skipped:
            click.echo(f"  {skipped}")
    else:
        click.echo("skipped: none")
