"""Import ONNX models (and so PyTorch models, through ``torch.onnx.export``) as Einsum cascades.

:func:`import_onnx` reads a model, fixes its dynamic dimensions, runs ONNX
shape inference, folds what only depends on constants, and writes every
supported node as Einsums of the project's notation (a normal
:class:`dataflow.Cascade`); nodes it cannot express are skipped and listed
with the reason, and their outputs become cascade inputs.
:func:`run_imported` evaluates the result with :func:`dataflow.execute` on
ONNX-named inputs; :func:`load_onnx_cascade` is the one-call form the CLI uses.

Importing this subpackage imports ``onnx``; ``import dataflow`` does not.
"""

from ._errors import OnnxImportError
from ._import import SUPPORTED_OPS, Binding, OnnxImport, SkippedNode, import_onnx
from ._model import MAX_OPSET, MIN_OPSET
from ._run import run_imported

__all__ = [
    "import_onnx",
    "load_onnx_cascade",
    "run_imported",
    "OnnxImport",
    "SkippedNode",
    "Binding",
    "OnnxImportError",
    "SUPPORTED_OPS",
    "MIN_OPSET",
    "MAX_OPSET",
]


def load_onnx_cascade(path, *, dims=None, input_shapes=None):
    """The cascade of the ONNX model at ``path``: :func:`import_onnx`'s cascade alone.

    Skipped nodes are not an error here (their outputs are cascade inputs);
    use :func:`import_onnx` to see the list, or ``strict=True`` to refuse them.

    Parameters
    ----------
    path : str or pathlib.Path
        An ``.onnx`` file.
    dims, input_shapes : mapping, optional
        As :func:`import_onnx`.

    Raises
    ------
    OnnxImportError, FileNotFoundError
        As :func:`import_onnx`.
    """
    return import_onnx(path, dims=dims, input_shapes=input_shapes).cascade
