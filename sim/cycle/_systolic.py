"""Timing of one fold of the PE array: systolic fill, steady state and drain.

A *fold* is one pass of the array over the loops below the innermost shared
level: the spatially unrolled ranks and the per-PE (register-file) temporal
loops.  Every PE does ``T`` cycles of useful work in a fold.  Around that
steady state a systolic array pays, as SCALE-Sim 3.0.0 counts it (Samajdar et
al., "A Systematic Methodology for Characterizing Scalability of DNN
Accelerators using SCALE-Sim", ISPASS 2020, and the released code):

* weight / input stationary: ``R`` cycles to shift the stationary operand
  down the ``R`` rows (preload), then ``R - 1 + C - 1`` cycles of skew while
  the streamed operand and the partial sums wave through the array, then
  ``T`` steady cycles: ``2R + C + T - 2`` per fold;
* output stationary: ``R - 1 + C - 1`` skew cycles and ``T`` steady cycles:
  ``R + C + T - 2`` per fold.  The finished outputs shift out of the array
  while the next fold's operands wave in, so no separate ``R``-cycle drain is
  charged (SCALE-Sim 3's code does not add one; the paper's general
  ``2R + C + T - 2`` does).  The last fold's outputs leave with the output
  tiles' write-back, which the simulators charge as wind-down.

``R x C`` is the *array* shape: operands enter at the array's edge and cross
it whole even when a fold uses fewer rows or columns (SCALE-Sim pads partial
folds with null requests).  Each hop takes ``hop_latency`` cycles and the MAC
pipeline adds ``pipeline_depth - 1`` cycles before the last result is out.  A
broadcast network (or the vector unit) has no skew: one bus delivery of
``hop_latency`` cycles fills it and the MAC pipeline drains it.

When the register file can hold two tiles of the stationary operand (the
TPU's double-buffered weight registers), the ``R``-cycle shift of one fold
overlaps the streaming of its neighbour: a run of folds then pays the preload
once, before its first fold (for output stationary, the MAC pipeline's drain
once, after its last).  SCALE-Sim's closed form is the case without that
second buffer.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FoldTiming", "fold_timing", "STATIONARY"]

#: Dataflow name -> which operand stays in the PEs during a fold.
STATIONARY: dict[str, str] = {
    "weight_stationary": "weight",
    "input_stationary": "input",
    "output_stationary": "output",
}


@dataclass(frozen=True)
class FoldTiming:
    """Cycles of one fold, by phase.

    Attributes
    ----------
    preload : int
        Stationary operand shifted into the array before streaming.
    skew : int
        Wavefront fill: cycles between the first and the last PE starting.
    steady : int
        Cycles every PE computes (``T``).
    drain : int
        Results leaving the array (and the MAC pipeline) after the last MAC.
    """

    preload: int
    skew: int
    steady: int
    drain: int
    overlapped: bool = False

    @property
    def overhead(self) -> int:
        """Fill and drain cycles: everything but the steady state."""
        return self.preload + self.skew + self.drain

    @property
    def total(self) -> int:
        """Cycles of one fold on its own."""
        return self.overhead + self.steady

    def run(self, folds: int, first: bool = True, last: bool = True) -> int:
        """Cycles of ``folds`` consecutive folds.

        With ``overlapped`` the preload is paid only when the run is ``first``
        (for output stationary, the MAC pipeline's drain only when it is ``last``)
        of its Einsum.
        """
        if not self.overlapped or not folds:
            return folds * self.total
        if self.preload:  # weight / input stationary: the next preload hides under this fold's stream
            return folds * (self.total - self.preload) + (self.preload if first else 0)
        return folds * (self.total - self.drain) + (self.drain if last else 0)


def fold_timing(
    rows: int,
    cols: int,
    steady: int,
    *,
    network: str = "systolic",
    stationary: str = "weight",
    hop_latency: int = 1,
    pipeline_depth: int = 1,
    double_buffered: bool = False,
) -> FoldTiming:
    """Cycles of one fold on a ``rows x cols`` array with ``steady`` cycles of work per PE.

    Parameters
    ----------
    rows, cols : int
        Array shape (the vector unit is ``lanes x 1``).
    steady : int
        Cycles each PE computes in the fold (``T``), >= 0 (0 for an Einsum
        that only moves data).
    network : str
        ``'systolic'`` or ``'broadcast'``.
    stationary : str
        ``'weight'``, ``'input'`` or ``'output'``: which operand stays put
        (weight / input: an ``R``-cycle preload; output: none).
    hop_latency : int
        Cycles per PE-to-PE hop (>= 0).
    pipeline_depth : int
        Cycles of the MAC pipeline (>= 1).
    double_buffered : bool
        The PEs hold a second tile of the stationary operand, so the shift of
        consecutive folds overlaps (systolic network only).

    Raises
    ------
    ValueError
        For non-positive sizes, an unknown network or stationary operand.
    """
    for name, value, low in (("rows", rows, 1), ("cols", cols, 1), ("steady", steady, 0),
                             ("hop_latency", hop_latency, 0), ("pipeline_depth", pipeline_depth, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"fold_timing: {name} must be an integer >= {low}, not {value!r}")
    if stationary not in ("weight", "input", "output"):
        raise ValueError(f"fold_timing: stationary must be 'weight', 'input' or 'output', not {stationary!r}")
    tail = pipeline_depth - 1
    if network == "broadcast":
        return FoldTiming(preload=0, skew=hop_latency, steady=steady, drain=tail)
    if network != "systolic":
        raise ValueError(f"fold_timing: network must be 'systolic' or 'broadcast', not {network!r}")
    shift = hop_latency * rows
    skew = hop_latency * (rows - 1 + cols - 1)
    if stationary == "output":  # outputs shift out under the next fold's skew: no R-cycle drain of their own
        return FoldTiming(preload=0, skew=skew, steady=steady, drain=tail, overlapped=double_buffered)
    return FoldTiming(preload=shift, skew=skew, steady=steady, drain=tail, overlapped=double_buffered)
