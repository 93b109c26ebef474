"""Run ZigZag 3.9.1 (LOMA) on one workload and accelerator; executed by the ZigZag side venv's Python, not by accel's.

Reads ``{"workload", "accelerator", "mapping", "opt", "lpf_limit", "dump"}`` as JSON on stdin, runs ZigZag's
public ``get_hardware_performance_zigzag`` (LOMA temporal mapping search, its defaults otherwise) and prints one
JSON object: the whole network's energy (pJ) and latency (cycles, ZigZag's ``latency_total2``), the wall-clock
seconds of the call, and per layer its name, loop sizes, MACs, latency, energy (MAC and per memory and operand)
and spatial mapping.  This file imports only the standard library and ZigZag: it runs where accel is not installed.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import sys
import time


def _layer(cme) -> dict:
    layer = cme.layer
    memories = {}
    for op, energies in cme.mem_energy_breakdown.items():
        mem_op = cme.memory_operand_links.layer_to_mem_op(op)
        levels = cme.accelerator.memory_hierarchy.get_memory_levels(mem_op)
        accesses = cme.memory_word_access[op]
        for level, pj, acc in zip(levels, energies, accesses):
            name = level.memory_instance.name
            entry = memories.setdefault(name, {"pJ": 0.0, "operands": {}})
            entry["pJ"] += float(pj)
            entry["operands"][str(op)] = {"pJ": float(pj), "accesses": {str(k): int(v) for k, v in acc.data.items()}}
    return {
        "name": str(layer.name),
        "type": str(getattr(layer, "type", "")),
        "sizes": {str(k): int(v) for k, v in layer.layer_dim_sizes.items()},
        "macs": int(layer.total_mac_count),
        "latency": float(cme.latency_total2),
        "ideal_cycles": float(cme.ideal_temporal_cycle),
        "energy": float(cme.energy_total),
        "mac_energy": float(cme.mac_energy),
        "memories": memories,
        "spatial_mapping": str(cme.spatial_mapping),
        "temporal_mapping": str(cme.temporal_mapping),
    }


def main() -> int:
    args = json.load(sys.stdin)
    from zigzag.api import get_hardware_performance_zigzag

    logging.disable(logging.CRITICAL)  # ZigZag logs at INFO from its API; the JSON alone goes to stdout
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        energy, latency, cmes = get_hardware_performance_zigzag(
            args["workload"], args["accelerator"], args["mapping"], opt=args["opt"], dump_folder=args["dump"],
            lpf_limit=args["lpf_limit"], loma_show_progress_bar=False)
    seconds = time.perf_counter() - start
    layers = [_layer(cme) for cme, _ in cmes[0][1]]
    json.dump({"energy": float(energy), "latency": float(latency), "seconds": seconds, "layers": layers}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
