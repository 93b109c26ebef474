"""Mapping types: how each Einsum runs on an architecture.

A :class:`Mapping` gives, per storage level, tiling factors and a loop order, and the spatial unrolling onto the
PE array (ranks may be padded to factor products; the padding is costed as idle PEs). A :class:`Problem` is one
Einsum on one architecture, built once by :func:`build_problem`. :func:`validate_mapping` checks a mapping,
:func:`render_loop_nest` prints it, :func:`dump_mappings` / :func:`read_mappings` write and read it as YAML
in that loop-nest form; :func:`read_constraints` reads mapspace constraints the searches honour. These types sit below the simulators; the searches that produce mappings sit
above them, in :mod:`mapping.search` (the per-Einsum ILP mapper) and :mod:`mapping.cosma` (the COSMA scheduler).
A :class:`MapResult` (what a mapper returns) is generic in the simulators' report, which this layer reads only
through :class:`CostReport`.
"""

from ._errors import InfeasibleMappingError, MappingError
from ._fusion import (
    BINDINGS,
    FusionError,
    FusionGroup,
    FusionInfeasibleError,
    FusionPlan,
    GroupFacts,
    TensorRole,
    unfused_plan,
)
from ._fusion_exec import PlanCheck, execute_plan, plan_boxes, verify_plan
from ._fusion_facts import analyse_group, check_plan, render_plan, tile_cascade
from ._file import MappingFileError, dump_mappings, load_mappings, read_mappings, write_mappings
from ._constraints import Constraints, ConstraintsError, EinsumConstraints, LevelConstraints, load_constraints, read_constraints
from ._mapping import UNITS, Mapping
from ._problem import DRAM, RF, Problem, StorageInfo, TensorInfo, build_problem, cascade_problems, tensor_bits
from ._render import render_loop_nest
from ._result import OBJECTIVES, CostReport, MapResult, objective_of
from ._validate import check_fits, check_mapping, validate_mapping

__all__ = [
    "BINDINGS",
    "FusionError",
    "FusionGroup",
    "FusionInfeasibleError",
    "FusionPlan",
    "GroupFacts",
    "TensorRole",
    "analyse_group",
    "check_plan",
    "render_plan",
    "tile_cascade",
    "unfused_plan",
    "PlanCheck",
    "plan_boxes",
    "execute_plan",
    "verify_plan",
    "Mapping",
    "UNITS",
    "MappingError",
    "InfeasibleMappingError",
    "Problem",
    "TensorInfo",
    "StorageInfo",
    "build_problem",
    "cascade_problems",
    "tensor_bits",
    "RF",
    "DRAM",
    "validate_mapping",
    "check_mapping",
    "check_fits",
    "render_loop_nest",
    "MappingFileError",
    "dump_mappings",
    "load_mappings",
    "read_mappings",
    "write_mappings",
    "Constraints",
    "EinsumConstraints",
    "LevelConstraints",
    "ConstraintsError",
    "read_constraints",
    "load_constraints",
    "MapResult",
    "CostReport",
    "OBJECTIVES",
    "objective_of",
]
