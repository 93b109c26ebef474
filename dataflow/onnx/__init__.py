"""Import ONNX models (and so PyTorch models, through ``torch.onnx.export``) as Einsum cascades.

:func:`import_onnx` reads a model, fixes its dynamic dimensions, runs ONNX
shape inference, folds what only depends on constants, and writes every
supported node as Einsums of the project's notation (a normal
:class:`dataflow.Cascade`); nodes it cannot express are skipped and listed
with the reason, and their outputs become cascade inputs.
:func:`run_imported` evaluates the result with :func:`dataflow.execute` on
ONNX-named inputs; :func:`load_onnx_cascade` is the one-call form the CLI uses.

How ONNX operators become Einsums of the project's notation:

* Conv (groups, strides, padding, dilation, 1-3 spatial axes): a populate
  into a zero-initialized padded tensor, then
  ``O[n,k,p,q] = XP[n,c,p*2+r,q*2+s] * W[k,c,r,s]`` (depthwise: ``W[c,0,r,s]``;
  grouped: ``XP[n,g*Cg+c,...] * W[g*Kg+k,c,r,s]``); bias is a second Einsum.
* Gemm/MatMul (batched, broadcast, transposed, scaled): one sum-reduction.
* Element-wise operators: map Einsums; scalar constants are inlined; exact
  Gelu is ``x * 0.5 * (1 + erf(x * 0.7071...))`` (the ``erf`` map operator),
  the tanh form is ``gelu(x)``; Sigmoid is ``recip(1 + exp(-x))``.
* Softmax (max, exp of the difference, sum, division) and LayerNormalization
  (mean, centered values, variance, reciprocal deviation, scale and shift):
  the library's decompositions; BatchNormalization folds to ``x * a + b``.
* Reductions, MaxPool/AveragePool (padding, ceil mode, count_include_pad),
  global pooling: max/sum reductions (averages scale the summed values).
* Reshape, Transpose, Flatten, Squeeze/Unsqueeze, Expand, Slice, Split and
  Gather with constant indices: index remaps, no Einsum (see ``_views``); a
  merged axis is read as ``h*64+d`` with both ranks iterated.
* Concat: zero-initialized parts written at their offsets, then summed.
* Tensors read in part by a plain rank (``X[:, 0:3]``) are stored one element
  further along that axis (the notation reads a plain rank only on a
  dimension of the rank's own size).

Skipped, with the reason: data-dependent look-ups (embedding Gather),
operators without an Einsum operator (Log, Softplus, TopK, ...), control
flow, training-mode Dropout/BatchNormalization, non-default domains.

Importing this subpackage imports ``onnx``; ``import dataflow`` does not.
"""

from typing import Mapping

from .._cascade import Cascade
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


def load_onnx_cascade(path, *, dims: Mapping[str, int] | None = None, input_shapes: Mapping[str, tuple[int, ...]] | None = None) -> Cascade:
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
