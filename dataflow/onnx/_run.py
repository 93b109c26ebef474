"""Run an imported cascade on ONNX-named inputs and read its outputs back in the ONNX layout."""

from __future__ import annotations

from typing import Mapping

import numpy as np

from .._errors import UnknownNameError
from .._executor import execute
from ._import import OnnxImport
from ._views import View

__all__ = ["run_imported", "logical_array"]


def logical_array(view: View, array: np.ndarray) -> np.ndarray:
    """The ONNX tensor that ``view`` describes, read out of its cascade tensor's values ``array``."""
    grids = np.indices(view.shape, sparse=True) if view.shape else []
    index = [np.asarray(offset) for offset in view.offsets]
    for axis, digits in enumerate(view.axes):
        remainder = grids[axis]
        for digit in reversed(digits):
            value, remainder = remainder % digit.size, remainder // digit.size
            if digit.axis is not None:
                index[digit.axis] = index[digit.axis] + digit.stride * value
    if not view.shape:
        return np.asarray(array[tuple(int(i) for i in index)])
    full = [np.broadcast_to(i, view.shape) for i in index]
    return array[tuple(full)]


def run_imported(imported: OnnxImport, inputs: Mapping[str, object] | None = None, seed: int = 0) -> dict[str, np.ndarray]:
    """Evaluate ``imported.cascade`` with its weights and return the ONNX graph outputs by ONNX name.

    Parameters
    ----------
    imported : OnnxImport
        What :func:`import_onnx` returned.
    inputs : mapping of str to array-like, optional
        Values by ONNX name: graph inputs, and outputs of skipped nodes that
        the cascade reads.  Missing ones are drawn as :func:`dataflow.execute` does.
    seed : int
        Seed for missing inputs.

    Raises
    ------
    UnknownNameError
        For a name that is not one of the cascade's ONNX-named inputs.
    ShapeError, TypeError
        As :func:`dataflow.execute`.
    """
    if not isinstance(imported, OnnxImport):
        raise TypeError(f"run_imported needs an OnnxImport, not {imported!r}")
    by_name = {binding.onnx_name: binding for binding in imported.inputs}
    feeds: dict[str, object] = dict(imported.weights)
    for name, value in (inputs or {}).items():
        if name not in by_name:
            raise UnknownNameError(
                f"{name!r} is not an input of the imported cascade",
                where=f"run_imported({imported.cascade.name!r})",
                expected=f"one of {', '.join(by_name) or 'no inputs'}",
            )
        feeds[by_name[name].tensor] = np.asarray(value, dtype=np.float64).reshape(by_name[name].view.shape)
    env = execute(imported.cascade, feeds, seed=seed)
    return {binding.onnx_name: logical_array(binding.view, env[binding.tensor]) for binding in imported.outputs}
