"""Validate a parsed architecture spec, collecting every error with its path.

Input is whatever ``yaml.safe_load`` produced; output is a normalized plain
dict (defaults filled, lists as tuples) ready for ``accel._factory``.  Nothing
is built until the whole spec is clean.
"""

from __future__ import annotations

from .._types import YamlValue
from ._errors import SpecError
from ._formats import ARITH_KINDS, FORMATS
from ._schema import LIST_SECTIONS, OPTIONAL_SECTIONS, RESERVED_LEVEL_NAMES, SECTIONS, TOP_FIELDS, Field, allowed_keys

__all__ = ["validate_spec"]


#: Largest magnitude of a number in a spec: 2**53, the integers float64 holds exactly (the models compute in it).
MAX_NUMBER = 2**53


def _show(v: object) -> str:
    """``repr(v)``, shortened for a huge integer (whose full text Python may refuse to write)."""
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 10**30:
        return f"an integer of about {v.bit_length() * 0.30103:.0f} digits"
    text = repr(v)
    return text if len(text) <= 200 else text[:200] + "..."


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _quote_all(values: tuple[str, ...]) -> str:
    return ", ".join(repr(v) for v in values)


class _Checker:
    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []

    def err(self, path: str, message: str) -> None:
        self.errors.append((path, message))

    # -- one value ----------------------------------------------------------
    def value(self, f: Field, path: str, v: YamlValue) -> YamlValue:
        """Check ``v`` against ``f``; return the normalized value or ``None`` after an error."""
        if f.kind in ("int", "number"):
            is_int = isinstance(v, int) and not isinstance(v, bool)
            if f.kind == "int" and not is_int:
                return self.err(path, f"must be an integer, got {_show(v)}")
            if f.kind == "number" and not (is_int or (isinstance(v, float) and not isinstance(v, bool))):
                return self.err(path, f"must be a number, got {_show(v)}")
            if v != v or v in (float("inf"), float("-inf")):
                return self.err(path, f"must be a finite number, got {v!r}")
            if abs(v) > MAX_NUMBER:
                return self.err(path, f"must be at most 2**53 = {MAX_NUMBER:,} (what the models compute exactly), got {_show(v)}")
            if f.positive and v <= 0:
                return self.err(path, f"must be > 0, got {v!r}")
            if f.minimum is not None and v < f.minimum:
                return self.err(path, f"must be >= {f.minimum:g}, got {v!r}")
            if f.maximum is not None and v > f.maximum:
                return self.err(path, f"must be <= {f.maximum:,g}, got {v!r}")
            return v if f.kind == "int" else float(v)
        if f.kind == "bool":
            if not isinstance(v, bool):
                return self.err(path, f"must be true or false, got {_show(v)}")
            return v
        if f.kind == "str":
            if not isinstance(v, str):
                return self.err(path, f"must be a string, got {_show(v)}")
            return v
        if f.kind == "ident":
            if not isinstance(v, str) or not v.isidentifier():
                return self.err(path, f"must be a name (letters, digits, underscores; not starting with a digit), got {_show(v)}")
            return v
        if f.kind == "enum":
            if not isinstance(v, str) or v not in f.choices:
                return self.err(path, f"unknown {f.noun} {_show(v)}; allowed: {_quote_all(f.choices)}")
            return v
        if f.kind in ("idents", "enum_list"):
            if not isinstance(v, list):
                return self.err(path, f"must be a list, got {_show(v)}")
            out, ok = [], True
            for i, item in enumerate(v):
                sub = Field(f.name, "ident" if f.kind == "idents" else "enum", choices=f.choices, noun=f.noun)
                checked = self.value(sub, f"{path}[{i}]", item)
                ok = ok and checked is not None
                out.append(checked)
            return tuple(out) if ok else None
        raise AssertionError(f"unhandled field kind {f.kind!r}")  # pragma: no cover - schema bug

    # -- one mapping --------------------------------------------------------
    def mapping(self, fields: tuple[Field, ...], path: str, data: YamlValue, extra: tuple[str, ...] = ()) -> dict[str, YamlValue] | None:
        """Check a mapping's keys and scalar fields; nested sections (``extra``) are left to the caller."""
        if not isinstance(data, dict):
            self.err(path or "<top>", f"must be a mapping, got {_show(data)}")
            return None
        known = {f.name for f in fields} | set(extra)
        for key in data:
            if not isinstance(key, str) or key not in known:
                self.err(_join(path, _show(key) if not isinstance(key, str) else key), f"unknown key; allowed: {allowed_keys(fields, extra)}")
        out: dict[str, YamlValue] = {}
        for f in fields:
            sub = _join(path, f.name)
            v = data.get(f.name)
            if v is None:
                if f.required:
                    self.err(sub, "missing required field" if f.name not in data else "missing required value (got null)")
                out[f.name] = f.default
                continue
            out[f.name] = self.value(f, sub, v)
        return out


def _check_arith(c: _Checker, a: dict[str, YamlValue]) -> None:
    kind = ARITH_KINDS.get(a["kind"]) if a["kind"] is not None else None
    if kind is None:
        return
    for key, allowed in (("input_format", kind.inputs), ("accumulate_format", kind.accumulates)):
        if a[key] is None:
            a[key] = allowed[0]
        elif a[key] in FORMATS and a[key] not in allowed:
            c.err(f"arith.{key}", f"{a[key]!r} is not available for {kind.name!r}; allowed: {_quote_all(allowed)}")
    m = a["mantissa_bits"]
    if kind.needs_mantissa:
        fmt = FORMATS.get(a["input_format"])
        if m is None:
            c.err("arith.mantissa_bits", f"required for 'lmul' (the L-Mul operand mantissa width, 1 to {fmt.mantissa_bits if fmt else 23})")
        elif fmt is not None and m > fmt.mantissa_bits:
            c.err("arith.mantissa_bits", f"must be <= {fmt.mantissa_bits} (the mantissa of {fmt.name!r}), got {m!r}")
    elif m is not None:
        c.err("arith.mantissa_bits", f"applies only to 'lmul', not {kind.name!r}; remove it")


def _check_storage(c: _Checker, path: str, s: dict[str, YamlValue]) -> None:
    if s.get("holds") == ():
        c.err(f"{path}.holds", "holds no tensor; list roles ('input', 'weight', 'output', 'any') or tensor names")
    cap, bits = s.get("capacity"), s.get("word_bits")
    if cap is not None and bits is not None and cap * 8 < bits:
        c.err(f"{path}.capacity", f"{cap!r} bytes cannot hold one {bits}-bit word")


def _check_levels(c: _Checker, levels: tuple[dict[str, YamlValue] | None, ...]) -> None:
    seen: dict[str, int] = {}
    for i, lvl in enumerate(levels):
        if lvl is None:
            continue
        _check_storage(c, f"levels[{i}]", lvl)
        n = lvl.get("name")
        if n in RESERVED_LEVEL_NAMES:
            c.err(f"levels[{i}].name", f"{n!r} is reserved; reserved names: {_quote_all(tuple(sorted(RESERVED_LEVEL_NAMES)))}")
        elif n is not None and n in seen:
            c.err(f"levels[{i}].name", f"duplicate level name {n!r} (also levels[{seen[n]}])")
        elif n is not None:
            seen[n] = i


def validate_spec(data: YamlValue, source: str = "<spec>") -> dict[str, YamlValue]:
    """Validate a parsed spec and return it normalized.

    Parameters
    ----------
    data : YamlValue
        The result of ``yaml.safe_load`` (or an equivalent plain dict).
    source : str
        Where it came from, for the error heading.

    Raises
    ------
    SpecError
        Listing every problem with its path, e.g. ``levels[2].read_bandwidth: must be > 0, got 0``.
    """
    c = _Checker()
    top = c.mapping(TOP_FIELDS, "", data, extra=tuple(SECTIONS))
    if top is None:
        raise SpecError(c.errors, source)
    for name, fields in SECTIONS.items():
        raw = data.get(name)
        if raw is None:
            if name in OPTIONAL_SECTIONS:
                top[name] = None
            else:
                c.err(name, "missing required section" if name not in data else "missing required value (got null)")
                top[name] = None
            continue
        if name in LIST_SECTIONS:
            if not isinstance(raw, list) or not raw:
                c.err(name, f"must be a non-empty list of levels, innermost first, got {_show(raw)}")
                top[name] = None
                continue
            top[name] = tuple(c.mapping(fields, f"{name}[{i}]", item) for i, item in enumerate(raw))
            _check_levels(c, top[name])
        else:
            top[name] = c.mapping(fields, name, raw)
            if top[name] is not None and name == "register_file":
                _check_storage(c, name, top[name])
            elif top[name] is not None and name == "arith":
                _check_arith(c, top[name])
    if c.errors:
        raise SpecError(c.errors, source)
    return top
