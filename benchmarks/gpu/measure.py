"""Measure GEMM, attention, soft-max and copy times on an NVIDIA GPU (run on the device machine).

Writes a measurement file in the format ``accel calibrate`` reads (the same schema as
``shared/reference/h100_calibration.json``) and prints a table.  Needs PyTorch with CUDA
and Triton (for ``triton.testing.do_bench``); it is not imported by the package.

Usage::

    python3 benchmarks/gpu/measure.py --out results.json [--quick]

Method: every row is the median of ``triton.testing.do_bench`` (warm-up 25 ms,
repetitions 100 ms, L2 flushed between repetitions by do_bench) on random data
drawn from a seeded generator.  BF16 GEMMs use ``torch.matmul``; FP8 GEMMs use
``torch._scaled_mm`` with E4M3 inputs, unit scales and BF16 output; attention uses
``scaled_dot_product_attention`` restricted to one backend per row
(``flash``: FlashAttention-2 kernels; ``cudnn``: cuDNN fused attention, the default on H100); soft-max is
``torch.softmax`` over the last axis of a BF16 matrix; copy is a device-to-device
``Tensor.copy_`` (bytes counted as read + written).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys

import torch
import triton
from triton.testing import do_bench

SEED = 20261123

GEMM_SHAPES = [
    (1, 4096, 4096), (16, 4096, 4096), (64, 4096, 4096), (128, 4096, 4096), (256, 4096, 4096),
    (512, 4096, 4096), (1024, 4096, 4096), (2048, 4096, 4096), (4096, 4096, 4096),
    (8192, 4096, 4096), (16384, 4096, 4096),
    (1024, 1024, 1024), (2048, 2048, 2048), (8192, 8192, 8192),
    (4096, 4096, 16384), (2048, 12288, 4096), (512, 3072, 768), (512, 768, 3072),
    (4096, 11008, 4096), (3000, 5000, 1000), (1536, 4096, 1536),
]
ATTN_SEQ = [512, 1024, 2048, 4096, 8192, 16384, 32768]
SOFTMAX_SHAPES = [(4096, 4096), (8192, 8192), (32768, 1024), (1024, 32768), (16384, 16384)]
COPY_BYTES = [2**20, 2**24, 2**26, 2**28, 2**31]


def bench(fn) -> float:
    return float(do_bench(fn, warmup=25, rep=100, return_mode="median"))


def gemm_rows(gen: torch.Generator) -> list[dict]:
    rows = []
    for m, n, k in GEMM_SHAPES:
        a = torch.randn(m, k, device="cuda", dtype=torch.bfloat16, generator=gen)
        b = torch.randn(k, n, device="cuda", dtype=torch.bfloat16, generator=gen)
        ms = bench(lambda: torch.matmul(a, b))
        rows.append({"kind": "gemm_bf16", "m": m, "n": n, "k": k, "ms": ms,
                     "tflops": 2 * m * n * k / ms / 1e9})
        # FP8 needs m padded to a multiple of 16 for cuBLASLt; record the shape that ran.
        mp = max(16, -(-m // 16) * 16)
        if k % 16 or n % 16 or any(r["kind"] == "gemm_fp8_e4m3" and (r["m"], r["n"], r["k"]) == (mp, n, k) for r in rows):
            continue
        a8 = torch.randn(mp, k, device="cuda", generator=gen).to(torch.float8_e4m3fn)
        b8 = torch.randn(n, k, device="cuda", generator=gen).to(torch.float8_e4m3fn).t()
        one = torch.ones((), device="cuda")
        try:
            ms = bench(lambda: torch._scaled_mm(a8, b8, scale_a=one, scale_b=one, out_dtype=torch.bfloat16))
            rows.append({"kind": "gemm_fp8_e4m3", "m": mp, "n": n, "k": k, "ms": ms,
                         "tflops": 2 * mp * n * k / ms / 1e9})
        except RuntimeError as exc:  # noqa: PERF203
            print(f"fp8 {mp}x{n}x{k} failed: {exc}", file=sys.stderr)
        del a, b, a8, b8
    return rows


def attention_rows(gen: torch.Generator) -> list[dict]:
    from torch.nn.attention import SDPBackend, sdpa_kernel
    import torch.nn.functional as F

    rows = []
    b, h, d = 1, 32, 128
    backends = {"flash": SDPBackend.FLASH_ATTENTION, "cudnn": SDPBackend.CUDNN_ATTENTION}
    for s in ATTN_SEQ:
        for causal in (False, True):
            q, k, v = (torch.randn(b, h, s, d, device="cuda", dtype=torch.bfloat16, generator=gen) for _ in range(3))
            for name, backend in backends.items():
                try:
                    with sdpa_kernel(backend):
                        ms = bench(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal))
                except RuntimeError as exc:  # noqa: PERF203
                    print(f"attention {name} s={s} failed: {exc}", file=sys.stderr)
                    continue
                flops = 4 * b * h * s * s * d / (2 if causal else 1)
                rows.append({"kind": "attention_bf16", "backend": name, "b": b, "h": h, "s": s, "d": d,
                             "causal": causal, "ms": ms, "tflops": flops / ms / 1e9})
    return rows


def memory_rows(gen: torch.Generator) -> list[dict]:
    rows = []
    for r, c in SOFTMAX_SHAPES:
        x = torch.randn(r, c, device="cuda", dtype=torch.bfloat16, generator=gen)
        ms = bench(lambda: torch.softmax(x, dim=-1))
        rows.append({"kind": "softmax_bf16", "rows": r, "cols": c, "ms": ms, "gbps": 2 * r * c * 2 / ms / 1e6})
        ms = bench(lambda: x * 1.5)
        rows.append({"kind": "scale_bf16", "rows": r, "cols": c, "ms": ms, "gbps": 2 * r * c * 2 / ms / 1e6})
    for nbytes in COPY_BYTES:
        src = torch.empty(nbytes, device="cuda", dtype=torch.uint8)
        dst = torch.empty_like(src)
        ms = bench(lambda: dst.copy_(src))
        rows.append({"kind": "copy", "bytes": 2 * nbytes, "ms": ms, "gbps": 2 * nbytes / ms / 1e6})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    gen = torch.Generator(device="cuda").manual_seed(SEED)
    prop = torch.cuda.get_device_properties(0)
    rows = gemm_rows(gen) + attention_rows(gen) + memory_rows(gen)
    doc = {
        "device": prop.name,
        "sms": prop.multi_processor_count,
        "l2_bytes": getattr(prop, "L2_cache_size", None),
        "torch": torch.__version__,
        "triton": triton.__version__,
        "python": platform.python_version(),
        "seed": SEED,
        "note": (__doc__.split("Method: ", 1)[1]).strip().replace("\n", " "),
        "rows": rows,
    }
    with open(args.out, "w") as fh:
        json.dump(doc, fh, indent=1)
    print(f"{'kind':16s} {'shape':28s} {'ms':>10s} {'rate':>10s}")
    for r in rows:
        shape = ",".join(f"{k}={r[k]}" for k in ("backend", "m", "n", "k", "b", "h", "s", "d", "causal", "rows", "cols", "bytes") if k in r)
        rate = r.get("tflops", r.get("gbps"))
        print(f"{r['kind']:16s} {shape:28s} {r['ms']:10.4f} {rate:10.1f}")


if __name__ == "__main__":
    main()
