"""Shared pieces of the CLI: the root group, exit codes and error reporting."""

from __future__ import annotations

import functools
import json
import sys
from typing import Any, Callable

import click

from accel.errors import (  # noqa: F401 - re-exported for the commands
    EXIT_BAD_INPUT,
    EXIT_INFEASIBLE,
    EXIT_INTERNAL,
    EXIT_OK,
    BadInputError,
    InfeasibleError,
)


def exit_code_of(exc: BaseException) -> int | None:
    """The exit status an exception means, chosen by its class; ``None`` for a bug (exit 1 with a traceback).

    Our errors (:mod:`accel.errors`) carry their status. A file that cannot be read (missing, a folder, not
    text) is bad input too: the OS or the decoder names the file.
    """
    if isinstance(exc, InfeasibleError):
        return EXIT_INFEASIBLE
    if isinstance(exc, BadInputError):
        return EXIT_BAD_INPUT
    if isinstance(exc, (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)):
        return EXIT_BAD_INPUT
    code = getattr(exc, "exit_code", None)
    if isinstance(code, int):
        return code
    if isinstance(exc, (ValueError, KeyError)):  # library checks not yet moved onto the two families
        return EXIT_BAD_INPUT
    return None


def report_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library exceptions into a one-paragraph message and a stable exit code (see :func:`exit_code_of`).

    Anything that is not one of ours is a bug (exit 1) and is re-raised so its traceback is visible.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except Exception as exc:  # noqa: BLE001 - classified below
            code = exit_code_of(exc)
            if code is None:
                raise
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            click.echo(f"error: {message}", err=True)
            sys.exit(code)

    return wrapper


def echo_json(obj: Any) -> None:
    """Print ``obj`` as stable, sorted JSON."""
    click.echo(json.dumps(obj, indent=2, sort_keys=True, default=str))


json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON instead of tables.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="accel")
def main_group() -> None:
    """accel: accelerator design-space exploration, from Einsum cascades to verified RTL."""


def table(headers: list[str], rows: list[list[Any]], right: Any = ()) -> list[str]:
    """Lines of a plain-text table: a header, a rule and the rows.

    Cells are printed with ``str``; columns whose index is in ``right`` are right-aligned
    (numbers), the others left-aligned.  Trailing blanks are stripped.
    """
    cells = [[str(c) for c in r] for r in rows]
    right = set(right)
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]

    def line(row: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    return [line(list(headers)), line(["-" * w for w in widths]), *(line(r) for r in cells)]


def number(x: float) -> str:
    """A count or energy for a table: thousands separators from 100 up, 4 significant digits below."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.4g}"


def table_text(headers: list[str], rows: list[list[Any]], right: Any = ()) -> str:
    """:func:`table` joined into one string."""
    return "\n".join(table(headers, rows, right))
