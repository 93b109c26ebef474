"""Design points from axes: grid (cartesian), random (seeded) and Latin hypercube (seeded).

Grid crosses every axis's grid values, the last axis varying fastest.
Random draws each axis independently: uniformly among a values axis's values,
uniformly (or log-uniformly) over a range.  Latin hypercube
(``scipy.stats.qmc.LatinHypercube``) draws one stratified quantile per axis
and sample, so a categorical axis with ``k`` values gets each value in
``n / k`` samples (within one), and a range axis has one sample in each of
``n`` equal-probability strata.  Identical design points (possible when
integer ranges round or values repeat) are kept once, first come first kept.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
import numpy as np

from accel.arch import YamlValue

from ._axes import Axis, Change, Draw

__all__ = ["DesignPoint", "sample", "METHODS"]

#: Sampling methods.
METHODS: tuple[str, ...] = ("grid", "random", "lhs")


@dataclass(frozen=True)
class DesignPoint:
    """One architecture variant of a sweep.

    Parameters
    ----------
    index : int
        Position in the sampled order (0-based, after removing duplicates).
    changes : tuple of (str, YamlValue)
        Dotted path -> value, applied to the base with :func:`accel.derive`.
    labels : tuple of (str, YamlValue)
        Axis name -> display value (a linked axis shows its label).
    """

    index: int
    changes: tuple[Change, ...]
    labels: tuple[tuple[str, YamlValue], ...]

    def label(self) -> str:
        """``name=value`` pairs, for tables."""
        return ", ".join(f"{k}={v}" for k, v in self.labels)


def _point(axes: Sequence[Axis], draws: Sequence[Draw]) -> tuple[tuple[Change, ...], tuple[tuple[str, YamlValue], ...]]:
    changes: list[Change] = []
    labels: list[tuple[str, YamlValue]] = []
    for axis, draw in zip(axes, draws):
        pairs, label = axis.changes(draw)
        changes.extend(pairs)
        labels.append((axis.name, label))
    return tuple(changes), tuple(labels)


def _dedupe(raw: list[tuple[tuple[Change, ...], tuple[tuple[str, YamlValue], ...]]]) -> tuple[DesignPoint, ...]:
    seen: set[str] = set()
    out: list[DesignPoint] = []
    for changes, labels in raw:
        key = json.dumps(changes, sort_keys=True, default=str)
        if key in seen:
            continue
        seen.add(key)
        out.append(DesignPoint(len(out), changes, labels))
    return tuple(out)


def sample(axes: Sequence[Axis], method: str, samples: int | None = None, seed: int | None = None) -> tuple[DesignPoint, ...]:
    """The design points of ``axes`` sampled by ``method``.

    Parameters
    ----------
    axes : sequence of Axis
        At least one.
    method : str
        ``'grid'``, ``'random'`` or ``'lhs'``.
    samples : int, optional
        Number of draws (random and lhs; required there).
    seed : int, optional
        Seed of the draws (random and lhs; required there).

    Raises
    ------
    ValueError
        For an unknown method, no axes, a missing ``samples``/``seed``, or a
        range axis without ``steps`` on a grid.
    """
    if method not in METHODS:
        raise ValueError(f"sampling method must be one of {METHODS!r}, not {method!r}")
    if not axes:
        raise ValueError("a sweep needs at least one axis, got none")
    if method == "grid":
        grids = [axis.grid() for axis in axes]
        return _dedupe([_point(axes, combo) for combo in itertools.product(*grids)])
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ValueError(f"{method} sampling needs samples >= 1, not {samples!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"{method} sampling needs an explicit seed >= 0, not {seed!r}")
    if method == "random":
        rng = np.random.default_rng(seed)
        u = rng.random((samples, len(axes)))
    else:
        from scipy.stats import qmc

        u = qmc.LatinHypercube(d=len(axes), seed=np.random.default_rng(seed)).random(samples)
    return _dedupe([_point(axes, [axis.at(float(u[i, j])) for j, axis in enumerate(axes)]) for i in range(samples)])
