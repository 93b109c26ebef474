"""The architecture spec's fields, declared once.

The validator checks specs against these declarations, ``to_dict`` writes
fields in this order, and ``derive`` accepts exactly these paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from .._types import YamlValue
from ._formats import ARITH_KINDS, FORMATS, VECTOR_FORMATS, VECTOR_OPS
from ._types import DATAFLOWS, NETWORKS

__all__ = ["Field", "TOP_FIELDS", "SECTIONS", "LIST_SECTIONS", "OPTIONAL_SECTIONS", "RESERVED_LEVEL_NAMES"]


@dataclass(frozen=True)
class Field:
    """One key of a spec section.

    Parameters
    ----------
    name : str
        The key.
    kind : str
        ``'int'``, ``'number'``, ``'bool'``, ``'str'``, ``'ident'`` (a Python identifier),
        ``'idents'`` (list of identifiers), ``'enum'`` or ``'enum_list'``.
    required : bool
        Whether the key must be present (and not null).
    default : YamlValue
        Value when absent (``None`` means "not set").
    minimum : float or None
        Inclusive lower bound for numbers.
    maximum : float or None
        Inclusive upper bound for numbers (every number is at most 2**53 besides).
    positive : bool
        Numbers must be strictly greater than zero.
    choices : tuple of str
        Allowed values for ``'enum'``/``'enum_list'``.
    noun : str
        What a value is called in messages (``'arithmetic unit'``).
    """

    name: str
    kind: str
    required: bool = True
    default: YamlValue = None
    minimum: float | None = None
    maximum: float | None = None
    positive: bool = False
    choices: tuple[str, ...] = ()
    noun: str = "value"


#: Largest side of a PE array: 65,536 (the simulators and RTL generators lay out every PE).
MAX_ARRAY_SIDE = 65_536

TOP_FIELDS: tuple[Field, ...] = (
    Field("name", "ident"),
    Field("description", "str", required=False, default=""),
    Field("clock_mhz", "number", positive=True),
    Field("technology_nm", "number", positive=True),
)

_PE_ARRAY = (
    Field("rows", "int", minimum=1, maximum=MAX_ARRAY_SIDE),
    Field("cols", "int", minimum=1, maximum=MAX_ARRAY_SIDE),
    Field("row_ranks", "idents", required=False, default=()),
    Field("col_ranks", "idents", required=False, default=()),
    Field("network", "enum", choices=NETWORKS, noun="network"),
    Field("hop_latency", "int", required=False, default=1, minimum=0),
    Field("dataflow", "enum", required=False, default="flexible", choices=DATAFLOWS, noun="dataflow"),
    Field("fold_pipelining", "bool", required=False, default=False),
)

_REGISTER_FILE = (
    Field("capacity", "int", minimum=1),
    Field("word_bits", "int", minimum=1),
    Field("holds", "idents"),
)

_LEVEL = (
    Field("name", "ident"),
    Field("capacity", "int", minimum=1),
    Field("word_bits", "int", minimum=1),
    Field("read_bandwidth", "number", positive=True),
    Field("write_bandwidth", "number", positive=True),
    Field("ports", "int", required=False, default=1, minimum=1),
    Field("banks", "int", required=False, default=1, minimum=1),
    Field("holds", "idents"),
    Field("latency", "int", required=False, default=1, minimum=0),
)

_DRAM = (
    Field("bandwidth", "number", positive=True),
    Field("latency", "int", minimum=0),
    Field("energy_per_byte", "number", required=False, default=None, positive=True),
)

_ARITH = (
    Field("kind", "enum", choices=tuple(ARITH_KINDS), noun="arithmetic unit"),
    # Defaults depend on ``kind``; the validator fills them.
    Field("input_format", "enum", required=False, choices=tuple(FORMATS), noun="input format"),
    Field("accumulate_format", "enum", required=False, choices=tuple(FORMATS), noun="accumulate format"),
    Field("mantissa_bits", "int", required=False, default=None, minimum=1),
    Field("pipeline_depth", "int", required=False, default=1, minimum=1),
    Field("macs_per_cycle", "int", required=False, default=1, minimum=1),
)

_VECTOR_UNIT = (
    Field("lanes", "int", minimum=1),
    Field("ops_per_cycle", "int", required=False, default=1, minimum=1),
    Field("ops", "enum_list", required=False, default=("add", "mul", "max", "exp", "div"), choices=VECTOR_OPS, noun="vector op"),
    Field("format", "enum", required=False, default="fp32", choices=VECTOR_FORMATS, noun="vector format"),
    Field("pipeline_depth", "int", required=False, default=1, minimum=1),
)

#: Nested sections, in spec order.
SECTIONS: dict[str, tuple[Field, ...]] = {
    "pe_array": _PE_ARRAY,
    "register_file": _REGISTER_FILE,
    "levels": _LEVEL,
    "dram": _DRAM,
    "arith": _ARITH,
    "vector_unit": _VECTOR_UNIT,
}
#: Sections that are lists of mappings.
LIST_SECTIONS: frozenset[str] = frozenset({"levels"})
#: Sections that may be absent.
OPTIONAL_SECTIONS: frozenset[str] = frozenset({"vector_unit"})
#: Names a level may not take: they are the other keys of the energy table.
RESERVED_LEVEL_NAMES: frozenset[str] = frozenset({"rf", "dram", "noc", "mac", "vector", "any"})


def allowed_keys(fields: tuple[Field, ...], extra: tuple[str, ...] = ()) -> str:
    """Comma-separated sorted key names, for 'unknown key' messages."""
    return ", ".join(sorted([f.name for f in fields] + list(extra)))
