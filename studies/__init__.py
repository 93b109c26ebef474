"""Studies that reproduce the reference papers' headline results.

Each study is a module with ``run(out_dir, reduced=False, seed=0) ->``
:class:`StudyResult`: it writes ``table.csv`` and its PNG figures under
``out_dir`` and returns the table, the figure paths and its findings (text
computed from the table).  Its docstring states the claim it reproduces, the
method, and what the full run found.  ``accel study run NAME`` runs one;
``reduced=True`` is the small version the tests run.

========================  ====================================================
name                      claim
========================  ====================================================
``lmul_accuracy``         L-Mul m=4 ~ E4M3, m=3 beats E5M2 (Luo & Sun 2024)
``lmul_energy``           L-Mul saves ~95 % per multiply, ~80 % per dot product
``fusemax_attention``     FuseMax 6.7x faster than FLAT at 79 % of its energy
``cosma_traffic``         COSMA's ILP cuts non-compulsory DRAM traffic by 84 %
``accelerator_pareto``    FP8 vs INT8 vs L-Mul arrays: latency/energy/area fronts
========================  ====================================================
"""

from __future__ import annotations

import importlib
from pathlib import Path

from ._common import StudyError, StudyResult

__all__ = ["STUDIES", "StudyResult", "StudyError", "names", "describe", "run_study"]

#: Registered studies: name -> module (registered explicitly, imported on use).
STUDIES: dict[str, str] = {
    "lmul_accuracy": "studies.lmul_accuracy",
    "lmul_energy": "studies.lmul_energy",
    "fusemax_attention": "studies.fusemax_attention",
    "cosma_traffic": "studies.cosma_traffic",
    "accelerator_pareto": "studies.accelerator_pareto",
}


def names() -> tuple[str, ...]:
    """The registered study names, in the issue's order."""
    return tuple(STUDIES)


def _module(name: object):
    if not isinstance(name, str):
        raise TypeError(f"a study name must be a string, not {name!r}")
    if name not in STUDIES:
        raise StudyError(f"unknown study {name!r}; expected one of {', '.join(STUDIES)}")
    return importlib.import_module(STUDIES[name])


def describe(name: str) -> str:
    """The first line of study ``name``'s docstring.

    Raises
    ------
    StudyError
        Unknown study.
    """
    return (_module(name).__doc__ or "").strip().splitlines()[0]


def run_study(name: str, out_dir: str | Path, reduced: bool = False, seed: int = 0) -> StudyResult:
    """Run study ``name`` writing into ``out_dir``.

    Parameters
    ----------
    name : str
        One of :func:`names`.
    out_dir : str or Path
        Output folder (created).
    reduced : bool
        Run the small (test) version.
    seed : int
        Seed of every random draw.

    Raises
    ------
    StudyError
        Unknown study or bad arguments.
    TypeError
        Arguments of the wrong type.
    """
    return _module(name).run(out_dir, reduced=reduced, seed=seed)
