# amaranth: UnusedElaboratable=no
"""Units by name: parameter schemas, construction and Verilog emission.

(The linter comment above: a unit built by name is often only inspected,
e.g. by a bench reading its arithmetic, never elaborated; that is fine.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Union

from amaranth.back import verilog
from amaranth.lib import wiring

from ._arith import Arith, arith
from ._array import SystolicArray
from ._errors import HDLParamError
from ._fp8mul import Fp8Multiplier
from ._lmul import LMul
from ._mac import Mac
from ._pe import ProcessingElement

__all__ = ["UNITS", "UnitDesign", "build_unit", "parse_params", "to_verilog", "unit_params"]

_ARITH_KEYS = {
    "fmt": str,
    "accumulator": str,
    "width": int,
    "frac_bits": int,
    "overflow": str,
    "acc_bits": int,
}

#: A unit parameter's value (``None``: not set).
ParamValue = Union[int, float, str, bool, None]

# Each unit: its parameters with their types and defaults (None: not set).
_SCHEMAS: dict[str, dict[str, tuple[type, ParamValue]]] = {
    "int8_mac": {"acc_bits": (int, 32), "overflow": (str, "wrap"), "depth": (int, 1), "soft_multiply": (bool, False)},
    "fp8_mul": {"fmt": (str, "e4m3"), "registered": (bool, False)},
    "fp8_mac": {
        "fmt": (str, "e4m3"),
        "accumulator": (str, "fp32"),
        "width": (int, None),
        "frac_bits": (int, None),
        "overflow": (str, "wrap"),
        "depth": (int, 1),
        "soft_multiply": (bool, False),
    },
    "lmul": {
        "fmt": (str, "e4m3"),
        "exp_bits": (int, None),
        "man_bits": (int, None),
        "saturate": (bool, False),
        "registered": (bool, False),
    },
    "lmul_mac": {
        "fmt": (str, "e4m3"),
        "accumulator": (str, "fp32"),
        "width": (int, None),
        "frac_bits": (int, None),
        "overflow": (str, "wrap"),
        "depth": (int, 1),
    },
    "pe": {"kind": (str, "fp8"), "dataflow": (str, "output_stationary"), "depth": (int, 1), "capture": (bool, False),
           "soft_multiply": (bool, False)}
    | {k: (t, None) for k, t in _ARITH_KEYS.items()},
    "array": {"kind": (str, "fp8"), "rows": (int, 2), "cols": (int, 2), "dataflow": (str, "output_stationary"),
              "depth": (int, 1), "hard_multipliers": (int, None)}
    | {k: (t, None) for k, t in _ARITH_KEYS.items()},
}

UNITS: tuple[str, ...] = tuple(_SCHEMAS)


@dataclass(frozen=True)
class UnitDesign:
    """A unit built from validated parameters.

    Attributes
    ----------
    unit : str
        Unit name (one of :data:`UNITS`).
    params : tuple of (str, object)
        Every parameter after defaults, sorted by name (None where unset).
    top : str
        Verilog module name of the top level.
    component : wiring.Component
        The Amaranth component.
    arith : Arith or None
        The MAC arithmetic for MAC units, PEs and arrays.
    """

    unit: str
    params: tuple[tuple[str, ParamValue], ...]
    top: str
    component: wiring.Component
    arith: Arith | None

    def param(self, name: str) -> ParamValue:
        """The value of one parameter."""
        return dict(self.params)[name]

    @property
    def label(self) -> str:
        """Unit name plus its non-default parameters, e.g. ``fp8_mac[accumulator=fp16]``."""
        defaults = {k: d for k, (_, d) in _SCHEMAS[self.unit].items()}
        extra = [f"{k}={v}" for k, v in self.params if v is not None and v != defaults[k]]
        return self.unit + (f"[{','.join(extra)}]" if extra else "")


def unit_params(unit: str) -> dict[str, tuple[type, ParamValue]]:
    """The parameter schema of ``unit``: ``{name: (type, default)}``.

    Raises
    ------
    HDLParamError
        Unknown unit.
    """
    if unit not in _SCHEMAS:
        raise HDLParamError(f"unknown unit {unit!r}; expected one of {list(UNITS)}")
    return dict(_SCHEMAS[unit])


def _convert(unit: str, key: str, value: object, kind: type) -> object:
    where = f"unit {unit!r}: parameter {key!r}"
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return value.lower() in ("1", "true", "yes", "on")
        raise HDLParamError(f"{where} must be a boolean (true/false), not {value!r}")
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return int(value, 10)
            except ValueError:
                pass
        raise HDLParamError(f"{where} must be an integer, not {value!r}")
    if not isinstance(value, str):
        raise HDLParamError(f"{where} must be a string, not {value!r}")
    return value


def parse_params(text: str) -> dict[str, str]:
    """Parse ``'k=v,k=v'`` (as given to ``--params``) into a dict of strings.

    Raises
    ------
    HDLParamError
        An item without ``=``, an empty name or a repeated name.
    """
    out: dict[str, str] = {}
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise HDLParamError(f"--params: expected name=value, not {item!r}")
        if key in out:
            raise HDLParamError(f"--params: {key!r} given twice")
        out[key] = value.strip()
    return out


def build_unit(unit: str, params: Mapping[str, object] | None = None) -> UnitDesign:
    """Validate ``params`` for ``unit`` and build its component.

    Parameters
    ----------
    unit : str
        One of :data:`UNITS`: ``int8_mac``, ``fp8_mul``, ``fp8_mac``, ``lmul``,
        ``lmul_mac``, ``pe``, ``array``.
    params : mapping, optional
        Parameter values (strings are converted: ``'4'``, ``'true'``).
        ``unit_params(unit)`` lists the names and defaults.

    Raises
    ------
    HDLParamError
        Unknown unit or parameter, a value of the wrong type, or any
        parameter the generator refuses.
    TypeError
        As the generators.
    """
    schema = unit_params(unit)
    given = dict(params or {})
    unknown = sorted(set(given) - set(schema))
    if unknown:
        raise HDLParamError(f"unit {unit!r}: unknown parameter(s) {unknown}; expected some of {sorted(schema)}")
    values = {k: d for k, (_, d) in schema.items()}
    for key, value in given.items():
        values[key] = _convert(unit, key, value, schema[key][0])
    spec: Arith | None = None
    if unit == "fp8_mul":
        comp: wiring.Component = Fp8Multiplier(values["fmt"], registered=values["registered"])
    elif unit == "lmul":
        fmt = None if values["exp_bits"] is not None or values["man_bits"] is not None else values["fmt"]
        if fmt is None and "fmt" in given:
            raise HDLParamError(f"unit 'lmul': give either fmt or exp_bits/man_bits, not both (fmt={given['fmt']!r})")
        comp = LMul(
            fmt,
            exp_bits=values["exp_bits"],
            man_bits=values["man_bits"],
            saturate=values["saturate"],
            registered=values["registered"],
        )
    else:
        kind = {"int8_mac": "int8", "fp8_mac": "fp8", "lmul_mac": "lmul"}.get(unit) or values["kind"]
        akw = {k: values[k] for k in _ARITH_KEYS if k in values and values[k] is not None}
        spec = arith(kind, **akw)
        if unit in ("int8_mac", "fp8_mac", "lmul_mac"):
            comp = Mac(spec, values["depth"], soft_multiply=values.get("soft_multiply", False))
        elif unit == "pe":
            comp = ProcessingElement(spec, values["dataflow"], values["depth"], capture=values["capture"],
                                     soft_multiply=values["soft_multiply"])
        else:
            comp = SystolicArray(spec, values["rows"], values["cols"], values["dataflow"], values["depth"],
                                 values["hard_multipliers"])
    return UnitDesign(unit=unit, params=tuple(sorted(values.items())), top=unit, component=comp, arith=spec)


def to_verilog(design: UnitDesign) -> str:
    """Verilog text of ``design`` (top module ``design.top``, no source paths).

    Parameters
    ----------
    design : UnitDesign
        From :func:`build_unit`.

    Raises
    ------
    TypeError
        ``design`` is not a UnitDesign.
    """
    if not isinstance(design, UnitDesign):
        raise TypeError(f"to_verilog: expected a UnitDesign from build_unit(), not {design!r}")
    return verilog.convert(design.component, name=design.top, emit_src=False)
