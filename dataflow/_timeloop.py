"""Timeloop v4 problem files (``problem: {version: 0.4, instance, shape}``) as a one-Einsum cascade.

A Timeloop problem is one Einsum: its ``shape.dimensions`` are the ranks
(lower-cased: ``C`` -> ``c``), ``instance`` gives their sizes and the
coefficients' values, and each of ``shape.data_spaces`` is a tensor indexed
by its ``projection``: one entry per tensor dimension, a sum of terms
``[rank]`` or ``[rank, coefficient]``.  The data space marked
``read_write: true`` is the output, the sum over the product of the others::

    Outputs[n,m,q,p] = Inputs[n,c,r+p*2,s+q*2] * Weights[c,m,r,s]

(the default problem of Timeloop's exercises: a 3x3, stride-2 convolution).
The instance keys ``H``, ``W``, ``Hpad``, ``Wpad`` those problems carry are
read past: the projections give the input's extent.
Inputs that are no other Einsum's output are the cascade's inputs, and every
input but the first (Timeloop's ``Weights`` by convention: the data space no
output rank of the batch indexes) is declared a weight when its name says so.

The file is read with :func:`accel.arch.load_yaml` (no duplicate keys) and
checked: unknown keys, a dimension without a size, a term naming an unknown
rank or coefficient, not exactly one output data space, all raise
:class:`CascadeFileError` naming the place (``problem.shape.data_spaces[1].projection[2]``).
"""

from __future__ import annotations

import os
from accel.arch import LoadError, YamlValue, load_yaml, read_text

from ._build import parse_cascade
from ._cascade import Cascade
from ._errors import CascadeFileError, EinsumError

__all__ = ["load_timeloop_problem", "loads_timeloop_problem"]

_PROBLEM = ("version", "instance", "shape")
_SHAPE = ("name", "dimensions", "coefficients", "data_spaces")
_SPACE = ("name", "projection", "read_write")
#: instance keys Timeloop's exercises give for the reader (input height, width, padding): the projections
#: determine the input's extent, so they are read past, as Timeloop reads past them
_INPUT_SIZES = ("H", "W", "Hpad", "Wpad")


def _fail(where: str, problem: str) -> CascadeFileError:
    return CascadeFileError(problem, where=where)


def load_timeloop_problem(path: str | os.PathLike[str]) -> Cascade:
    """:func:`loads_timeloop_problem` of the file at ``path`` (messages name the file)."""
    source = os.fspath(path)
    return loads_timeloop_problem(read_text(path, source), source)


def loads_timeloop_problem(text: str, source: str = "<string>") -> Cascade:
    """The cascade of a Timeloop v4 problem's YAML text (see the module docstring).

    Raises
    ------
    CascadeFileError
        For malformed YAML or a problem that is not one Einsum as described, naming the place.
    """
    try:
        data = load_yaml(text, source)
    except LoadError as exc:
        raise _fail(source, str(exc.problem) + (f" ({exc.where})" if exc.where else "")) from None
    try:
        return _build(data, source)
    except CascadeFileError as exc:
        raise CascadeFileError(exc.problem, where=f"{source}: {exc.where}" if exc.where else source) from None
    except EinsumError as exc:  # the Einsum the projections spell out does not build (sizes out of bounds, ...)
        raise CascadeFileError(f"the problem's Einsum is not valid: {exc}", where=source) from None


def _build(data: YamlValue, source: str) -> Cascade:
    if not isinstance(data, dict) or "problem" not in data:
        raise _fail("problem", "a Timeloop problem file has a top-level 'problem' key")
    extra = [k for k in data if k not in ("problem", "variables")]
    if extra:
        raise _fail(str(extra[0]), "unknown key; a Timeloop problem file has problem (and variables)")
    problem = data["problem"]
    if not isinstance(problem, dict):
        raise _fail("problem", f"a mapping with version, instance, shape, not {problem!r}")
    for key in problem:
        if key not in _PROBLEM:
            raise _fail(f"problem.{key}", f"unknown key; expected one of {', '.join(_PROBLEM)}")
    version = problem.get("version", 0.4)
    if str(version) not in ("0.4", "0.4.0"):
        raise _fail("problem.version", f"Timeloop v4 problems are version 0.4, not {version!r}")
    shape, instance = problem.get("shape"), problem.get("instance")
    if not isinstance(shape, dict):
        raise _fail("problem.shape", f"a mapping with dimensions and data_spaces, not {shape!r}")
    if not isinstance(instance, dict):
        raise _fail("problem.instance", f"a mapping of dimension and coefficient -> value, not {instance!r}")
    for key in shape:
        if key not in _SHAPE:
            raise _fail(f"problem.shape.{key}", f"unknown key; expected one of {', '.join(_SHAPE)}")
    dims = shape.get("dimensions")
    if not isinstance(dims, list) or not dims or not all(isinstance(d, str) and d.isidentifier() for d in dims):
        raise _fail("problem.shape.dimensions", f"a non-empty list of dimension names, not {dims!r}")
    if len({d.lower() for d in dims}) != len(dims):
        raise _fail("problem.shape.dimensions", f"dimension names must differ ignoring case: {dims!r}")
    coefficients: dict[str, int] = {}
    for i, c in enumerate(shape.get("coefficients") or []):
        where = f"problem.shape.coefficients[{i}]"
        if not isinstance(c, dict) or set(c) - {"name", "default"} or "name" not in c:
            raise _fail(where, f"a mapping with name and default, not {c!r}")
        coefficients[c["name"]] = c.get("default", 1)
    sizes: dict[str, int] = {}
    for key, value in instance.items():
        where = f"problem.instance.{key}"
        if key in dims:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise _fail(where, f"a dimension's size is a positive integer, not {value!r}")
            sizes[key.lower()] = value
        elif key in coefficients:
            coefficients[key] = value
        elif key in _INPUT_SIZES:
            continue  # the input's height, width and padding: the projections already give its shape, as for Timeloop
        else:
            raise _fail(where, f"neither a dimension ({', '.join(dims)}) nor a coefficient "
                               f"({', '.join(coefficients) or 'none'}) of the problem")
    missing = [d for d in dims if d.lower() not in sizes]
    if missing:
        raise _fail("problem.instance", f"no size for dimension(s) {', '.join(missing)}")
    for name, value in coefficients.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _fail(f"problem.instance.{name}", f"a coefficient is a non-negative integer, not {value!r}")
    spaces = shape.get("data_spaces")
    if not isinstance(spaces, list) or len(spaces) < 2:
        raise _fail("problem.shape.data_spaces", f"a list of at least two data spaces, not {spaces!r}")
    accesses, outputs = [], []
    for i, space in enumerate(spaces):
        where = f"problem.shape.data_spaces[{i}]"
        if not isinstance(space, dict):
            raise _fail(where, f"a mapping with name and projection, not {space!r}")
        for key in space:
            if key not in _SPACE:
                raise _fail(f"{where}.{key}", f"unknown key; expected one of {', '.join(_SPACE)}")
        name = space.get("name")
        if not isinstance(name, str) or not name.isidentifier():
            raise _fail(f"{where}.name", f"a tensor name (an identifier), not {name!r}")
        projection = space.get("projection")
        if not isinstance(projection, list) or not projection:
            raise _fail(f"{where}.projection", f"a list with one entry per tensor dimension, not {projection!r}")
        indices = [_index(entry, f"{where}.projection[{j}]", dims, coefficients) for j, entry in enumerate(projection)]
        text = f"{name}[{','.join(indices)}]"
        (outputs if space.get("read_write") else accesses).append(text)
    if len(outputs) != 1:
        raise _fail("problem.shape.data_spaces", f"exactly one data space is read_write (the output), not {len(outputs)}")
    name = shape.get("name") or "timeloop_problem"
    if not isinstance(name, str) or not name.isidentifier():
        raise _fail("problem.shape.name", f"an identifier, not {name!r}")
    line = f"{outputs[0]} = {' * '.join(accesses)}"
    weights = {a.split('[')[0]: {"weight": True} for a in accesses if a.split("[")[0].lower().startswith("weight")}
    return parse_cascade([line], sizes, name=name, tensors=weights or None)


def _index(entry: YamlValue, where: str, dims: list[str], coefficients: dict[str, int]) -> str:
    if not isinstance(entry, list) or not entry:
        raise _fail(where, f"a list of terms ([rank] or [rank, coefficient]), not {entry!r}")
    terms = []
    for k, term in enumerate(entry):
        at = f"{where}[{k}]"
        if not isinstance(term, list) or not 1 <= len(term) <= 2:
            raise _fail(at, f"a term is [rank] or [rank, coefficient], not {term!r}")
        rank = term[0]
        if rank not in dims:
            raise _fail(at, f"unknown dimension {rank!r}; dimensions: {', '.join(dims)}")
        scale = 1
        if len(term) == 2:
            if term[1] not in coefficients:
                raise _fail(at, f"unknown coefficient {term[1]!r}; coefficients: {', '.join(coefficients) or 'none'}")
            scale = coefficients[term[1]]
        if scale == 0:
            continue
        terms.append(rank.lower() if scale == 1 else f"{rank.lower()}*{scale}")
    if not terms:
        raise _fail(where, "every term's coefficient is 0: the index is a constant, which a projection cannot be")
    return "+".join(terms)
