"""The analytical cost model: access counts, latency, energy and utilization of mapped Einsums.

:func:`evaluate` / :func:`report_for` score one mapping into a :class:`sim.Report`
(the closed form over plain floats, equal bit for bit to the batch's);
:class:`CostModel` / :func:`evaluate_batch` score a :class:`MappingBatch` of
thousands of mappings at once with numpy (the mapper's inner loop);
:func:`evaluate_cascade` scores a mapped cascade, under a COSMA schedule's
residency when given one (the traffic ``sim.cycle`` simulates for it).  The
counting semantics are documented in :mod:`sim.analytical._batch`.
"""

from ._arrays import OBJECTIVES, BatchResult, MappingBatch
from ._batch import CostModel
from ._energy import ActionEnergy, action_energies
from ._evaluate import MODEL_NAME, cost_model, evaluate, evaluate_batch, report_for
from ._cascade import evaluate_cascade
from ._pipeline import DMA_CHANNELS, Pipeline

__all__ = [
    "evaluate",
    "evaluate_batch",
    "evaluate_cascade",
    "cost_model",
    "report_for",
    "CostModel",
    "Pipeline",
    "DMA_CHANNELS",
    "MappingBatch",
    "BatchResult",
    "OBJECTIVES",
    "ActionEnergy",
    "action_energies",
    "MODEL_NAME",
]
