"""Planning a mapped Einsum for the generated accelerator: check what the output-stationary array can run and
turn the mapping's loop nest into a :class:`FoldPlan` (see :mod:`._plan` for the loop and bank conventions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._plan import RF, FoldPlan, Loop, PlanError, _Operand

if TYPE_CHECKING:
    from accel.arch import Architecture
    from dataflow import Einsum
    from mapping import Mapping, Problem

__all__ = ["plan_einsum"]


def _access(access: Any, shape: tuple[int, ...]) -> _Operand:
    indices = tuple((tuple((t.coefficient, t.rank) for t in ix.terms), ix.constant) for ix in access.indices)
    ranks = tuple(dict.fromkeys(r for ix in access.indices for r in ix.ranks))
    return _Operand(access.tensor, indices, tuple(shape), ranks)


def plan_einsum(arch: "Architecture", einsum: "Einsum", shapes: dict[str, int], problem: "Problem",
                mapping: "Mapping", tensor_shapes: dict[str, tuple[int, ...]]) -> FoldPlan:
    """Check that the generated accelerator can run ``mapping`` of ``einsum`` and build its :class:`FoldPlan`.

    Parameters
    ----------
    arch : accel.Architecture
        Its array (rows, cols, dataflow, fold pipelining), MAC pipeline depth and register file.
    einsum : dataflow.Einsum
        A product of two tensors summed over its reduced ranks.
    shapes : dict
        Rank sizes (the cascade's ``shapes``).
    problem : mapping.Problem
        ``mapping.build_problem`` of the Einsum on ``arch``.
    mapping : mapping.Mapping
        A mapping of it (e.g. from ``accel map``).
    tensor_shapes : dict
        Every tensor's shape.

    Raises
    ------
    PlanError
        The dataflow is not output-stationary; the Einsum is not a two-operand
        sum of products; the mapping runs on the vector unit, unrolls a reduced
        rank over the array, keeps more than one output per PE (an output rank
        in the register-file loops) or splits a reduction above the register
        file; no input can stream along the rows (or columns).
    """
    where = f"mapping of {mapping.einsum!r}"
    if arch.pe_array.dataflow != "output_stationary":
        raise PlanError(
            f"pe_array.dataflow: the mapped controller runs 'output_stationary' arrays, not {arch.pe_array.dataflow!r}"
        )
    expr = einsum.expr
    from dataflow import Call, TensorAccess

    if not (isinstance(expr, Call) and expr.op == "mul" and len(expr.args) == 2
            and all(isinstance(a, TensorAccess) for a in expr.args)):
        raise PlanError(f"einsum {einsum.name!r}: the array computes a product of two tensors, not {einsum}")
    if any(r.op != "sum" for r in einsum.reductions):
        raise PlanError(f"einsum {einsum.name!r}: the array sums its products; reductions {einsum.reductions!r}")
    if any(ix.plain_rank is None for ix in einsum.output.indices):
        raise PlanError(f"einsum {einsum.name!r}: the output must be indexed by plain ranks, not {einsum.output}")
    if mapping.unit != "pe_array":
        raise PlanError(f"{where}: unit must be 'pe_array' for the generated array, not {mapping.unit!r}")
    reduced = set(einsum.reduced_ranks)
    ranks, levels = mapping.ranks, mapping.levels
    if levels[0] != RF:
        raise PlanError(f"{where}: the innermost level must be {RF!r}, not {levels[0]!r}")
    for axis, factors in (("spatial_rows", mapping.spatial_rows), ("spatial_cols", mapping.spatial_cols)):
        for r, f in zip(ranks, factors):
            if f > 1 and r in reduced:
                raise PlanError(f"{where}: {axis}[{r!r}] = {f} unrolls a reduced rank, which an output-stationary "
                                f"array cannot sum across PEs")
    for r, f in zip(ranks, mapping.temporal[0]):
        if f > 1 and r not in reduced:
            raise PlanError(f"{where}: {RF}[{r!r}] = {f} keeps {f} outputs per PE; the generated PE holds one "
                            f"(give the register file room for one output, or map {r!r} elsewhere)")
    for lv, row in zip(levels[1:], mapping.temporal[1:]):
        for r, f in zip(ranks, row):
            if f > 1 and r in reduced:
                raise PlanError(f"{where}: {lv}[{r!r}] = {f} splits the reduction above the register file; the "
                                f"generated PE finishes each sum inside one fold")
    if mapping.rows_used > arch.pe_array.rows or mapping.cols_used > arch.pe_array.cols:
        raise PlanError(f"{where}: uses {mapping.rows_used} x {mapping.cols_used} PEs, the array has "
                        f"{arch.pe_array.rows} x {arch.pe_array.cols}")
    row_ranks = {r for r, f in zip(ranks, mapping.spatial_rows) if f > 1}
    col_ranks = {r for r, f in zip(ranks, mapping.spatial_cols) if f > 1}
    a, b = (_access(x, tensor_shapes[x.tensor]) for x in expr.args)
    fits_row = [op for op in (a, b) if not (set(op.ranks) & col_ranks)]
    fits_col = [op for op in (a, b) if not (set(op.ranks) & row_ranks)]
    pair = next(((x, y) for x in fits_row for y in fits_col if x is not y), None)
    if pair is None:
        raise PlanError(f"{where}: spatial_rows {sorted(row_ranks)} and spatial_cols {sorted(col_ranks)} leave no "
                        f"input to stream along the rows (indexed by no column rank) and the other down the "
                        f"columns (indexed by no row rank); inputs {a.tensor}{list(a.ranks)}, {b.tensor}{list(b.ranks)}")
    row, col = pair
    out = _access(einsum.output, tensor_shapes[einsum.output.tensor])
    outer = tuple(
        Loop(lv, r, row_[ranks.index(r)])
        for lv, row_, order in reversed(list(zip(levels[1:], mapping.temporal[1:], mapping.orders[1:])))
        for r in order
        if row_[ranks.index(r)] > 1
    )
    inner = tuple(Loop(RF, r, mapping.temporal[0][ranks.index(r)]) for r in mapping.orders[0]
                  if mapping.temporal[0][ranks.index(r)] > 1)
    # The second output register: the register file holds two outputs of the fold (as sim.cycle reads it).
    rf = problem.storage[0]
    out_info = problem.tensors[0]
    capture = bool(rf.holds[0]) and 2 * out_info.bits / 8 <= rf.capacity
    return FoldPlan(
        einsum=einsum.name,
        rows=arch.pe_array.rows,
        cols=arch.pe_array.cols,
        ranks=tuple(ranks),
        sizes=tuple(int(shapes[r]) for r in ranks),
        outer=outer,
        inner=inner,
        spatial_rows=tuple((r, f) for r, f in zip(ranks, mapping.spatial_rows) if f > 1),
        spatial_cols=tuple((r, f) for r, f in zip(ranks, mapping.spatial_cols) if f > 1),
        row=row,
        col=col,
        out=out,
        depth=arch.arith.pipeline_depth,
        pipelined=bool(getattr(arch.pe_array, "fold_pipelining", False)),
        capture=capture,
    )
