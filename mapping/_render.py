"""A mapping printed as a Timeloop-style loop nest."""

from __future__ import annotations

from collections.abc import Mapping as MappingABC, Sequence

from ._mapping import Mapping

__all__ = ["render_loop_nest"]


def render_loop_nest(mapping: Mapping, holds: MappingABC[str, Sequence[str]] | None = None) -> str:
    """The loop nest of ``mapping``, outermost level first.

    Each storage level starts a block (with the tensors it keeps when
    ``holds`` is given); loops with factor 1 are left out; the array's
    ``spatial_for`` loops sit between the innermost shared level and the
    per-PE register file.

    Parameters
    ----------
    mapping : Mapping
    holds : mapping of str to sequence of str, optional
        Level name -> tensors kept there.

    Raises
    ------
    TypeError
        If ``mapping`` is not a :class:`Mapping`.
    """
    if not isinstance(mapping, Mapping):
        raise TypeError(f"render_loop_nest takes a mapping.Mapping, not {mapping!r}")
    lines: list[str] = []
    depth = 0
    n = len(mapping.levels)
    for i in range(n - 1, -1, -1):
        level = mapping.levels[i]
        kept = "" if holds is None else f" [{' '.join(holds.get(level, ())) or '-'}]"
        lines.append(f"{level}{' (per PE)' if i == 0 else ''}{kept}")
        if i == 0:
            for axis, factors in (("rows", mapping.spatial_rows), ("cols", mapping.spatial_cols)):
                for rank, f in zip(mapping.ranks, factors):
                    if f > 1:
                        lines.append(f"|{'  ' * depth} spatial_for {rank} in [0:{f}) ({axis})")
                        depth += 1
        row = dict(zip(mapping.ranks, mapping.temporal[i]))
        for rank in mapping.orders[i]:
            if row[rank] > 1:
                lines.append(f"|{'  ' * depth} for {rank} in [0:{row[rank]})")
                depth += 1
    lines.append(f"|{'  ' * depth} {'op' if mapping.unit == 'vector' else 'mac'}")
    return "\n".join(lines)
