"""Measure GEMM, attention, soft-max, layer-norm and copy times on an NVIDIA GPU (run on the device machine).

Writes a measurement file in the format ``accel calibrate`` reads (the same schema as
``shared/reference/h100_calibration.json``) and prints a table.  Needs PyTorch with CUDA
and Triton (for ``triton.testing.do_bench``); it is not imported by the package.

Usage::

    python3 benchmarks/gpu/measure.py --out results.json [--sections gemm,attention,rows,copy] [--repeat N]
    python3 benchmarks/gpu/measure.py --list          # the planned rows, no GPU needed
    python3 benchmarks/gpu/measure.py --merge OUT IN [IN ...]   # per row, the lowest of several runs

Method: every row is the median of ``triton.testing.do_bench`` (warm-up 25 ms,
repetitions 100 ms, L2 flushed between repetitions by do_bench) on random data
drawn from a seeded generator.  BF16 GEMMs use ``torch.matmul``; FP8 GEMMs use
``torch._scaled_mm`` with E4M3 inputs, unit scales and BF16 output; attention uses
``scaled_dot_product_attention`` restricted to one backend per row, chosen outside the timed call
(``flash``: FlashAttention-2 kernels; ``cudnn``: cuDNN fused attention, the default on H100); soft-max is
``torch.softmax`` over the last axis of a BF16 matrix; layer-norm is ``torch.nn.functional.layer_norm``
over the last axis with BF16 weight and bias; copy is a device-to-device
``Tensor.copy_`` (bytes counted as read + written).  Each row also names the CUDA
kernels one call launched (``kernels``, from ``torch.profiler``), so the library's
tile, split-K and multi-pass choices can be read off the file.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import sys
import time

SEED = 20261123

#: GEMM shapes (m, n, k).  The first block is the H100 file's; the rest probe one small
#: dimension (m or n from 1 to 256) with k up to 16K.
GEMM_SHAPES = [
    (1, 4096, 4096), (16, 4096, 4096), (64, 4096, 4096), (128, 4096, 4096), (256, 4096, 4096),
    (512, 4096, 4096), (1024, 4096, 4096), (2048, 4096, 4096), (4096, 4096, 4096),
    (8192, 4096, 4096), (16384, 4096, 4096),
    (1024, 1024, 1024), (2048, 2048, 2048), (8192, 8192, 8192),
    (4096, 4096, 16384), (2048, 12288, 4096), (512, 3072, 768), (512, 768, 3072),
    (4096, 11008, 4096), (3000, 5000, 1000), (1536, 4096, 1536),
]
SMALL_M = [1, 16, 32, 64, 128, 256]
GEMM_SHAPES += [(32, 4096, 4096)]
GEMM_SHAPES += [(m, n, k) for m in SMALL_M for n, k in ((8192, 1024), (4096, 16384), (16384, 4096))]
GEMM_SHAPES += [(8192, n, 4096) for n in (16, 64, 128, 256)] + [(4096, n, 16384) for n in (16, 64, 256)]
#: Attention (head dim, sequence lengths); batch 1, 32 heads, causal and not, flash and cuDNN.
ATTN = [(128, [512, 1024, 2048, 4096, 8192, 16384, 32768]), (64, [1024, 4096, 16384])]
SOFTMAX_SHAPES = [(4096, 4096), (8192, 8192), (32768, 1024), (1024, 32768), (16384, 16384)]
#: Row-wise kernels over 1K to 64K columns at 16M and 64M elements.
ROW_COLS = [1024, 2048, 4096, 8192, 16384, 32768, 65536]
ROW_ELEMENTS = [2**24, 2**26]
COPY_BYTES = [2**20, 2**24, 2**26, 2**28, 2**31]
SECTIONS = ("gemm", "attention", "rows", "copy")


def planned_rows() -> dict[str, list[dict]]:
    """Every row the script will try, per section (shape fields only)."""
    gemm = []
    for m, n, k in GEMM_SHAPES:
        gemm.append({"kind": "gemm_bf16", "m": m, "n": n, "k": k})
        mp = max(16, -(-m // 16) * 16)  # cuBLASLt FP8 needs m a multiple of 16: record the shape that ran
        if k % 16 == 0 and n % 16 == 0 and not any(
                r["kind"] == "gemm_fp8_e4m3" and (r["m"], r["n"], r["k"]) == (mp, n, k) for r in gemm):
            gemm.append({"kind": "gemm_fp8_e4m3", "m": mp, "n": n, "k": k})
    attention = [{"kind": "attention_bf16", "backend": be, "b": 1, "h": 32, "s": s, "d": d, "causal": c}
                 for d, seqs in ATTN for s in seqs for c in (False, True) for be in ("flash", "cudnn")]
    rows = []
    shapes = list(SOFTMAX_SHAPES) + [(e // c, c) for e in ROW_ELEMENTS for c in ROW_COLS]
    seen = set()
    for r, c in shapes:
        for kind in ("softmax_bf16", "layernorm_bf16", "scale_bf16"):
            if kind == "scale_bf16" and (r, c) not in SOFTMAX_SHAPES:
                continue
            if (kind, r, c) not in seen:
                seen.add((kind, r, c))
                rows.append({"kind": kind, "rows": r, "cols": c})
    copy = [{"kind": "copy", "bytes": 2 * b} for b in COPY_BYTES]
    return {"gemm": gemm, "attention": attention, "rows": rows, "copy": copy}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out")
    ap.add_argument("--sections", default=",".join(SECTIONS), help="comma-separated subset of " + ",".join(SECTIONS))
    ap.add_argument("--list", action="store_true", help="print the planned rows and exit (no GPU needed)")
    ap.add_argument("--repeat", type=int, default=1, help="measure every section this many times (files OUT, OUT.2, ...)")
    ap.add_argument("--merge", nargs="+", metavar="FILE",
                    help="write OUT (the first FILE) from the other FILEs: per row, the run with the lowest median")
    args = ap.parse_args()
    sections = [s for s in args.sections.split(",") if s]
    bad = [s for s in sections if s not in SECTIONS]
    if bad:
        ap.error(f"unknown section(s) {bad}; sections: {', '.join(SECTIONS)}")
    if args.merge:
        merge(args.merge[0], args.merge[1:])
        return
    plan = planned_rows()
    if args.list:
        for s in sections:
            for r in plan[s]:
                print(json.dumps(r))
        print(f"{sum(len(plan[s]) for s in sections)} rows", file=sys.stderr)
        return
    if not args.out:
        ap.error("--out is required (or --list)")
    for i in range(args.repeat):
        run(args.out if i == 0 else f"{args.out}.{i + 1}", sections, plan)


def _shape(row: dict) -> tuple:
    return tuple(sorted((k, v) for k, v in row.items() if k not in ("ms", "tflops", "gbps", "kernels")))


def merge(out: str, inputs: list[str]) -> None:
    """Per row, keep the run with the lowest median (interference on the host only ever slows a run down).

    Rows are matched by their shape fields; the output has the rows of every input, in first-seen
    order, each from the run with the lowest ``ms`` (its rate and kernel names too), and the note
    says how many runs each row had.
    """
    docs = [json.load(open(p)) for p in inputs]
    if not docs:
        raise SystemExit("--merge needs an output file and at least one input")
    devices = {d["device"] for d in docs}
    if len(devices) != 1:
        raise SystemExit(f"--merge: the inputs come from different devices: {sorted(devices)}")
    best: dict[tuple, dict] = {}
    runs: dict[tuple, int] = {}
    for d in docs:
        for row in d["rows"]:
            key = _shape(row)
            runs[key] = runs.get(key, 0) + 1
            if key not in best or row["ms"] < best[key]["ms"]:
                best[key] = row
    counts = sorted(set(runs.values()))
    doc = dict(docs[0])
    doc["note"] = (f"{docs[0]['note']} Merged from {len(docs)} runs ({', '.join(map(str, counts))} per row): "
                   "each row is the run with the lowest median.")
    doc["rows"] = list(best.values())
    with open(out, "w") as fh:
        json.dump(doc, fh, indent=1)
    print(f"{out}: {len(doc['rows'])} rows from {len(docs)} runs")


def make_call(r: dict, gen):
    """The call one row times (a closure over its seeded random inputs); needs torch and a GPU."""
    import torch
    import torch.nn.functional as F

    kind = r["kind"]
    if kind == "gemm_bf16":
        a = torch.randn(r["m"], r["k"], device="cuda", dtype=torch.bfloat16, generator=gen)
        b = torch.randn(r["k"], r["n"], device="cuda", dtype=torch.bfloat16, generator=gen)
        return lambda: torch.matmul(a, b)
    if kind == "gemm_fp8_e4m3":
        a8 = torch.randn(r["m"], r["k"], device="cuda", generator=gen).to(torch.float8_e4m3fn)
        b8 = torch.randn(r["n"], r["k"], device="cuda", generator=gen).to(torch.float8_e4m3fn).t()
        one = torch.ones((), device="cuda")
        return lambda: torch._scaled_mm(a8, b8, scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
    if kind == "attention_bf16":
        q, k, v = (torch.randn(r["b"], r["h"], r["s"], r["d"], device="cuda", dtype=torch.bfloat16, generator=gen)
                   for _ in range(3))
        return lambda: F.scaled_dot_product_attention(q, k, v, is_causal=r["causal"])
    if kind in ("softmax_bf16", "layernorm_bf16", "scale_bf16"):
        x = torch.randn(r["rows"], r["cols"], device="cuda", dtype=torch.bfloat16, generator=gen)
        if kind == "softmax_bf16":
            return lambda: torch.softmax(x, dim=-1)
        if kind == "scale_bf16":
            return lambda: x * 1.5
        w = torch.randn(r["cols"], device="cuda", dtype=torch.bfloat16, generator=gen)
        bias = torch.randn(r["cols"], device="cuda", dtype=torch.bfloat16, generator=gen)
        return lambda: F.layer_norm(x, (r["cols"],), w, bias)
    if kind == "copy":
        src = torch.empty(r["bytes"] // 2, device="cuda", dtype=torch.uint8)
        dst = torch.empty_like(src)
        return lambda: dst.copy_(src)
    raise ValueError(kind)


def run(out: str, sections: list[str], plan: dict[str, list[dict]]) -> None:
    import torch
    import triton
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.profiler import ProfilerActivity, profile
    from triton.testing import do_bench

    torch.backends.cuda.matmul.allow_tf32 = False
    gen = torch.Generator(device="cuda").manual_seed(SEED)
    prop = torch.cuda.get_device_properties(0)
    backends = {"flash": SDPBackend.FLASH_ATTENTION, "cudnn": SDPBackend.CUDNN_ATTENTION}

    def kernels_of(fn) -> str:
        try:
            with profile(activities=[ProfilerActivity.CUDA]) as prof:
                fn()
                torch.cuda.synchronize()
            names = []
            for e in prof.events():
                if str(e.device_type).endswith("CUDA") and e.name not in names:
                    names.append(e.name)
            return ";".join(names)
        except Exception as exc:  # noqa: BLE001 - the kernel names are a diagnostic, never a reason to drop a row
            return f"<profiler failed: {type(exc).__name__}>"

    def rate(r: dict, ms: float) -> dict:
        kind = r["kind"]
        if kind.startswith("gemm"):
            return {"tflops": 2 * r["m"] * r["n"] * r["k"] / ms / 1e9}
        if kind == "attention_bf16":
            return {"tflops": 4 * r["b"] * r["h"] * r["s"] ** 2 * r["d"] / (2 if r["causal"] else 1) / ms / 1e9}
        nbytes = r["bytes"] if kind == "copy" else 2 * r["rows"] * r["cols"] * 2
        return {"gbps": nbytes / ms / 1e6}

    doc = {
        "device": prop.name,
        "sms": prop.multi_processor_count,
        "l2_bytes": getattr(prop, "L2_cache_size", None),
        "torch": torch.__version__,
        "triton": triton.__version__,
        "python": platform.python_version(),
        "seed": SEED,
        "note": (__doc__.split("Method: ", 1)[1]).strip().replace("\n", " "),
        "rows": [],
    }
    start = time.time()
    for section in sections:
        for r in plan[section]:
            # The backend is chosen once around the timing, not inside the timed call: entering
            # sdpa_kernel costs host time that would dominate attention kernels of a few microseconds.
            backend = contextlib.nullcontext() if r["kind"] != "attention_bf16" else sdpa_kernel(backends[r["backend"]])
            try:
                with backend:
                    fn = make_call(r, gen)
                    fn()
                    torch.cuda.synchronize()
                    ms = float(do_bench(fn, warmup=25, rep=100, return_mode="median"))
                    names = kernels_of(fn)
            except (RuntimeError, torch.cuda.OutOfMemoryError) as exc:  # noqa: PERF203 - a failed shape is reported, not fatal
                print(f"{r} failed: {str(exc).splitlines()[0]}", file=sys.stderr)
                continue
            finally:
                fn = None
                torch.cuda.empty_cache()
            row = {**r, "ms": ms, **rate(r, ms), "kernels": names}
            doc["rows"].append(row)
            shape = ",".join(f"{k}={row[k]}" for k in ("backend", "m", "n", "k", "b", "h", "s", "d", "causal", "rows", "cols", "bytes")
                             if k in row)
            value = row.get("tflops", row.get("gbps"))
            print(f"{time.time() - start:7.1f}s {row['kind']:16s} {shape:36s} {ms:10.4f} {value:10.1f}  {names[:120]}",
                  flush=True)
        with open(out, "w") as fh:  # after every section, so a run cut short keeps what it measured
            json.dump(doc, fh, indent=1)


if __name__ == "__main__":
    main()
