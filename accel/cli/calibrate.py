"""`accel calibrate`: predicted against measured GPU kernel times, per row and in summary."""

from __future__ import annotations

import datetime
from typing import Any

import click

from ._common import echo_json, json_option, report_errors, table_text


def _row_dict(r: Any) -> dict[str, Any]:
    m = r.measurement
    return {
        "model": r.prediction.model, "file": m.source, "row": m.row, "kind": m.kind, "params": dict(m.params),
        "measured_ms": m.ms, "predicted_ms": r.prediction.seconds * 1e3, "rel_error": r.rel_error,
        "split": r.split, "goal": r.goal, "device": r.device, "plan": r.prediction.plan.description,
        "cycles_by_cause": dict(r.prediction.report.cycles_by_cause),
    }


def _summary_dict(s: Any) -> dict[str, Any]:
    return {"model": s.model, "device": s.device, "split": s.split, "scope": s.scope, "rows": s.count,
            "median_abs_rel_error": s.median_abs, "max_abs_rel_error": s.max_abs, "worst": s.worst}


@click.command(name="calibrate")
@click.argument("measurements", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--arch", "arch_name", default=None,
              help="GPU architecture for every file: 'h100', 'h200' (accel/examples/*.yaml) or a path to a spec "
                   "(default: each file's own device).")
@click.option("--model", "model", type=click.Choice(["analytical", "simpy", "both"]), default="both", show_default=True,
              help="Closed-form model, SimPy event model, or both.")
@click.option("--knobs", "knobs_path", type=click.Path(dir_okay=False), default=None,
              help="Knobs file (default: accel/calibrate/h100_knobs.json, fitted on H100 rows only; "
                   "accel/calibrate/h100_h200_knobs.json is the joint fit).")
@click.option("--fit", "do_fit", is_flag=True, help="Refit the knobs on the calibration rows before comparing.")
@click.option("--joint", is_flag=True,
              help="With --fit: fit on the H100 calibration rows and the rows of other GPUs with the same shapes.")
@click.option("--calibration-file", default=None,
              help="File name whose rows are the calibration set when fitting (default: the shared reference).")
@click.option("--save", "save_path", type=click.Path(dir_okay=False), default=None,
              help="With --fit: write the fitted knobs to this file.")
@click.option("--summary-only", is_flag=True, help="Print only the summary table.")
@json_option
@report_errors
def command(measurements: tuple[str, ...], arch_name: str | None, model: str, knobs_path: str | None, do_fit: bool,
            joint: bool, calibration_file: str | None, save_path: str | None, summary_only: bool, as_json: bool) -> None:
    """Compare predicted GPU kernel times with MEASUREMENTS files (JSON, as benchmarks/gpu/measure.py writes).

    Without files: the shared reference (../shared/reference/h100_calibration.json),
    benchmarks/gpu/h100_measured.json and benchmarks/gpu/h200_measured.json.  Each
    file is predicted on the GPU its 'device' names (an unknown device is an
    error unless --arch is given).  Prints every row's measured and predicted
    time and relative error, marking calibration rows (fitted on), repeats (a
    fitted shape measured again on the same GPU) and held-out rows (never used
    in the fit), then the median and max absolute relative error per device and
    model, over all rows and over the goal rows (GEMM m x 4096 x 4096, attention
    512 to 32K tokens).  --fit fits on H100 rows only (the shared reference and
    a few rows of our H100 file); --joint adds the other GPUs' rows of the same
    shapes.
    """
    from accel.calibrate import (REFERENCE_FILE, compare, default_measurement_files, fit_knobs, gpus_of, load_gpu,
                                 load_knobs, load_measurements, save_knobs, select_calibration)

    if save_path and not do_fit:
        raise click.UsageError("--save writes fitted knobs; give --fit too")
    if joint and not do_fit:
        raise click.UsageError("--joint chooses the rows of a fit; give --fit too")
    paths = list(measurements) or [str(p) for p in default_measurement_files()]
    sets = [load_measurements(p) for p in paths]
    gpu = load_gpu(arch_name) if arch_name else None
    gpus = gpus_of(sets, gpu)
    if do_fit:  # a fit starts from fixed guesses: no knobs file is read
        rows = select_calibration(sets, reference=calibration_file or REFERENCE_FILE, joint=joint)
        knobs = fit_knobs(rows, gpus, fitted_on=datetime.date.today().isoformat())
        if save_path:
            save_knobs(knobs, save_path)
    else:
        knobs = load_knobs(knobs_path)
    models = ("analytical", "simpy") if model == "both" else (model,)
    result = compare(sets, gpu, knobs, models)
    if as_json:
        echo_json({"files": paths, "arch": {s.source: gpus[s.source].arch.name for s in sets}, "knobs": knobs.to_dict(),
                   "rows": [_row_dict(r) for r in result.rows], "summary": [_summary_dict(s) for s in result.summaries]})
        return
    if not summary_only:
        table = [
            [r.prediction.model, r.device, f"{r.measurement.source}#{r.measurement.row}", r.split, "*" if r.goal else "",
             r.measurement.label, f"{r.measurement.ms:.4f}", f"{r.prediction.seconds * 1e3:.4f}", f"{r.rel_error:+.1%}"]
            for r in result.rows
        ]
        click.echo(table_text(["model", "device", "row", "split", "goal", "measurement", "measured ms", "predicted ms",
                               "error"], table, {6, 7, 8}))
        click.echo("")
    summary = [[s.device, s.model, s.split, s.scope, str(s.count), f"{s.median_abs:.1%}", f"{s.max_abs:.1%}", s.worst]
               for s in result.summaries]
    click.echo(table_text(["device", "model", "split", "scope", "rows", "median |err|", "max |err|", "worst row"], summary,
                          {4, 5, 6}))
    if do_fit:
        click.echo("")
        scalars = {k: v for k, v in knobs.to_dict().items() if isinstance(v, float)}
        click.echo("fitted knobs: " + ", ".join(f"{k}={v:.4g}" for k, v in [*knobs.fraction, *scalars.items()]))
