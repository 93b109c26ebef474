"""Shared pieces of the CLI: the root group, exit codes and error reporting."""

from __future__ import annotations

import functools
import json
import sys
from typing import Any, Callable

import click

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3


class InfeasibleError(Exception):
    """Raised by library code when a well-formed request has no feasible answer.

    Library packages define their own subclasses; the CLI maps any exception
    carrying ``exit_code = 3`` to that exit status.
    """

    exit_code = EXIT_INFEASIBLE


def report_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library exceptions into a one-paragraph message and a stable exit code.

    ``ValueError`` (and its subclasses, which every package uses for bad input),
    ``FileNotFoundError`` and ``KeyError`` are bad input (exit 2); an exception
    with ``exit_code`` set uses that code.  Anything else is a bug (exit 1) and
    is re-raised so its traceback is visible.
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
            code = getattr(exc, "exit_code", None)
            if code is None and isinstance(exc, (ValueError, FileNotFoundError, KeyError, IsADirectoryError)):
                code = EXIT_BAD_INPUT
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
