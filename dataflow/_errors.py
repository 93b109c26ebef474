"""Errors raised for bad workload input.

Every error is a :class:`ValueError` subclass that says where the problem is
(the Einsum, and the 1-based column of the offending token in its text), what
was found, and what was expected.
"""

from __future__ import annotations

from accel.errors import BadInputError

__all__ = [
    "EinsumError",
    "EinsumSyntaxError",
    "UnknownNameError",
    "ShapeError",
    "CycleError",
    "CascadeFileError",
]


class EinsumError(BadInputError):
    """Bad workload input.

    Parameters
    ----------
    problem : str
        What is wrong, quoting the bad value.
    einsum : str, optional
        Name of the Einsum (or ``"line N"`` when the name could not be read).
    column : int, optional
        1-based column of the offending token in the Einsum's text.
    expected : str, optional
        What was expected instead.
    text : str, optional
        The Einsum's text; when given with ``column`` the message shows a caret.
    where : str, optional
        Location used instead of the Einsum (e.g. ``"gemm.yaml: shapes.m"``).
    """

    def __init__(
        self,
        problem: str,
        *,
        einsum: str | None = None,
        column: int | None = None,
        expected: str | None = None,
        text: str | None = None,
        where: str | None = None,
    ) -> None:
        self.problem = problem
        self.einsum = einsum
        self.column = column
        self.expected = expected
        self.text = text
        self.where = where
        super().__init__(self._format())

    def _format(self) -> str:
        parts = []
        if self.where is not None:
            parts.append(self.where)
        if self.einsum is not None:
            parts.append(f"Einsum {self.einsum!r}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        location = ", ".join(parts)
        message = f"{location}: {self.problem}" if location else self.problem
        if self.expected is not None:
            message += f" (expected {self.expected})"
        if self.text is not None and self.column is not None:
            message += f"\n    {self.text}\n    {' ' * (self.column - 1)}^"
        return message

    def __reduce__(self):  # keep the exception picklable (pytest-xdist, multiprocessing)
        return (_rebuild, (type(self), self.problem, self.einsum, self.column, self.expected, self.text, self.where))


def _rebuild(cls, problem, einsum, column, expected, text, where):  # pragma: no cover - pickling helper
    return cls(problem, einsum=einsum, column=column, expected=expected, text=text, where=where)


class EinsumSyntaxError(EinsumError):
    """A malformed Einsum line or an unknown operator."""


class UnknownNameError(EinsumError):
    """An unknown tensor, rank, Einsum or library workload."""


class ShapeError(EinsumError):
    """Inconsistent sizes: a rank with two sizes, an index out of bounds, a wrong number of dimensions."""


class CycleError(EinsumError):
    """A cycle in the cascade's dependency graph (or an Einsum that reads what it writes)."""


class CascadeFileError(EinsumError):
    """A cascade file (YAML) whose structure is wrong: unknown keys, wrong types."""
