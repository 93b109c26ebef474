"""The mapper's search: the CoSA-style ILP per Einsum, exhaustive and random search, the whole-cascade mapper.

:func:`map_einsum` finds a mapping with an ILP (PuLP: HiGHS or CBC) and re-scores it with the exact analytical
model (:mod:`sim.analytical`); :func:`search_mappings` is the exhaustive / random baseline; :func:`map_cascade`
maps every Einsum of a cascade, once per distinct problem. This layer sits above the simulators (it calls
:mod:`sim.analytical` as its cost model); the types it produces (:class:`mapping.Mapping`,
:class:`mapping.MapResult`) sit below them.
"""

from ._cascade import MAPPERS, CascadeMapping, map_cascade
from ._mapper import map_einsum
from ._fusion import FUSION_MODES, FUSION_UNITS, FusedCascade, FusedGroup, exhaustive_fusion, fuse_cascade, price_plan
from ._search import METHODS, search_mappings
from ._solvers import SOLVERS

__all__ = ["map_einsum", "map_cascade", "search_mappings", "CascadeMapping", "SOLVERS", "METHODS", "MAPPERS",
           "FUSION_MODES", "FUSION_UNITS", "FusedCascade", "FusedGroup", "fuse_cascade", "price_plan", "exhaustive_fusion"]
