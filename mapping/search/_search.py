"""Search baselines over the mapping space, scored by the vectorized analytical model.

* ``'exhaustive'``: every factorization of every rank over the slots (with
  padding options) times every loop order of :func:`mapping.search._space.order_family`
  applied at all levels; refuses spaces above ``max_mappings``.
* ``'random'``: ``samples`` uniform draws of per-rank factorizations with an
  independent order from the family at each level (seeded).

Also the local refinements the ILP mapper applies to its solution:
:func:`refine_orders` (best order per level from the family) and :func:`polish`
(move one prime factor between two slots, or swap two, while that improves the objective).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Collection, Mapping as MappingABC
from typing import TYPE_CHECKING, Protocol

import numpy as np

from memory import Residency
from sim import Report
from sim.analytical import MappingBatch, cost_model, report_for

from .._errors import InfeasibleMappingError, MappingError
from .._problem import Problem
from .._mapping import Mapping
from .._result import OBJECTIVES, MapResult, objective_of
from ._space import order_family, prime_factors, rank_candidates, space_size
from .._validate import check_fits

if TYPE_CHECKING:
    from accel.arch import Architecture
    from dataflow import Einsum
    from sim.analytical import BatchResult

__all__ = ["search_mappings", "refine_orders", "polish", "METHODS", "batch_from_factors"]

#: Search methods.
METHODS: tuple[str, ...] = ("exhaustive", "random")


class ScoringModel(Protocol):
    """What the searches read of a cost model: ``sim.analytical.CostModel``, or one narrowed by constraints."""

    @property
    def problem(self) -> Problem:
        """The problem it prices."""

    def score(self, batch: MappingBatch) -> BatchResult:
        """The scores of every mapping of ``batch``."""


def batch_from_factors(fm: np.ndarray, orders: np.ndarray) -> MappingBatch:
    """A ``MappingBatch`` from factor matrices (B, ranks, levels + 2) and orders (B, levels, ranks)."""

    nl = fm.shape[2] - 2
    return MappingBatch(fm[:, :, :nl].transpose(0, 2, 1), fm[:, :, nl], fm[:, :, nl + 1], orders)


def factors_of(mapping: Mapping) -> tuple[np.ndarray, np.ndarray]:
    """(ranks, levels + 2) factor matrix and (levels, ranks) order indices of ``mapping``."""
    fm = np.array([list(col) + [sr, sc] for col, sr, sc in zip(zip(*mapping.temporal), mapping.spatial_rows, mapping.spatial_cols)])
    orders = np.array([[mapping.ranks.index(r) for r in o] for o in mapping.orders])
    return fm.astype(np.int64), orders.astype(np.int64)


def _check_objective(objective: str) -> None:
    if objective not in OBJECTIVES:
        raise MappingError(f"objective must be one of {OBJECTIVES!r}, not {objective!r}")


def _best(model: ScoringModel, batch: MappingBatch, objective: str) -> tuple[int, float, int]:
    res = model.score(batch)
    obj = res.objective(objective)
    i = int(np.argmin(obj))
    return i, float(obj[i]), int(res.valid.sum())


def refine_orders(model: ScoringModel, mapping: Mapping, objective: str, max_combos: int = 4096) -> tuple[Mapping, int]:
    """The best mapping with ``mapping``'s factors and one family order per level (plus its own orders).

    Tries every combination of family orders over the levels with a loop
    (factor > 1) when there are at most ``max_combos``; otherwise the family
    order applied at all levels.  Returns the mapping and how many were scored.
    """
    fam = order_family(model.problem)
    fm, own = factors_of(mapping)
    nl = len(mapping.levels)
    active = [i for i in range(nl) if any(f > 1 for f in mapping.temporal[i])]
    choices = [range(len(fam))] * len(active)
    if len(fam) ** len(active) <= max_combos:
        combos = list(itertools.product(*choices))
    else:
        combos = [(k,) * len(active) for k in range(len(fam))]
    orders = np.repeat(own[None], len(combos) + 1, axis=0)
    for n, combo in enumerate(combos, start=1):
        for lvl, k in zip(active, combo):
            orders[n, lvl] = fam[k]
    batch = batch_from_factors(np.repeat(fm[None], len(orders), axis=0), orders)
    i, _, _ = _best(model, batch, objective)
    return batch.mapping(i, model.problem), len(orders)


def polish(model: ScoringModel, mapping: Mapping, objective: str, rounds: int = 50) -> tuple[Mapping, int]:
    """Greedy local search: move one prime factor of a rank between two slots, or swap two different
    primes of a rank between two slots; re-pick orders; repeat.

    Stops when no move improves ``objective`` or after ``rounds`` rounds.
    Returns the best mapping and how many mappings were scored.
    """
    p = model.problem
    nl = len(p.storage)
    best, scored = mapping, 0
    best_val = float(model.score(batch_from_factors(*[a[None] for a in factors_of(best)])).objective(objective)[0])
    for _ in range(rounds):
        fm, orders = factors_of(best)
        cands = []
        for r in range(len(p.ranks)):
            for a in range(nl + 2):
                primes_a = set(prime_factors(int(fm[r, a])))
                for q in primes_a:
                    for b in range(nl + 2):
                        if b != a:
                            new = fm.copy()
                            new[r, a] //= q
                            new[r, b] *= q
                            cands.append(new)
                            # swap: q goes a -> b while a different prime of the rank goes b -> a
                            for q2 in (set(prime_factors(int(fm[r, b]))) - {q}) if b > a else ():
                                new = fm.copy()
                                new[r, a] = new[r, a] // q * q2
                                new[r, b] = new[r, b] // q2 * q
                                cands.append(new)
        if not cands:
            break
        batch = batch_from_factors(np.array(cands), np.repeat(orders[None], len(cands), axis=0))
        i, val, _ = _best(model, batch, objective)
        scored += len(cands)
        moved = batch.mapping(i, p) if val < best_val else best
        moved, n = refine_orders(model, moved, objective)
        scored += n
        val = float(model.score(batch_from_factors(*[x[None] for x in factors_of(moved)])).objective(objective)[0])
        if not val < best_val * (1 - 1e-12):
            break
        best, best_val = moved, val
    return best, scored


def search_mappings(
    einsum: Einsum,
    shapes: MappingABC[str, int],
    arch: Architecture,
    method: str = "exhaustive",
    objective: str = "edp",
    samples: int = 20000,
    seed: int = 0,
    max_mappings: int = 2_000_000,
    weights: Collection[str] | None = None,
    chunk: int = 65536,
    residency: Residency | None = None,
    problem: Problem | None = None,
) -> MapResult[Report]:
    """Baseline mapper: score the whole space (or a random sample of it) with the analytical model.

    Parameters
    ----------
    einsum : dataflow.Einsum
    shapes : mapping of str to int
        Rank sizes.
    arch : accel.Architecture
    method : str
        ``'exhaustive'`` or ``'random'``.
    objective : str
        ``'edp'``, ``'latency'`` or ``'energy'``.
    samples : int
        Draws for ``'random'``.
    seed : int
        Seed of the random draws.
    max_mappings : int
        Largest space ``'exhaustive'`` accepts.
    weights : collection of str, optional
        Tensors that are weights (see :func:`mapping.build_problem`).
    chunk : int
        Mappings scored per numpy call.
    residency : memory.Residency, optional
        What a cascade schedule does with the Einsum's tensors: mappings are
        scored with the traffic it leaves (see :func:`sim.analytical.cost_model`).

    Raises
    ------
    MappingError
        For an unknown method or objective, non-positive ``samples``, or an
        exhaustive space larger than ``max_mappings``.
    InfeasibleMappingError
        If nothing fits the architecture, or no scored mapping is legal.
    """

    start = time.perf_counter()
    if method not in METHODS:
        raise MappingError(f"search method must be one of {METHODS!r}, not {method!r}")
    _check_objective(objective)
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise MappingError(f"samples must be a positive integer, not {samples!r}")
    model = cost_model(einsum, shapes, arch, weights, residency=residency, problem=problem)
    p = model.problem
    check_fits(p)
    nl, nr = len(p.storage), len(p.ranks)
    cands = [rank_candidates(p, r) for r in range(nr)]
    fam = order_family(p)
    best_val, best_map, valid, scored = np.inf, None, 0, 0
    if method == "exhaustive":
        total = space_size(cands, len(fam))
        if total > max_mappings:
            raise MappingError(
                f"exhaustive search of Einsum {p.einsum!r} on {p.arch!r} would score {total} mappings, "
                f"more than max_mappings={max_mappings}; use method='random' or raise max_mappings"
            )
        radices = [len(fam)] + [len(c) for c in cands]
        for lo in range(0, total, chunk):
            idx = np.arange(lo, min(total, lo + chunk), dtype=np.int64)
            digits = []
            for rad in radices:
                digits.append(idx % rad)
                idx = idx // rad
            fm = np.stack([cands[r][digits[r + 1]] for r in range(nr)], axis=1)
            orders = np.repeat(fam[digits[0]][:, None, :], nl, axis=1)
            batch = batch_from_factors(fm, orders)
            i, val, nv = _best(model, batch, objective)
            scored += len(batch)
            valid += nv
            if val < best_val:
                best_val, best_map = val, batch.mapping(i, p)
        status = "exhaustive"
    else:
        rng = np.random.default_rng(seed)
        for lo in range(0, samples, chunk):
            n = min(chunk, samples - lo)
            fm = np.stack([c[rng.integers(0, len(c), n)] for c in cands], axis=1)
            orders = fam[rng.integers(0, len(fam), (n, nl))]
            batch = batch_from_factors(fm, orders)
            i, val, nv = _best(model, batch, objective)
            scored += n
            valid += nv
            if val < best_val:
                best_val, best_map = val, batch.mapping(i, p)
        status = "sampled"
    if best_map is None or not np.isfinite(best_val):
        raise InfeasibleMappingError(
            f"{method} search found no legal mapping of Einsum {p.einsum!r} on {p.arch!r} among {scored} scored"
        )
    report = report_for(model, best_map)
    return MapResult(
        mapping=best_map, report=report, status=status, gap=None, objective=objective,
        objective_value=objective_of(report, objective), solver=method, solve_seconds=time.perf_counter() - start, evaluated=scored,
        notes=(f"{valid} of {scored} scored mappings were legal", f"seed={seed}" if method == "random" else "full space"),
    )
