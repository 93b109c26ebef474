"""Run SCALE-Sim 3 on a list of layers; executed by the SCALE-Sim side venv's Python, not by accel's.

Reads a JSON list of cases on stdin, each ``{"name", "kind": "gemm" | "conv", "dataflow": "os" | "ws" | "is",
"rows", "cols", "sram_kb", "bandwidth"}`` plus the layer's sizes (``M, N, K`` for a GEMM; ``H, W, R, S, C, F,
stride`` for a convolution, the input already padded as SCALE-Sim expects), runs each case as its own one-layer
topology through SCALE-Sim's public ``scalesim`` class with traces off, and prints one JSON list: per case the
compute report's items and the wall-clock seconds of the run (the layer's simulation, config parsing included).
This file imports only the standard library and SCALE-Sim: it runs where accel is not installed.
"""

from __future__ import annotations

import configparser
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path


def _config(case: dict, path: Path) -> None:
    cfg = configparser.ConfigParser()
    cfg.optionxform = str
    cfg["general"] = {"run_name": case["name"]}
    cfg["architecture_presets"] = {
        "ArrayHeight": str(case["rows"]), "ArrayWidth": str(case["cols"]),
        "ifmapsramszkB": str(case["sram_kb"]), "filtersramszkB": str(case["sram_kb"]),
        "ofmapsramszkB": str(case["sram_kb"]),
        "IfmapOffset": "0", "FilterOffset": "10000000", "OfmapOffset": "20000000",
        "Bandwidth": str(case["bandwidth"]), "Dataflow": case["dataflow"],
        "ReadRequestBuffer": "32", "WriteRequestBuffer": "32",
    }
    cfg["layout"] = {
        "IfmapCustomLayout": "False", "IfmapSRAMBankBandwidth": "10", "IfmapSRAMBankNum": "10",
        "IfmapSRAMBankPort": "2", "FilterCustomLayout": "False", "FilterSRAMBankBandwidth": "10",
        "FilterSRAMBankNum": "10", "FilterSRAMBankPort": "2",
    }
    cfg["sparsity"] = {"SparsitySupport": "false", "SparseRep": "ellpack_block", "OptimizedMapping": "false",
                       "BlockSize": "8", "RandomNumberGeneratorSeed": "40"}
    cfg["run_presets"] = {"InterfaceBandwidth": "USER", "UseRamulatorTrace": "False"}
    with path.open("w") as f:
        cfg.write(f)


def _topology(case: dict, path: Path) -> None:
    if case["kind"] == "gemm":
        path.write_text("Layer, M, N, K,\n" + f"{case['name']}, {case['M']}, {case['N']}, {case['K']},\n")
    else:
        path.write_text(
            "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
            + f"{case['name']}, {case['H']}, {case['W']}, {case['R']}, {case['S']}, {case['C']}, {case['F']}, {case['stride']},\n")


def run(case: dict, work: Path) -> dict:
    from scalesim.scale_sim import scalesim

    cfg, topo, layout = work / "scale.cfg", work / "topo.csv", work / "layout.csv"
    _config(case, cfg)
    _topology(case, topo)
    layout.write_text("Layer name,\n")
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        sim = scalesim(save_disk_space=True, verbose=False, config=str(cfg), topology=str(topo),
                       layout=str(layout), input_type_gemm=case["kind"] == "gemm")
        sim.run_scale(top_path=str(work / "out"))
    seconds = time.perf_counter() - start
    layer = sim.runner.single_layer_sim_object_list[0]
    overall, total, stall, util, mapping_eff, compute_util = layer.get_compute_report_items()
    return {"name": case["name"], "overall_cycles": int(overall), "total_cycles": int(total),
            "stall_cycles": int(stall), "mapping_efficiency": float(mapping_eff), "seconds": seconds}


def main() -> int:
    cases = json.load(sys.stdin)
    out = []
    for case in cases:
        with tempfile.TemporaryDirectory() as tmp:
            out.append(run(case, Path(tmp)))
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
