"""Cascade files: YAML with ``name``, ``shapes``, optional ``tensors`` and ``einsums``.

Example::

    name: gemm
    shapes: {m: 64, n: 32, k: 128}
    inputs: [A, B]              # optional: then reading any other unproduced tensor is an error
    tensors:                    # optional
      B: {weight: true, bits: 8}
    einsums:
      - Z[m,n] = A[m,k] * B[k,n]

A tensor declaration may give ``dims`` (rank names fixing its shape), ``init``
(value of unwritten elements; ``-inf`` and ``inf`` allowed), ``bits`` and
``weight``.  The file is read with :func:`accel.arch.load_yaml` (no duplicate keys, bounded aliases), checked (every problem
collected with its location), then built by :func:`build_cascade`.

An unquoted Einsum holding ``": "`` (``GM[p] = QK[m,p] :: max(m)``, or a
``NAME: ...`` label) is what YAML reads as a one-entry mapping; such an item
is read back as the text ``"key: value"`` it came from, so quoting is optional.
"""

from __future__ import annotations

import math
from pathlib import Path
import yaml

from accel.arch import JsonObject, LoadError, YamlValue, load_yaml, read_text

from ._build import build_cascade
from ._cascade import Cascade
from ._errors import CascadeFileError, EinsumError
from ._ir import is_identifier
from ._parser import parse_einsum

__all__ = ["load_cascade", "loads_cascade", "dump_cascade"]

_TOP_KEYS = ("name", "shapes", "inputs", "tensors", "einsums")
_TENSOR_KEYS = ("dims", "init", "bits", "weight")
_MAX_SIZE = 2**53
_MAX_BITS = 1024
_INFINITIES = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf}


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check(data: YamlValue, source: str) -> list[str]:
    problems: list[str] = []
    if not isinstance(data, dict):
        return [f"the file must hold a mapping with keys {', '.join(_TOP_KEYS)}, not {type(data).__name__}"]
    for key in data:
        if key not in _TOP_KEYS:
            problems.append(f"{key!r}: unknown key (expected one of {', '.join(_TOP_KEYS)})")
    for key in ("name", "shapes", "einsums"):
        if key not in data:
            problems.append(f"{key!r}: missing")
    if "name" in data and (not isinstance(data["name"], str) or not data["name"]):
        problems.append(f"name: must be a non-empty string, not {data['name']!r}")
    shapes = data.get("shapes", {})
    if not isinstance(shapes, dict):
        problems.append(f"shapes: must be a mapping of rank -> size, not {shapes!r}")
    else:
        for rank, size in shapes.items():
            if not is_identifier(rank):
                problems.append(f"shapes: rank name must be an identifier, not {rank!r}")
            elif not _int(size) or size < 1:
                problems.append(f"shapes.{rank}: size must be a positive integer, not {size!r}")
            elif size > _MAX_SIZE:
                problems.append(f"shapes.{rank}: size {size} is larger than 2**53 = {_MAX_SIZE:,}, what the models count exactly")
    einsums = data.get("einsums", [])
    if not isinstance(einsums, list) or not einsums:
        problems.append(f"einsums: must be a non-empty list of Einsum strings, not {einsums!r}")
    else:
        for i, line in enumerate(einsums):
            if not isinstance(line, str):
                problems.append(f"einsums[{i}]: must be a string such as 'Z[m,n] = A[m,k] * B[k,n]', not {line!r}")
    inputs = data.get("inputs", [])
    if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
        problems.append(f"inputs: must be a list of tensor names, not {inputs!r}")
    tensors = data.get("tensors") or {}
    if not isinstance(tensors, dict):
        problems.append(f"tensors: must be a mapping of tensor -> declaration, not {tensors!r}")
        return problems
    for name, decl in tensors.items():
        if not isinstance(decl, dict):
            problems.append(f"tensors.{name}: must be a mapping with keys {', '.join(_TENSOR_KEYS)}, not {decl!r}")
            continue
        for key, value in decl.items():
            where = f"tensors.{name}.{key}"
            if key not in _TENSOR_KEYS:
                problems.append(f"{where}: unknown key (expected one of {', '.join(_TENSOR_KEYS)})")
            elif key == "dims" and (not isinstance(value, list) or not all(isinstance(d, str) for d in value)):
                problems.append(f"{where}: must be a list of rank names, not {value!r}")
            elif key == "init" and not (
                (isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value))
                or (isinstance(value, str) and value in _INFINITIES)
            ):
                problems.append(f"{where}: must be a number, inf or -inf, not {value!r}")
            elif key == "bits" and (not _int(value) or value < 1):
                problems.append(f"{where}: must be a positive integer, not {value!r}")
            elif key == "bits" and value > _MAX_BITS:
                problems.append(f"{where}: must be at most {_MAX_BITS}, not {value!r}")
            elif key == "weight" and not isinstance(value, bool):
                problems.append(f"{where}: must be true or false, not {value!r}")
    return problems


def _unsplit(item: YamlValue) -> YamlValue:
    """Undo YAML's reading of an unquoted ``a: b`` Einsum as the mapping ``{a: b}``."""
    if isinstance(item, dict) and len(item) == 1:
        (key, value), = item.items()
        if isinstance(key, str) and (value is None or isinstance(value, (str, int, float))):
            return f"{key}:" if value is None else f"{key}: {value}"
    return item


def loads_cascade(text: str, source: str = "<string>") -> Cascade:
    """Build a cascade from the text of a cascade file.

    Parameters
    ----------
    text : str
        YAML text.
    source : str
        Name used in error messages (the file name).

    Raises
    ------
    CascadeFileError
        For YAML that does not parse or has the wrong structure (all problems listed).
    EinsumError
        For a bad Einsum or inconsistent shapes, naming the file and ``einsums[i]``.
    """
    try:
        data = load_yaml(text, source)
    except LoadError as error:
        where = f"{source}, {error.where}" if error.where else source
        problem = error.problem.removeprefix("malformed YAML: ")
        raise CascadeFileError(f"not valid YAML: {problem}" if problem != error.problem else problem, where=where) from None
    if isinstance(data, dict) and isinstance(data.get("einsums"), list):
        data["einsums"] = [_unsplit(item) for item in data["einsums"]]
    problems = _check(data, source)
    if problems:
        raise CascadeFileError("; ".join(problems), where=source)
    einsums = []
    named: dict[str, int] = {}
    for i, line in enumerate(data["einsums"]):
        try:
            einsums.append(parse_einsum(line, line=i + 1))
        except EinsumError as error:
            error.where = f"{source}: einsums[{i}]"
            error.args = (error._format(),)
            raise
        first = named.setdefault(einsums[-1].name, i)
        if first != i:
            raise CascadeFileError(f"two Einsums are named {einsums[-1].name!r} (einsums[{first}] and einsums[{i}]); "
                                   "name one with a 'NAME: ...' label", where=f"{source}: einsums[{i}]")
    tensors = {}
    for name, decl in (data.get("tensors") or {}).items():
        decl = dict(decl)
        if "dims" in decl:
            decl["dims"] = tuple(decl["dims"])
        if isinstance(decl.get("init"), str):
            decl["init"] = _INFINITIES[decl["init"]]
        tensors[name] = decl
    try:
        return build_cascade(einsums, data["shapes"], data["name"], tensors, data.get("inputs"))
    except EinsumError as error:
        error.where = source if error.where is None else f"{source}: {error.where}"
        error.args = (error._format(),)
        raise


def load_cascade(path: str | Path) -> Cascade:
    """Read a cascade file (see the module docstring for the format).

    Parameters
    ----------
    path : str or pathlib.Path

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    CascadeFileError, EinsumError
        As :func:`loads_cascade`.
    """
    path = Path(path)
    try:
        text = read_text(path, path.name)
    except LoadError as error:
        raise CascadeFileError(error.problem, where=f"{path.name}, {error.where}" if error.where else path.name) from None
    return loads_cascade(text, source=path.name)


def dump_cascade(cascade: Cascade) -> str:
    """The cascade as YAML text that :func:`loads_cascade` reads back to an equal cascade.

    Raises
    ------
    TypeError
        When ``cascade`` is not a Cascade.
    """
    if not isinstance(cascade, Cascade):
        raise TypeError(f"dump_cascade needs a Cascade, not {cascade!r}")
    data: JsonObject = {"name": cascade.name, "shapes": dict(cascade.shapes), "inputs": list(cascade.inputs)}
    tensors: dict[str, JsonObject] = {}
    for tensor in cascade.tensor_list:
        decl: JsonObject = {}
        if tensor.declared:
            decl["dims"] = list(tensor.dims)
        if tensor.init != 0.0:
            decl["init"] = tensor.init
        if tensor.bits is not None:
            decl["bits"] = tensor.bits
        if tensor.weight:
            decl["weight"] = True
        if decl:
            tensors[tensor.name] = decl
    if tensors:
        data["tensors"] = tensors
    data["einsums"] = [str(einsum) for einsum in cascade.einsums]
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=120)
