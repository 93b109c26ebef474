"""Shared pieces of the CLI: the root group, exit codes and error reporting."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import ParamSpec, TypeVar

import click

from accel.errors import (  # noqa: F401 - re-exported for the commands
    EXIT_BAD_INPUT,
    EXIT_INFEASIBLE,
    EXIT_INTERNAL,
    EXIT_OK,
    BadInputError,
    InfeasibleError,
)


#: Exit status of an interrupted command (128 + SIGINT).
EXIT_INTERRUPTED = 130


def exit_code_of(exc: BaseException) -> int | None:
    """The exit status an exception means, chosen by its class; ``None`` for a bug (exit 1 with a traceback).

    Our errors (:mod:`accel.errors`) carry their status. A file that cannot be opened (missing, a folder, no
    permission, a name the OS refuses) is bad input too: the OS names the file. Anything else -- a bare
    ``ValueError``, ``KeyError`` or ``TypeError`` included -- is a bug in our code.
    """
    if isinstance(exc, InfeasibleError):
        return EXIT_INFEASIBLE
    if isinstance(exc, BadInputError):
        return EXIT_BAD_INPUT
    if isinstance(exc, (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)):
        return EXIT_BAD_INPUT
    if isinstance(exc, OSError) and exc.filename is not None and exc.errno is not None:
        return EXIT_BAD_INPUT  # a file name too long, a loop of links, ...: the message names the file
    code = getattr(exc, "exit_code", None)
    if isinstance(code, int) and not isinstance(code, bool):
        return code
    return None


def _debug() -> bool:
    """Whether the root group was given ``--debug`` (or ``ACCEL_DEBUG=1`` is set)."""
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx is not None else None
    return bool(root is not None and root.params.get("debug")) or os.environ.get("ACCEL_DEBUG", "") not in ("", "0")


#: Exit status when stdout's reader closed the pipe (128 + SIGPIPE, as a shell reports a tool killed by it).
EXIT_BROKEN_PIPE = 141


_P = ParamSpec("_P")
_R = TypeVar("_R")


def report_errors(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Turn library exceptions into a one-paragraph message and a stable exit code (see :func:`exit_code_of`).

    Anything that is not one of ours is a bug: exit 1 with a one-line message, and the traceback re-raised
    under ``accel --debug``. Ctrl-C exits 130 without a traceback.
    """

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return func(*args, **kwargs)
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except KeyboardInterrupt:
            if _debug():
                raise
            click.echo("\ninterrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            # the reader of stdout went away (`accel ... | head`): stop quietly, as Unix tools do on SIGPIPE
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(EXIT_BROKEN_PIPE)
        except Exception as exc:  # noqa: BLE001 - classified below
            code = exit_code_of(exc)
            if code is None:
                if _debug():
                    raise
                click.echo(f"internal error: {type(exc).__name__}: {_shorten(str(exc))}\n"
                           "this is a bug in accel; run again with `accel --debug ...` for the traceback and report it",
                           err=True)
                sys.exit(EXIT_INTERNAL)
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            click.echo(f"error: {message}", err=True)
            sys.exit(code)

    return wrapper


def _shorten(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else text[:limit] + " ..."


def echo_json(obj: object) -> None:
    """Print ``obj`` as stable, sorted JSON (what is not JSON data is written as its ``str``)."""
    click.echo(json.dumps(obj, indent=2, sort_keys=True, default=str))


json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON instead of tables.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="accel")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error (exit 1) instead of a one-line message.")
def main_group(debug: bool) -> None:
    """accel: accelerator design-space exploration, from Einsum cascades to verified RTL."""


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], right: Iterable[int] = ()) -> list[str]:
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


def table_text(headers: Sequence[str], rows: Sequence[Sequence[object]], right: Iterable[int] = ()) -> str:
    """:func:`table` joined into one string."""
    return "\n".join(table(headers, rows, right))
