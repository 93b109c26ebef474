"""Exit codes chosen by class: our two families, files the OS refuses, and everything else as a bug (exit 1)."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from accel.cli._common import exit_code_of, report_errors
from accel.errors import BadInputError, InfeasibleError


@pytest.mark.parametrize(("exc", "code"), [
    (BadInputError("x"), 2),
    (InfeasibleError("x"), 3),
    (FileNotFoundError(2, "No such file or directory", "f.yaml"), 2),
    (IsADirectoryError(21, "Is a directory", "d"), 2),
    (OSError(36, "File name too long", "x" * 300), 2),
    (ValueError("x"), None),
    (KeyError("x"), None),
    (TypeError("x"), None),
    (OverflowError("x"), None),
    (RecursionError("x"), None),
])
def test_exit_code_by_class(exc, code):
    assert exit_code_of(exc) == code


def _group(exc: BaseException) -> click.Group:
    @click.group()
    @click.option("--debug", is_flag=True)
    def root(debug: bool) -> None:
        pass

    @root.command()
    @report_errors
    def boom() -> None:
        raise exc

    return root


def test_a_bare_value_error_is_a_bug_with_one_line_and_the_traceback_under_debug():
    result = CliRunner().invoke(_group(ValueError("lost in the cost model")), ["boom"])
    assert result.exit_code == 1
    assert "internal error: ValueError: lost in the cost model" in result.stderr
    assert "accel --debug" in result.stderr and "Traceback" not in result.output
    debug = CliRunner().invoke(_group(ValueError("lost in the cost model")), ["--debug", "boom"])
    assert debug.exit_code == 1 and isinstance(debug.exception, ValueError)


def test_bad_input_exits_2_and_ctrl_c_130():
    bad = CliRunner().invoke(_group(BadInputError("f.yaml, line 3: no")), ["boom"])
    assert bad.exit_code == 2 and bad.stderr == "error: f.yaml, line 3: no\n"
    interrupted = CliRunner().invoke(_group(KeyboardInterrupt()), ["boom"])
    assert interrupted.exit_code == 130 and "Traceback" not in interrupted.output


def test_the_root_group_has_debug():
    from accel.cli import main

    assert "--debug" in CliRunner().invoke(main, ["--help"]).output
