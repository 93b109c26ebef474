"""Mapping: how each Einsum runs on an architecture (and, in :mod:`mapping.cosma`, how a cascade is scheduled).

Per-Einsum mapping (issue 5): a :class:`Mapping` gives, per storage level,
tiling factors and a loop order, and the spatial unrolling onto the PE array
(ranks may be padded to factor products; the padding is costed as idle PEs).
:func:`map_einsum` finds one with a CoSA-style ILP (PuLP: HiGHS or CBC) and
re-scores it with the exact analytical model (:mod:`sim.analytical`);
:func:`search_mappings` is the exhaustive / random baseline;
:func:`map_cascade` maps every Einsum of a cascade.  :func:`validate_mapping`
checks a mapping, :func:`render_loop_nest` prints it.
"""

# --- per-Einsum mapper (issue 5) -------------------------------------------
from ._errors import InfeasibleMappingError, MappingError
from ._mapper import SOLVERS, CascadeMapping, map_cascade, map_einsum
from ._mapping import UNITS, Mapping
from ._problem import DRAM, RF, Problem, StorageInfo, TensorInfo, build_problem
from ._render import render_loop_nest
from ._result import OBJECTIVES, MapResult
from ._search import METHODS, search_mappings
from ._validate import check_fits, check_mapping, validate_mapping

__all__ = [
    "Mapping",
    "UNITS",
    "MappingError",
    "InfeasibleMappingError",
    "Problem",
    "TensorInfo",
    "StorageInfo",
    "build_problem",
    "RF",
    "DRAM",
    "validate_mapping",
    "check_mapping",
    "check_fits",
    "render_loop_nest",
    "map_einsum",
    "map_cascade",
    "search_mappings",
    "MapResult",
    "CascadeMapping",
    "OBJECTIVES",
    "SOLVERS",
    "METHODS",
]
# --- end of per-Einsum mapper block ----------------------------------------

# --- cascade scheduling, COSMA (issue 6) -------------------------------------
from .cosma import schedule, schedule_divide, schedule_ilp  # noqa: E402

__all__ += ["schedule", "schedule_ilp", "schedule_divide"]
# --- end of cascade scheduling block -----------------------------------------
