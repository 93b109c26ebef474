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

**Fold pipelining** (``accel.PEArray.fold_pipelining``, off by default).  A
TPU-like array does not let a fold's wavefront leave the array before the next
one enters: each PE switches to the next fold when the current fold's last
operand has passed it, so the next fold's wavefront follows one *initiation
interval* ``II`` behind the previous one and a run of ``F`` folds pays the
fill once, ``F - 1`` intervals, and the last fold's stream and drain once::

    fill + (F - 1) * II + T + drain,   fill = preload + skew

(``drain`` the MAC pipeline's ``pipeline_depth - 1``).  What remains of a
fold's exchange with the array in ``II`` is the ``L = R * hop``-cycle shift of
the operand that stays in the PEs, which no skew can hide:

* weight / input stationary: the next fold's stationary operand shifts down
  the columns behind the current fold's last streamed operand (column ``j``
  ``j`` hops late, as the wavefront is), so PE ``(i, j)`` has it ``L`` cycles
  after its last MAC: ``II = T + L``.  With the second buffer (the TPU's
  double-buffered weights) it shifts into the spare registers behind the
  previous fold's switch, during the current stream: ``II = max(T, L)``; the
  streamed operand then enters back to back, as the TPU's activations do.
  The first fold's preload is the fill's ``preload``.
* output stationary: both operands stream; a PE can start accumulating the
  next fold's output once its finished output has left, which the column's
  ``R`` outputs do through its edge in ``L`` cycles: ``II = T + L``, and
  ``II = max(T, L)`` with a second output register (the finished outputs
  shift out while the next fold accumulates).  No preload; the last fold's
  outputs leave with the write-back, as without pipelining.
* broadcast network: the bus is pipelined, so the next fold's first delivery
  lands ``hop`` cycles after it is issued as the current fold's last did:
  ``II = T``, the ``hop`` paid once (fill) and the MAC pipeline once (drain).

The intervals hold across the tile steps of one Einsum: the fill is charged
to its first step and the last stream and drain to its last, a stall between
steps being charged by the engine as a stall.  Without pipelining (and with
``C >= 2``) a fold takes at least ``II``, so turning it on never costs cycles.
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
    overlapped : bool
        The PEs hold a second tile of the stationary operand (double buffering).
    pipelined : bool
        Consecutive folds overlap their fill and drain (fold pipelining).
    shift : int
        Under fold pipelining, cycles a fold's stationary operand takes to
        shift in (output stationary: its finished outputs to shift out), the
        part of the exchange the next wavefront cannot hide; 0 on a bus.
    """

    preload: int
    skew: int
    steady: int
    drain: int
    overlapped: bool = False
    pipelined: bool = False
    shift: int = 0

    @property
    def interval(self) -> int:
        """Cycles between the starts of two consecutive folds under fold pipelining (``II``)."""
        return max(self.steady, self.shift) if self.overlapped else self.steady + self.shift

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
        of its Einsum.  With ``pipelined`` a ``first`` run pays the fill
        (preload and skew), every fold but a ``last`` run's last pays the
        interval, and that one its stream and drain.
        """
        if not folds:
            return 0
        if self.pipelined:
            head = self.preload + self.skew if first else 0
            end = self.steady + self.drain if last else self.interval
            return head + (folds - 1) * self.interval + end
        if not self.overlapped:
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
    pipelined: bool = False,
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
    pipelined : bool
        Fold pipelining: consecutive folds overlap their fill and drain (see the module).

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
    for name, value in (("double_buffered", double_buffered), ("pipelined", pipelined)):
        if not isinstance(value, bool):
            raise ValueError(f"fold_timing: {name} must be True or False, not {value!r}")
    tail = pipeline_depth - 1
    if network == "broadcast":  # the bus: no shift to expose between pipelined folds
        return FoldTiming(preload=0, skew=hop_latency, steady=steady, drain=tail, pipelined=pipelined)
    if network != "systolic":
        raise ValueError(f"fold_timing: network must be 'systolic' or 'broadcast', not {network!r}")
    shift = hop_latency * rows
    skew = hop_latency * (rows - 1 + cols - 1)
    if stationary == "output":  # outputs shift out under the next fold's skew: no R-cycle drain of their own
        return FoldTiming(preload=0, skew=skew, steady=steady, drain=tail, overlapped=double_buffered,
                          pipelined=pipelined, shift=shift)
    return FoldTiming(preload=shift, skew=skew, steady=steady, drain=tail, overlapped=double_buffered,
                      pipelined=pipelined, shift=shift)
