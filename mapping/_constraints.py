"""Mapspace constraints: what the mapper may choose, from a YAML file, as Timeloop's constraints do.

A constraints file narrows each Einsum's mapspace (all Einsums, or those an
entry names)::

    constraints:
      - einsum: Z                       # optional: every Einsum when left out
        spatial: {rows: [k], cols: [n]} # ranks that may be unrolled on the array's rows / columns
        levels:
          rf:
            order: [m, k]               # the loops with a factor above 1, outermost first: only these ranks,
                                        # in this order (ranks left out keep factor 1 here)
            factors: {k: 16}            # exact factors
            max_factors: {m: 4}         # upper bounds

Level names are the architecture's (``rf`` ... ``dram``).  A rank an entry
names that the Einsum does not have is an error for an entry naming the
Einsum and skipped for an entry meant for every Einsum (ranks differ between
Einsums).  :func:`read_constraints` parses and checks the file (every
problem with its place, :class:`ConstraintsError`); :meth:`Constraints.for_problem`
gives one Einsum's :class:`EinsumConstraints`, which checks mappings
(:meth:`~EinsumConstraints.violations`, :meth:`~EinsumConstraints.allows`
over arrays of a batch) and narrows the problem's spatial ranks; the mapper
(:func:`mapping.search.map_einsum`) searches only mappings they allow.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
import numpy as np

from accel.arch import LoadError, YamlValue, load_yaml, read_text

from ._errors import MappingError
from ._mapping import Mapping
from ._problem import Problem

__all__ = ["Constraints", "EinsumConstraints", "LevelConstraints", "ConstraintsError", "read_constraints",
           "load_constraints"]

_ENTRY = ("einsum", "spatial", "levels")
_LEVEL = ("order", "factors", "max_factors")


class ConstraintsError(MappingError):
    """A constraints file that cannot be read, or constraints that do not fit the Einsum (exit 2)."""


@dataclass(frozen=True)
class LevelConstraints:
    """One level's constraints: the fixed order (or None), exact factors and upper bounds by rank."""

    order: tuple[str, ...] | None = None
    factors: MappingABC[str, int] = field(default_factory=dict)
    max_factors: MappingABC[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class EinsumConstraints:
    """The constraints on one Einsum's mappings.

    Attributes
    ----------
    rows, cols : tuple of str or None
        Ranks allowed on the array's rows / columns (None: any).
    levels : mapping of str to LevelConstraints
    source : str
        Where they come from, for messages.
    """

    rows: tuple[str, ...] | None = None
    cols: tuple[str, ...] | None = None
    levels: MappingABC[str, LevelConstraints] = field(default_factory=dict)
    source: str = "<constraints>"

    @property
    def empty(self) -> bool:
        """Whether nothing is constrained."""
        return self.rows is None and self.cols is None and not self.levels

    def narrow(self, problem: Problem) -> Problem:
        """``problem`` with its spatial ranks narrowed to :attr:`rows` / :attr:`cols`."""
        rows = problem.row_allowed if self.rows is None else tuple(a and r in self.rows for a, r in zip(problem.row_allowed, problem.ranks))
        cols = problem.col_allowed if self.cols is None else tuple(a and r in self.cols for a, r in zip(problem.col_allowed, problem.ranks))
        return dataclasses.replace(problem, row_allowed=rows, col_allowed=cols)

    def allows(self, ranks: tuple[str, ...], levels: tuple[str, ...], temporal: np.ndarray, spatial_rows: np.ndarray,
               spatial_cols: np.ndarray, orders: np.ndarray) -> np.ndarray:
        """Per mapping of a batch (arrays as ``sim.analytical.MappingBatch`` holds them), whether it keeps every constraint."""
        ok = np.ones(temporal.shape[0], dtype=bool)
        for allowed, spatial in ((self.rows, spatial_rows), (self.cols, spatial_cols)):
            if allowed is not None:
                for r, name in enumerate(ranks):
                    if name not in allowed:
                        ok &= spatial[:, r] == 1
        for level, lc in self.levels.items():
            li = levels.index(level)
            for name, f in lc.factors.items():
                ok &= temporal[:, li, ranks.index(name)] == f
            for name, f in lc.max_factors.items():
                ok &= temporal[:, li, ranks.index(name)] <= f
            if lc.order is not None:
                listed = [ranks.index(r) for r in lc.order]
                for r in range(len(ranks)):
                    if r not in listed:
                        ok &= temporal[:, li, r] == 1
                # position of each rank in the level's order, outermost 0
                pos = np.argsort(orders[:, li, :], axis=1)
                for a, b in zip(listed, listed[1:]):
                    both = (temporal[:, li, a] > 1) & (temporal[:, li, b] > 1)
                    ok &= ~both | (pos[:, a] < pos[:, b])
        return ok

    def violations(self, mapping: Mapping) -> list[str]:
        """What ``mapping`` breaks, one line each (empty when it keeps every constraint)."""
        out = []
        for allowed, factors, axis in ((self.rows, mapping.spatial_rows, "rows"), (self.cols, mapping.spatial_cols, "cols")):
            if allowed is not None:
                out += [f"spatial.{axis}: rank {r!r} is unrolled on the {axis} ({f}), which allow only "
                        f"{', '.join(allowed) or 'none'}" for r, f in zip(mapping.ranks, factors) if f > 1 and r not in allowed]
        for level, lc in self.levels.items():
            row = dict(zip(mapping.ranks, mapping.temporal[mapping.levels.index(level)]))
            out += [f"levels.{level}.factors.{r}: factor {row[r]}, not {f}" for r, f in lc.factors.items() if row[r] != f]
            out += [f"levels.{level}.max_factors.{r}: factor {row[r]} > {f}" for r, f in lc.max_factors.items() if row[r] > f]
            if lc.order is not None:
                looped = [r for r in mapping.orders[mapping.levels.index(level)] if row[r] > 1]
                stray = [r for r in looped if r not in lc.order]
                if stray:
                    out.append(f"levels.{level}.order: rank(s) {', '.join(stray)} loop here, outside the order {list(lc.order)}")
                kept = [r for r in looped if r in lc.order]
                if kept != [r for r in lc.order if r in kept]:
                    out.append(f"levels.{level}.order: loops {kept} are not in the order {list(lc.order)}")
        return out


@dataclass(frozen=True)
class _Entry:
    einsum: str | None
    constraints: EinsumConstraints
    place: str


@dataclass(frozen=True)
class Constraints:
    """A constraints file's entries (see the module docstring)."""

    entries: tuple[_Entry, ...]
    source: str = "<constraints>"

    def for_problem(self, problem: Problem) -> EinsumConstraints:
        """The constraints on ``problem``'s Einsum: every entry for all Einsums, then its own (later ones win per key).

        Raises
        ------
        ConstraintsError
            If an entry naming the Einsum names a rank or level it does not have.
        """
        rows = cols = None
        levels: dict[str, LevelConstraints] = {}
        errors: list[str] = []
        for entry in self.entries:
            if entry.einsum is not None and entry.einsum != problem.einsum:
                continue
            strict = entry.einsum is not None
            c = entry.constraints

            def keep(names, where):
                bad = [n for n in names if n not in problem.ranks]
                if bad and strict:
                    errors.append(f"{where}: Einsum {problem.einsum!r} has no rank(s) {', '.join(bad)} "
                                  f"(ranks: {', '.join(problem.ranks)})")
                return tuple(n for n in names if n in problem.ranks)

            if c.rows is not None:
                rows = keep(c.rows, f"{entry.place}.spatial.rows")
            if c.cols is not None:
                cols = keep(c.cols, f"{entry.place}.spatial.cols")
            for level, lc in c.levels.items():
                where = f"{entry.place}.levels.{level}"
                if level not in problem.level_names:
                    errors.append(f"{where}: {problem.arch!r} has no level {level!r} (levels: {', '.join(problem.level_names)})")
                    continue
                old = levels.get(level, LevelConstraints())
                order = keep(lc.order, f"{where}.order") if lc.order is not None else old.order
                factors = {**old.factors, **{r: f for r, f in lc.factors.items() if r in keep([r], f"{where}.factors")}}
                bounds = {**old.max_factors, **{r: f for r, f in lc.max_factors.items() if r in keep([r], f"{where}.max_factors")}}
                levels[level] = LevelConstraints(order, factors, bounds)
        if errors:
            raise ConstraintsError(f"{self.source}: {len(errors)} problem(s):\n  " + "\n  ".join(errors))
        return EinsumConstraints(rows, cols, levels, self.source)


def read_constraints(path: str | os.PathLike[str]) -> Constraints:
    """:func:`load_constraints` of the file at ``path``."""
    source = os.fspath(path)
    return load_constraints(read_text(path, source), source)


def load_constraints(text: str, source: str = "<string>") -> Constraints:
    """Parse and check a constraints file's text.

    Raises
    ------
    ConstraintsError
        Malformed YAML, an unknown key, a factor that is not a positive integer, an order naming a rank
        twice, an exact factor above its bound; every problem with its place (``constraints[0].levels.rf.order``).
    """
    try:
        data = load_yaml(text, source)
    except LoadError as exc:
        raise ConstraintsError(str(exc)) from None
    if not isinstance(data, dict) or set(data) != {"constraints"} or not isinstance(data["constraints"], list):
        raise ConstraintsError(f"{source}: a constraints file is a mapping with the one key 'constraints', a list of entries")
    errors: list[str] = []
    entries = []
    for i, raw in enumerate(data["constraints"]):
        place = f"constraints[{i}]"
        if not isinstance(raw, dict):
            errors.append(f"{place}: a mapping with keys {', '.join(_ENTRY)}, not {raw!r}")
            continue
        errors += [f"{place}.{k}: unknown key; allowed: {', '.join(_ENTRY)}" for k in raw if k not in _ENTRY]
        einsum = raw.get("einsum")
        if einsum is not None and not isinstance(einsum, str):
            errors.append(f"{place}.einsum: an Einsum's name, not {einsum!r}")
        rows = cols = None
        spatial = raw.get("spatial")
        if spatial is not None:
            if not isinstance(spatial, dict):
                errors.append(f"{place}.spatial: a mapping with rows and/or cols, not {spatial!r}")
            else:
                errors += [f"{place}.spatial.{k}: unknown key; allowed: rows, cols" for k in spatial if k not in ("rows", "cols")]
                rows = _names(spatial.get("rows"), f"{place}.spatial.rows", errors) if "rows" in spatial else None
                cols = _names(spatial.get("cols"), f"{place}.spatial.cols", errors) if "cols" in spatial else None
        levels: dict[str, LevelConstraints] = {}
        raw_levels = raw.get("levels") or {}
        if not isinstance(raw_levels, dict):
            errors.append(f"{place}.levels: a mapping of level name -> constraints, not {raw_levels!r}")
            raw_levels = {}
        for level, lc in raw_levels.items():
            where = f"{place}.levels.{level}"
            if not isinstance(lc, dict):
                errors.append(f"{where}: a mapping with order, factors, max_factors, not {lc!r}")
                continue
            errors += [f"{where}.{k}: unknown key; allowed: {', '.join(_LEVEL)}" for k in lc if k not in _LEVEL]
            order = _names(lc.get("order"), f"{where}.order", errors) if "order" in lc else None
            if order is not None and len(set(order)) != len(order):
                errors.append(f"{where}.order: a rank is named twice in {list(order)}")
            factors = _factors(lc.get("factors"), f"{where}.factors", errors)
            bounds = _factors(lc.get("max_factors"), f"{where}.max_factors", errors)
            for r in set(factors) & set(bounds):
                if factors[r] > bounds[r]:
                    errors.append(f"{where}.factors.{r}: {factors[r]} is above its max_factors bound {bounds[r]}")
            if order is not None:
                for r, f in factors.items():
                    if f > 1 and r not in order:
                        errors.append(f"{where}.factors.{r}: factor {f} at a level whose order leaves {r!r} out")
            levels[str(level)] = LevelConstraints(order, factors, bounds)
        entries.append(_Entry(einsum, EinsumConstraints(rows, cols, levels, source), place))
    if errors:
        raise ConstraintsError(f"{source}: {len(errors)} problem(s):\n  " + "\n  ".join(errors))
    return Constraints(tuple(entries), source)


def _names(value: YamlValue, where: str, errors: list[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.append(f"{where}: a list of rank names, not {value!r}")
        return ()
    return tuple(value)


def _factors(value: YamlValue, where: str, errors: list[str]) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.append(f"{where}: a mapping of rank -> factor, not {value!r}")
        return {}
    out = {}
    for r, f in value.items():
        if isinstance(f, bool) or not isinstance(f, int) or f < 1:
            errors.append(f"{where}.{r}: a factor is a positive integer, not {f!r}")
        else:
            out[str(r)] = f
    return out
