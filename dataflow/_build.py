"""Validate Einsums against each other and build a :class:`Cascade` (the factory behind every loader)."""

from __future__ import annotations

from typing import Iterable, Mapping, NamedTuple

from ._cascade import Cascade
from ._einsum import Einsum
from ._errors import CycleError, EinsumError, ShapeError, UnknownNameError
from ._ir import AffineIndex, Rank, TensorAccess, check_bounds, check_ranks
from ._parser import parse_einsum, parse_lines
from ._tensor import Tensor, TensorDecl

__all__ = ["build_cascade", "parse_cascade"]


def _ranks(shapes: Mapping[str, int] | Iterable[Rank]) -> tuple[Rank, ...]:
    if isinstance(shapes, Mapping):
        items = [Rank(name, size) for name, size in shapes.items()]
    elif isinstance(shapes, (str, bytes)) or not isinstance(shapes, Iterable):
        raise TypeError(f"shapes must be a mapping of rank -> size or a sequence of Rank, not {shapes!r}")
    else:
        items = list(shapes)
        for item in items:
            if not isinstance(item, Rank):
                raise TypeError(f"shapes must hold Rank objects, not {item!r}")
    table: dict[str, Rank] = {}
    for rank in items:
        if rank.name in table and table[rank.name].size != rank.size:
            raise ShapeError(
                f"rank {rank.name!r} used with two different sizes, {table[rank.name].size} and {rank.size}",
                expected="one size per rank",
            )
        table[rank.name] = rank
    return tuple(table.values())


def _check_graph(einsums: tuple[Einsum, ...]) -> None:
    names: set[str] = set()
    producers: dict[str, Einsum] = {}
    for einsum in einsums:
        if einsum.name in names:
            raise EinsumError(f"two Einsums are named {einsum.name!r}", einsum=einsum.name, expected="unique names")
        names.add(einsum.name)
        tensor = einsum.output.tensor
        if tensor in producers:
            raise EinsumError(
                f"tensor {tensor!r} is already produced by Einsum {producers[tensor].name!r}",
                einsum=einsum.name,
                column=einsum.output.column,
                expected="one producer per tensor (write a recurrence inside one Einsum)",
                text=einsum.text,
            )
        producers[tensor] = einsum
    # Cycles first (a clearer message than an ordering error), by depth-first search.
    state: dict[str, int] = {}
    stack: list[Einsum] = []

    def visit(einsum: Einsum) -> None:
        state[einsum.name] = 1
        stack.append(einsum)
        for access in einsum.inputs:
            producer = producers.get(access.tensor)
            if producer is None or producer is einsum:
                continue
            if state.get(producer.name) == 1:
                cycle = stack[stack.index(producer):]
                path = " -> ".join(e.name for e in cycle) + f" -> {producer.name}"
                raise CycleError(
                    f"cycle in the cascade: {path} (reading {access.tensor!r})",
                    einsum=einsum.name,
                    column=access.column,
                    expected="an acyclic cascade; a recurrence must read its own output inside one Einsum",
                    text=einsum.text,
                )
            if producer.name not in state:
                visit(producer)
        stack.pop()
        state[einsum.name] = 2

    for einsum in einsums:
        if einsum.name not in state:
            visit(einsum)
    position = {einsum.name: i for i, einsum in enumerate(einsums)}
    for i, einsum in enumerate(einsums):
        for access in einsum.inputs:
            producer = producers.get(access.tensor)
            if producer is not None and position[producer.name] > i:
                raise EinsumError(
                    f"reads {access.tensor!r} before Einsum {producer.name!r} produces it",
                    einsum=einsum.name,
                    column=access.column,
                    expected="producers listed before their consumers",
                    text=einsum.text,
                )


def _declarations(
    tensors: Mapping[str, TensorDecl | Mapping] | None, known: dict, shapes: dict, einsums: tuple[Einsum, ...]
) -> dict[str, TensorDecl]:
    decls: dict[str, TensorDecl] = {}
    if tensors is not None and not isinstance(tensors, Mapping):
        raise TypeError(f"tensor declarations must be a mapping of name -> declaration, not {tensors!r}")
    for name, decl in (tensors or {}).items():
        if name not in known:
            raise UnknownNameError(
                f"declaration of unknown tensor {name!r}",
                where="tensors",
                expected=f"a tensor of the cascade: {', '.join(known)}",
            )
        if isinstance(decl, Mapping):
            unknown = set(decl) - {"dims", "init", "bits", "weight"}
            if unknown:
                raise UnknownNameError(
                    f"unknown key(s) {sorted(unknown)!r} in the declaration of {name!r}",
                    where=f"tensors.{name}",
                    expected="dims, init, bits, weight",
                )
            decl = TensorDecl(**decl)
        if not isinstance(decl, TensorDecl):
            raise TypeError(f"declaration of tensor {name!r} must be a TensorDecl or a mapping, not {decl!r}")
        for rank in decl.dims or ():
            if rank not in shapes:
                raise UnknownNameError(
                    f"unknown rank {rank!r} in the dims of tensor {name!r}",
                    where=f"tensors.{name}.dims",
                    expected=f"a rank of the cascade's shapes: {', '.join(sorted(shapes))}",
                )
        if decl.weight and any(e.output.tensor == name for e in einsums):
            raise EinsumError(
                f"tensor {name!r} is declared a weight but an Einsum produces it",
                where=f"tensors.{name}.weight",
                expected="weights among the cascade's inputs",
            )
        decls[name] = decl
    return decls


def _check_inputs(einsums: tuple[Einsum, ...], inputs: Iterable[str]) -> None:
    if isinstance(inputs, str):
        raise TypeError(f"inputs must be a sequence of tensor names, not the string {inputs!r}")
    listed = list(inputs)
    produced = {e.output.tensor: e for e in einsums}
    read = dict.fromkeys(a.tensor for e in einsums for a in e.accesses)
    for name in listed:
        if name in produced:
            raise EinsumError(
                f"input {name!r} is produced by Einsum {produced[name].name!r}",
                where="inputs",
                expected="only tensors no Einsum writes",
            )
        if name not in read:
            raise UnknownNameError(
                f"input {name!r} is read by no Einsum", where="inputs", expected=f"tensors read: {', '.join(read)}"
            )
    for einsum in einsums:
        for access in einsum.accesses:
            if access.tensor not in produced and access.tensor not in listed:
                raise UnknownNameError(
                    f"unknown tensor {access.tensor!r}: no Einsum produces it and it is not an input",
                    einsum=einsum.name,
                    column=access.column,
                    expected=f"an input ({', '.join(listed) or 'none listed'}) or a produced tensor",
                    text=einsum.text,
                )


class _Use(NamedTuple):
    """One access of a tensor: where it is, and whether it writes."""

    einsum: Einsum
    access: TensorAccess
    writes: bool


def _dimension(name: str, axis: int, uses: list[_Use], decl: TensorDecl | None, shapes: dict) -> tuple[int, str | None, str]:
    """Size of one dimension, the rank that fixes it (if one does), and its label."""
    if decl is not None and decl.dims is not None:
        rank = decl.dims[axis]
        return shapes[rank], rank, rank
    writers = [use for use in uses if use.writes]
    if writers:
        return _from_index(writers[0].access.indices[axis], writers[0].einsum, name, axis, shapes)
    plain = [use.access.indices[axis].plain_rank for use in uses if use.access.indices[axis].plain_rank]
    if plain:
        return shapes[plain[0]], plain[0], plain[0]
    for use in uses:  # only affine reads: the largest index fixes the size
        index = use.access.indices[axis]
        if index.bounds(shapes)[0] < 0:
            check_bounds(index, 1, shapes, _where(use.einsum, name, axis))
    size = max(use.access.indices[axis].bounds(shapes)[1] for use in uses) + 1
    return size, None, str(uses[0].access.indices[axis])


def _tensors(einsums: tuple[Einsum, ...], shapes: dict[str, int], decls: dict[str, TensorDecl]) -> tuple[Tensor, ...]:
    table: dict[str, list[_Use]] = {}
    for einsum in einsums:
        for access in einsum.accesses:
            table.setdefault(access.tensor, []).append(_Use(einsum, access, False))
        table.setdefault(einsum.output.tensor, []).append(_Use(einsum, einsum.output, True))
    tensors = []
    for name, uses in table.items():
        decl = decls.get(name)
        declared = decl is not None and decl.dims is not None
        ndim = len(decl.dims) if declared else len(uses[0].access.indices)
        for use in uses:
            if len(use.access.indices) != ndim:
                source = "its declaration" if declared else f"Einsum {uses[0].einsum.name!r}"
                raise ShapeError(
                    f"tensor {name!r} has {len(use.access.indices)} indices here but {ndim} in {source}",
                    einsum=use.einsum.name,
                    column=use.access.column,
                    expected=f"{ndim} indices",
                    text=use.einsum.text,
                )
        sizes, ranks, labels = zip(*(_dimension(name, axis, uses, decl, shapes) for axis in range(ndim))) if ndim else ((), (), ())
        for use in uses:
            for axis, index in enumerate(use.access.indices):
                _check_access(index, sizes[axis], ranks[axis], shapes, _where(use.einsum, name, axis))
        tensors.append(
            Tensor(
                name,
                tuple(labels),
                tuple(sizes),
                init=decl.init if decl is not None else 0.0,
                bits=decl.bits if decl is not None else None,
                declared=declared,
                weight=decl is not None and decl.weight,
            )
        )
    return tuple(tensors)


def _where(einsum: Einsum, tensor: str, axis: int) -> dict:
    return {"einsum": einsum.name, "text": einsum.text, "tensor": tensor, "axis": axis}


def _from_index(index: AffineIndex, einsum: Einsum, tensor: str, axis: int, shapes: dict) -> tuple[int, str | None, str]:
    rank = index.plain_rank
    if rank is not None:
        return shapes[rank], rank, rank
    low, high = index.bounds(shapes)
    if low < 0:
        check_bounds(index, high + 1, shapes, _where(einsum, tensor, axis))
    return high + 1, None, str(index)


def _check_access(index: AffineIndex, size: int, rank: str | None, shapes: dict, where: dict) -> None:
    plain = index.plain_rank
    if plain is not None and rank is not None and shapes[plain] != size:
        raise ShapeError(
            f"rank {plain!r} (size {shapes[plain]}) indexes dimension {where['axis']} of tensor "
            f"{where['tensor']!r}, which rank {rank!r} sizes {size}: a rank used with two different sizes",
            einsum=where["einsum"],
            column=index.column,
            expected=f"a rank of size {size}",
            text=where["text"],
        )
    check_bounds(index, size, shapes, where)


def build_cascade(
    einsums: Iterable[Einsum],
    shapes: Mapping[str, int] | Iterable[Rank],
    name: str = "cascade",
    tensors: Mapping[str, TensorDecl | Mapping] | None = None,
    inputs: Iterable[str] | None = None,
) -> Cascade:
    """Validate ``einsums`` against each other and the rank sizes and build a :class:`Cascade`.

    Each tensor's shape comes from its declaration, else from its producer's
    output indices, else from the ranks (or, failing those, the largest affine
    index) its readers use; every access is then checked against it.

    Parameters
    ----------
    einsums : iterable of Einsum
        In execution order (producers first).
    shapes : mapping of str to int, or iterable of Rank
        Size of every rank.
    name : str
        Name of the cascade.
    tensors : mapping of str to TensorDecl (or to a dict with dims/init/bits/weight), optional
        Tensor declarations.
    inputs : iterable of str, optional
        The cascade's input tensors.  When given, a tensor that is read but
        neither produced nor listed is an unknown tensor (a typo, usually).

    Raises
    ------
    UnknownNameError
        For a rank missing from ``shapes``, a declaration of an unknown tensor,
        or (with ``inputs``) a read of an unknown tensor.
    ShapeError
        For a rank used with two sizes, an index out of bounds, or a wrong number of indices.
    CycleError
        For a cycle in the dependency graph.
    EinsumError
        For duplicate names, two producers of one tensor, or a consumer listed before its producer.
    TypeError
        For arguments of the wrong type.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"cascade name must be a non-empty string, not {name!r}")
    einsums = tuple(einsums)
    for einsum in einsums:
        if not isinstance(einsum, Einsum):
            raise TypeError(f"cascade {name!r}: expected Einsum objects, not {einsum!r}")
    if not einsums:
        raise EinsumError(f"cascade {name!r} has no Einsums", expected="at least one Einsum")
    ranks = _ranks(shapes)
    size_of = {rank.name: rank.size for rank in ranks}
    for einsum in einsums:
        check_ranks(size_of, einsum.name, einsum.text, (einsum.output,) + einsum.accesses)
    _check_graph(einsums)
    if inputs is not None:
        _check_inputs(einsums, inputs)
    known = dict.fromkeys(a.tensor for e in einsums for a in e.accesses + (e.output,))
    decls = _declarations(tensors, known, size_of, einsums)
    return Cascade(name, einsums, ranks, _tensors(einsums, size_of, decls))


def parse_cascade(
    lines_or_text: str | Iterable[str],
    shapes: Mapping[str, int] | Iterable[Rank],
    name: str = "cascade",
    tensors: Mapping[str, TensorDecl | Mapping] | None = None,
    inputs: Iterable[str] | None = None,
) -> Cascade:
    """Parse a cascade from text (one Einsum per line) or a sequence of Einsum strings.

    Parameters
    ----------
    lines_or_text : str or iterable of str
        The Einsums; blank lines and ``#`` comments are skipped.
    shapes : mapping of str to int, or iterable of Rank
        Size of every rank.
    name : str
        Name of the cascade.
    tensors : mapping, optional
        Tensor declarations (see :class:`TensorDecl`).
    inputs : iterable of str, optional
        The input tensors; when given, reading any other unproduced tensor is an error.

    Raises
    ------
    EinsumError
        Any of the errors of :func:`parse_einsum` and :func:`build_cascade`.
    TypeError
        For arguments of the wrong type.
    """
    if isinstance(lines_or_text, str):
        einsums = parse_lines(lines_or_text)
    else:
        einsums = []
        for number, line in enumerate(lines_or_text, start=1):
            if not isinstance(line, str):
                raise TypeError(f"cascade {name!r}: Einsum {number} must be a string, not {line!r}")
            if line.strip() and not line.strip().startswith("#"):
                einsums.append(parse_einsum(line, line=number))
    return build_cascade(einsums, shapes, name, tensors, inputs)
