"""The ``accel`` command line.

A thin layer: every command parses its arguments, calls the public API of
``dataflow``, ``accel``, ``mapping``, ``memory``, ``sim`` or ``rtl`` and prints a
table (or ``--json``).  Nothing in those packages imports this module.

Command groups are registered explicitly below, one module per group.

Exit codes scripts can rely on:

* 0 -- success
* 1 -- an unexpected internal failure (a bug: please report it; ``accel --debug ...`` shows its traceback)
* 2 -- bad input: a malformed file, an unknown name, an invalid option
* 3 -- the request is well formed but infeasible (does not fit, solver found nothing)
* 130 -- interrupted (Ctrl-C); a sweep keeps every result it stored (`accel sweep resume`)
"""

from __future__ import annotations

from ._common import main_group as main
from . import workload as _workload
from . import arch as _arch
from . import rtl as _rtl
from . import demo as _demo
from . import map as _map
from . import schedule as _schedule
from . import sweep as _sweep
from . import calibrate as _calibrate
from . import study as _study
from . import simulate as _simulate
from . import evaluate as _evaluate

main.add_command(_workload.group)
main.add_command(_arch.group)
main.add_command(_rtl.group)
main.add_command(_demo.command)
main.add_command(_map.command)
main.add_command(_schedule.command)
main.add_command(_sweep.group)
main.add_command(_calibrate.command)
main.add_command(_study.group)
main.add_command(_simulate.command)
main.add_command(_evaluate.command)

__all__ = ["main"]
