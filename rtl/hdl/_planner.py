"""Planning a mapped Einsum for the generated accelerator: check what the output- or weight-stationary array can
run and turn the mapping's loop nest into a :class:`FoldPlan` (see :mod:`._plan` for the loop and bank conventions).
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


def _loops(mapping: "Mapping") -> tuple[tuple[Loop, ...], tuple[Loop, ...]]:
    """The loops above the register file (outermost first) and the register-file loops, trips above 1."""
    ranks, levels = mapping.ranks, mapping.levels
    outer = tuple(
        Loop(lv, r, row_[ranks.index(r)])
        for lv, row_, order in reversed(list(zip(levels[1:], mapping.temporal[1:], mapping.orders[1:])))
        for r in order
        if row_[ranks.index(r)] > 1
    )
    inner = tuple(Loop(RF, r, mapping.temporal[0][ranks.index(r)]) for r in mapping.orders[0]
                  if mapping.temporal[0][ranks.index(r)] > 1)
    return outer, inner


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
        The dataflow is neither output- nor weight-stationary; the Einsum is
        not a two-operand sum of products; the mapping runs on the vector unit
        or uses more PEs than the array has. Output-stationary: the mapping
        unrolls a reduced rank over the array, keeps more than one output per
        PE (an output rank in the register-file loops) or splits a reduction
        above the register file; no input can stream along the rows (or
        columns). Weight-stationary: it unrolls an output rank down the
        columns or a reduced rank across them, loops over a reduced rank in
        the register file, changes the weight within a fold, asks for fold
        pipelining, or reads a partial sum back before the previous fold has
        written it (a reduction split over folds on a tiny array).
    """
    where = f"mapping of {mapping.einsum!r}"
    dataflow = arch.pe_array.dataflow
    if dataflow not in ("output_stationary", "weight_stationary"):
        raise PlanError(f"pe_array.dataflow: the mapped controller runs 'output_stationary' and 'weight_stationary' "
                        f"arrays, not {dataflow!r}")
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
    if mapping.rows_used > arch.pe_array.rows or mapping.cols_used > arch.pe_array.cols:
        raise PlanError(f"{where}: uses {mapping.rows_used} x {mapping.cols_used} PEs, the array has "
                        f"{arch.pe_array.rows} x {arch.pe_array.cols}")
    if dataflow == "weight_stationary":
        return _plan_weight_stationary(arch, einsum, shapes, problem, mapping, tensor_shapes)
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
    outer, inner = _loops(mapping)
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


def _plan_weight_stationary(arch: "Architecture", einsum: "Einsum", shapes: dict[str, int], problem: "Problem",
                            mapping: "Mapping", tensor_shapes: dict[str, tuple[int, ...]]) -> FoldPlan:
    """:func:`plan_einsum` for a weight-stationary array (the einsum already checked to be a sum of two-tensor products)."""
    where = f"mapping of {mapping.einsum!r}"
    if getattr(arch.pe_array, "fold_pipelining", False):
        raise PlanError("pe_array.fold_pipelining: the generated weight-stationary controller runs folds one after "
                        "the other (set it false)")
    reduced = set(einsum.reduced_ranks)
    ranks = mapping.ranks
    for r, f in zip(ranks, mapping.spatial_rows):
        if f > 1 and r not in reduced:
            raise PlanError(f"{where}: spatial_rows[{r!r}] = {f} unrolls an output rank down the columns, where a "
                            f"weight-stationary array sums its partial sums")
    for r, f in zip(ranks, mapping.spatial_cols):
        if f > 1 and r in reduced:
            raise PlanError(f"{where}: spatial_cols[{r!r}] = {f} unrolls a reduced rank across the columns, which a "
                            f"weight-stationary array keeps apart")
    busy = {r for r, f in zip(ranks, mapping.temporal[0]) if f > 1}
    inside = sorted(busy & reduced)
    if inside:
        raise PlanError(f"{where}: {RF}[{inside[0]!r}] loops over a reduced rank inside a fold; the generated PE passes "
                        f"each partial sum on, so the register-file loops must run over output ranks")
    col_ranks = {r for r, f in zip(ranks, mapping.spatial_cols) if f > 1}
    expr = einsum.expr
    a, b = (_access(x, tensor_shapes[x.tensor]) for x in expr.args)
    # The weight: indexed by no register-file loop (it stays for the fold); the other streams along the rows.
    pair = next(((s, w) for s, w in ((a, b), (b, a)) if not set(w.ranks) & busy and not set(s.ranks) & col_ranks),
                None)
    if pair is None:
        raise PlanError(f"{where}: the register-file loops {sorted(busy)} and spatial_cols {sorted(col_ranks)} leave "
                        f"no input to hold in the PEs (indexed by no register-file loop) and the other to stream "
                        f"along the rows (indexed by no column rank); inputs {a.tensor}{list(a.ranks)}, "
                        f"{b.tensor}{list(b.ranks)}")
    stream, weight = pair
    out = _access(einsum.output, tensor_shapes[einsum.output.tensor])
    outer, inner = _loops(mapping)
    # The register file double-buffers the weights when it holds two of the stationary tile (as sim.cycle reads it).
    rf = problem.storage[0]
    held = [(ti, t) for ti, t in enumerate(problem.tensors) if rf.holds[ti] and t.role == "weight"]
    double = bool(held) and all(2 * t.footprint(tuple(mapping.temporal[0])) * t.bits / 8 <= rf.capacity
                                for _, t in held)
    if double and any(t.name != weight.tensor for _, t in held):
        raise PlanError(f"{where}: the register file double-buffers {held[0][1].name}, but the array holds "
                        f"{weight.tensor} in its PEs")
    plan = FoldPlan(
        einsum=einsum.name, rows=arch.pe_array.rows, cols=arch.pe_array.cols, ranks=tuple(ranks),
        sizes=tuple(int(shapes[r]) for r in ranks), outer=outer, inner=inner,
        spatial_rows=tuple((r, f) for r, f in zip(ranks, mapping.spatial_rows) if f > 1),
        spatial_cols=tuple((r, f) for r, f in zip(ranks, mapping.spatial_cols) if f > 1),
        row=stream, col=weight, out=out, depth=arch.arith.pipeline_depth, pipelined=False, capture=False,
        dataflow="weight_stationary", double=double,
    )
    if double and plan.interval - plan.rows < plan.steady:
        raise PlanError(f"{where}: on a {plan.cols}-column array at pipeline depth {plan.depth} the next fold's weights "
                        f"would load while this fold still streams; the generated controller loads them after")
    # A partial sum is read back at the top of its column the interval after the previous fold wrote it at the bottom.
    if any(plan.reduced_outer) and plan.interval < plan.rows + 2:
        raise PlanError(f"{where}: splits the reduction over folds only {plan.interval} cycles apart; the partial sums "
                        f"of a {plan.rows}-row array need {plan.rows + 2} to come back (map the reduction inside one "
                        f"fold, or use a larger array)")
    return plan
