"""A numpy reference executor for cascades (float64, every Einsum over its whole iteration space)."""

from __future__ import annotations

import math
import zlib
from typing import Callable, Iterable, Mapping

import numpy as np

from ._cascade import Cascade
from ._einsum import Einsum
from ._errors import EinsumError, ShapeError, UnknownNameError
from ._ir import Call, Const, Expr, TensorAccess

__all__ = ["execute", "execute_boxes"]

# Largest iteration-space block evaluated at once (elements); bigger Einsums are
# evaluated in slices of their largest output rank.
_BLOCK_ELEMENTS = 1 << 22

# Largest tensor the executor allocates (1 GiB of float64).
_MAX_TENSOR_ELEMENTS = 1 << 27

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU, tanh approximation (as in BERT)."""
    return 0.5 * x * (1.0 + np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3)))


def _erf(x: np.ndarray) -> np.ndarray:
    """The error function (exact GELU is ``x/2 * (1 + erf(x/sqrt(2)))``, as in ONNX Gelu and PyTorch)."""
    from scipy.special import erf  # imported on use: keeps `import dataflow` light

    return erf(x)


_MAP = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.divide,
    "neg": np.negative,
    "exp": np.exp,
    "max": np.maximum,
    "min": np.minimum,
    "relu": lambda x: np.maximum(x, 0.0),
    "sqrt": np.sqrt,
    "recip": lambda x: 1.0 / x,
    "tanh": np.tanh,
    "gelu": _gelu,
    "erf": _erf,
}
_REDUCE = {"sum": np.sum, "max": np.max, "min": np.min}
#: How two partial results of a reduction combine.
_COMBINE = {"sum": np.add, "max": np.maximum, "min": np.minimum}


def _input_array(cascade: Cascade, name: str, value: object, seed: int) -> np.ndarray:
    tensor = cascade.tensors[name]
    if value is None:
        rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        return rng.standard_normal(tensor.shape)
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"input {name!r} must be a numeric array, not {type(value).__name__}") from None
    if array.shape != tensor.shape:
        raise ShapeError(
            f"input {name!r} has shape {array.shape}",
            where=f"execute({cascade.name!r})",
            expected=f"shape {tensor.shape} (dims {', '.join(tensor.dims)})",
        )
    return array


def execute(
    cascade: Cascade, inputs: Mapping[str, object] | None = None, seed: int = 0
) -> dict[str, np.ndarray]:
    """Evaluate every Einsum of ``cascade`` in order and return every tensor.

    Inputs not given are drawn from a standard normal distribution with a
    generator seeded by ``(seed, crc32(tensor name))``, so giving one input does
    not change the others.  Arithmetic is float64; unwritten elements of a
    produced tensor hold its ``init`` value.

    Parameters
    ----------
    cascade : Cascade
        What to evaluate.
    inputs : mapping of str to array-like, optional
        Values of some or all of the cascade's input tensors.
    seed : int
        Seed for the inputs not given.

    Returns
    -------
    dict of str to numpy.ndarray
        Every tensor (inputs, intermediates and outputs) by name.

    Raises
    ------
    UnknownNameError
        For an input name that is not a tensor, or a tensor that an Einsum produces.
    ShapeError
        For an input of the wrong shape, or a tensor too large to allocate.
    TypeError
        For a non-numeric input or a non-integer seed.
    """
    env = _inputs(cascade, inputs, seed)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        for einsum in cascade.einsums:
            tensor = cascade.tensors[einsum.output.tensor]
            out = np.full(tensor.shape, tensor.init, dtype=np.float64)
            env[tensor.name] = out
            _run(einsum, cascade.shapes, env, out)
    return env


def _inputs(cascade: Cascade, inputs: Mapping[str, object] | None, seed: int) -> dict[str, np.ndarray]:
    """The checked inputs, given or drawn, by name."""
    if not isinstance(cascade, Cascade):
        raise TypeError(f"execute needs a Cascade, not {cascade!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise TypeError(f"seed must be a non-negative integer, not {seed!r}")
    for tensor in cascade.tensor_list:
        if tensor.elements > _MAX_TENSOR_ELEMENTS:
            raise ShapeError(
                f"tensor {tensor.name!r} has {tensor.elements:,} elements, too many to execute",
                where=f"execute({cascade.name!r})",
                expected=f"at most {_MAX_TENSOR_ELEMENTS:,} elements per tensor (use smaller shapes)",
            )
    given = dict(inputs or {})
    for name in given:
        if name not in cascade.inputs:
            produced = name in cascade.tensors
            raise UnknownNameError(
                f"{name!r} is {'produced by an Einsum' if produced else 'not a tensor of the cascade'}",
                where=f"execute({cascade.name!r}) inputs",
                expected=f"one of the cascade's inputs: {', '.join(cascade.inputs)}",
            )
    return {name: _input_array(cascade, name, given.get(name), seed) for name in cascade.inputs}


def execute_boxes(
    cascade: Cascade,
    boxes: Iterable[tuple[str, Mapping[str, range]]],
    inputs: Mapping[str, object] | None = None,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Evaluate Einsums of ``cascade`` box by box, in the order given, and return every tensor.

    Each box is ``(einsum name, spans)``: the Einsum runs over the part of its iteration space where each rank
    named in ``spans`` lies in its range (every other rank whole), reading the tensors as they stand at that
    moment. A box that covers only part of a reduced rank produces a partial result, which is combined with the
    ones earlier boxes of the same Einsum left in the same output elements (sums added, maxima and minima kept).
    So a loop nest over tiles, a fusion plan's, can be checked against :func:`execute`: every tensor comes out
    the same when the order respects the cascade's dependencies and the boxes of each Einsum cover its space
    once; a tile that reads another Einsum's output before it is complete comes out different.

    Inputs are drawn as in :func:`execute` (same seed, same values); every produced tensor starts at its
    ``init`` value.

    Raises
    ------
    UnknownNameError
        For an Einsum or rank the cascade does not have, or an input name as in :func:`execute`.
    EinsumError
        For a box that splits a reduced rank whose partial results cannot be combined (a reduction of
        another kind applied after it) or a range outside its rank.
    ShapeError, TypeError
        As :func:`execute`.
    """
    env = _inputs(cascade, inputs, seed)
    written: dict[str, np.ndarray] = {}
    for einsum in cascade.einsums:
        tensor = cascade.tensors[einsum.output.tensor]
        env[tensor.name] = np.full(tensor.shape, tensor.init, dtype=np.float64)
        if einsum.reductions:
            written[einsum.name] = np.zeros(tensor.shape, dtype=bool)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        for name, spans in boxes:
            einsum = cascade.einsum(name)
            box = {rank: range(cascade.shapes[rank]) for rank in einsum.ranks}
            for rank, span in spans.items():
                if rank not in box:
                    continue  # a shared loop the Einsum is not indexed by: it runs whole inside it
                if not isinstance(span, range) or span.step != 1 or span.start < 0 or span.stop > len(box[rank]) \
                        or span.start >= span.stop:
                    raise EinsumError(f"box of Einsum {name!r}: rank {rank!r} spans {span!r}, not a non-empty "
                                      f"part of range({len(box[rank])})")
                box[rank] = span
            combine = _combiner(einsum, box, cascade.shapes)
            out = env[einsum.output.tensor]
            recurrent = einsum.recurrent_rank
            steps = ([{**box, recurrent: range(c, c + 1)} for c in box[recurrent]] if recurrent is not None
                     else [box])
            for step in steps:
                _block(einsum, env, out, step, combine, written.get(einsum.name))
    return env


def _combiner(einsum: Einsum, box: Mapping[str, range], shapes: Mapping[str, int]) -> Callable | None:
    """How this box's partial result joins earlier ones (``None``: the box reduces every reduced rank whole)."""
    ops = [r.op for r in einsum.reductions]
    split = [i for i, r in enumerate(einsum.reductions) if len(box[r.rank]) < shapes[r.rank]]
    if not split:
        return None
    later = set(ops[split[0]:])
    if len(later) > 1:
        raise EinsumError(f"box of Einsum {einsum.name!r} splits reduced rank {einsum.reductions[split[0]].rank!r}, "
                          f"but a {', '.join(sorted(later - {ops[split[0]]}))} reduction follows it: partial "
                          "results cannot be combined")
    return _COMBINE[ops[split[0]]]


def _run(einsum: Einsum, shapes: Mapping[str, int], env: dict[str, np.ndarray], out: np.ndarray) -> None:
    ranks = einsum.ranks
    full = {rank: range(shapes[rank]) for rank in ranks}
    recurrent = einsum.recurrent_rank
    if recurrent is not None:
        for coordinate in range(shapes[recurrent]):
            _block(einsum, env, out, {**full, recurrent: range(coordinate, coordinate + 1)})
        return
    points = math.prod(len(r) for r in full.values())
    outer = max(einsum.output_ranks, key=lambda rank: shapes[rank], default=None)
    if outer is None or points <= _BLOCK_ELEMENTS:
        _block(einsum, env, out, full)
        return
    step = max(1, _BLOCK_ELEMENTS * shapes[outer] // points)
    for start in range(0, shapes[outer], step):
        _block(einsum, env, out, {**full, outer: range(start, min(start + step, shapes[outer]))})


def _coordinates(ranks: tuple[str, ...], spans: dict[str, range]) -> dict[str, np.ndarray]:
    """Coordinate arrays, each shaped to broadcast along its own axis of the block."""
    grids = {}
    for axis, rank in enumerate(ranks):
        shape = [1] * len(ranks)
        shape[axis] = len(spans[rank])
        grids[rank] = np.arange(spans[rank].start, spans[rank].stop).reshape(shape)
    return grids


def _index_arrays(access: TensorAccess, grids: dict[str, np.ndarray]) -> tuple:
    arrays = []
    for index in access.indices:
        value: object = index.constant
        for coefficient, rank in index.terms:
            value = value + coefficient * grids[rank]
        arrays.append(value)
    return tuple(arrays)


def _evaluate(expr: Expr, env: dict[str, np.ndarray], grids: dict[str, np.ndarray]) -> np.ndarray | float:
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, TensorAccess):
        return env[expr.tensor][_index_arrays(expr, grids)]
    if isinstance(expr, Call):
        return _MAP[expr.op](*(_evaluate(arg, env, grids) for arg in expr.args))
    raise EinsumError(f"cannot evaluate expression node {expr!r}")  # pragma: no cover - Einsum validates nodes


def _block(einsum: Einsum, env: dict[str, np.ndarray], out: np.ndarray, spans: Mapping[str, range],
           combine: Callable | None = None, written: np.ndarray | None = None) -> None:
    """Evaluate ``einsum`` over ``spans`` into ``out``; with ``combine``, join earlier partial results (``written``
    marks the output elements already holding one)."""
    ranks = einsum.ranks
    grids = _coordinates(ranks, spans)
    block_shape = tuple(len(spans[rank]) for rank in ranks)
    value = np.broadcast_to(np.asarray(_evaluate(einsum.expr, env, grids), dtype=np.float64), block_shape)
    axes = list(ranks)
    for reduction in einsum.reductions:
        axis = axes.index(reduction.rank)
        value = _REDUCE[reduction.op](value, axis=axis)
        axes.pop(axis)
    output_grids = _coordinates(tuple(axes), spans)
    target = _index_arrays(einsum.output, output_grids)
    if einsum.output.indices:
        # An output rank may be absent from the output's indices only if it is
        # reduced, so the remaining axes are exactly the output ranks.
        value = np.broadcast_to(value, np.broadcast_shapes(*(np.shape(t) for t in target), value.shape))
    else:
        target = ()
    if written is not None:
        if combine is not None:
            value = np.where(written[target], combine(out[target], value), value)
        written[target] = True
    out[target] = value
