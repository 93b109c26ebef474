"""accel.arch: accelerator architecture descriptions and energy/area estimators (the bottom layer).

An :class:`Architecture` is read from a YAML spec (parse -> validate -> build),
or from one of the built-in examples, and is the one source of truth the
mapper and both simulators read.  Energy and area per action come from
estimators registered explicitly in an :class:`EstimatorRegistry`; the most
accurate one that answers wins.  :func:`import_architecture` translates a
peer tool's spec (ZigZag hardware YAML, Timeloop v4) with notes on every
assumption.  The bounded readers every package uses (:func:`load_yaml`,
:func:`load_json`) return plain data typed :data:`YamlValue` /
:data:`JsonValue` (defined once in ``accel._types``); ``to_dict`` methods
everywhere return a :data:`JsonObject`.
"""

from .._types import JsonObject, JsonScalar, JsonValue, YamlMapping, YamlScalar, YamlValue
from ._derive import derive
from ._energy import AreaEntry, AreaTable, EnergyEntry, EnergyTable, area_table, default_registry, energy_table
from ._estimator import Action, AttrValue, Component, Estimate, Estimator, EstimatorRegistry, NoEstimateError
from ._horowitz import HorowitzEstimator
from ._user_table import UserTableEstimator
from ._cacti import CactiEstimator
from ._errors import SpecError
from ._safejson import load_json, load_json_file
from ._safeload import LoadError, load_yaml, load_yaml_file, read_text
from ._factory import to_dict
from ._loader import builtin_architectures, load_architecture, parse_architecture, to_yaml
from ._compute import ArithmeticUnit, VectorUnit
from ._types import DRAM, Architecture, MemoryLevel, PEArray, RegisterFile
from ._peer import FORMATS as PEER_FORMATS, PeerImport, import_architecture

__all__ = [
    "Architecture",
    "PEArray",
    "RegisterFile",
    "MemoryLevel",
    "DRAM",
    "ArithmeticUnit",
    "VectorUnit",
    "SpecError",
    "LoadError",
    "YamlValue",
    "YamlScalar",
    "YamlMapping",
    "JsonValue",
    "JsonScalar",
    "JsonObject",
    "read_text",
    "load_yaml",
    "load_yaml_file",
    "load_json",
    "load_json_file",
    "load_architecture",
    "parse_architecture",
    "builtin_architectures",
    "derive",
    "to_dict",
    "to_yaml",
    "Action",
    "AttrValue",
    "Component",
    "Estimate",
    "Estimator",
    "EstimatorRegistry",
    "NoEstimateError",
    "HorowitzEstimator",
    "UserTableEstimator",
    "CactiEstimator",
    "default_registry",
    "energy_table",
    "EnergyTable",
    "EnergyEntry",
    "area_table",
    "AreaTable",
    "AreaEntry",
    "PeerImport",
    "PEER_FORMATS",
    "import_architecture",
]
