"""Built-in workloads: parameterized cascade builders and a name registry.

``names()`` lists the registered workloads, ``params(name)`` their parameters
and defaults, ``build(name, **params)`` builds one.  Whole networks
(:func:`resnet18`, :func:`resnet50`, :func:`bert_base`) are single cascades;
the ``*_layers`` functions give their unique layer shapes as
:class:`LayerEntry` ``(name, cascade, repeat)``.
"""

from ._attention import attention, attention_1pass, attention_2pass, attention_3pass, transformer_block
from ._basic import batched_gemm, conv2d, depthwise_conv2d, gemm, layernorm, mlp
from ._bert import bert_base, bert_base_layers
from ._registry import ParameterValue, build, describe, names, params
from ._resnet import LayerEntry, resnet18, resnet18_layers, resnet50, resnet50_layers
from ._util import LibraryParameterError

__all__ = [
    "names",
    "params",
    "ParameterValue",
    "describe",
    "build",
    "gemm",
    "batched_gemm",
    "conv2d",
    "depthwise_conv2d",
    "mlp",
    "layernorm",
    "attention",
    "attention_3pass",
    "attention_2pass",
    "attention_1pass",
    "transformer_block",
    "resnet18",
    "resnet50",
    "bert_base",
    "resnet18_layers",
    "resnet50_layers",
    "bert_base_layers",
    "LayerEntry",
    "LibraryParameterError",
]
