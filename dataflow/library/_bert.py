"""BERT-base encoder (12 post-layer-norm blocks, hidden 768, 12 heads, feed-forward 3072) as a cascade and a layer table.

The cascade starts from the summed embeddings ``X0[d,p]`` (the embedding
look-up is not an Einsum) and ends with the last block's output; no pooler.
"""

from __future__ import annotations

from .._build import parse_cascade
from .._cascade import Cascade
from .._parser import parse_einsum
from ._attention import block_declarations, block_parts, block_shapes
from ._resnet import LayerEntry
from ._util import check_positive

__all__ = ["bert_base", "bert_base_layers"]

_D, _H, _FF = 768, 12, 3072


def bert_base(seq_len: int = 128, layers: int = 12, variant: int = 3, M0: int = 32) -> Cascade:
    """BERT-base encoder on ``X0[d,p]`` as one cascade; layer ``i``'s tensors are prefixed ``L<i>_``.

    Parameters
    ----------
    seq_len : int
        Tokens (ranks p and m).
    layers : int
        Encoder blocks (12 in BERT-base).
    variant : int
        Attention variant: 3, 2 or 1 passes over the sequence.
    M0 : int
        Keys per chunk for the 1-pass variant (must divide ``seq_len``).

    Raises
    ------
    TypeError, ValueError
        For bad sizes or variant.
    """
    check_positive("bert_base", seq_len=seq_len, layers=layers)
    shapes, chunks = block_shapes("bert_base", seq_len, _D, _H, _FF, variant, M0)
    lines: list[str] = []
    tensors: dict[str, dict] = {}
    for layer in range(layers):
        pre = f"L{layer}_"
        parts = block_parts(pre, f"X{layer}", f"X{layer + 1}", _D, variant, chunks, M0)
        lines += [line for part in parts for line in part.lines]
        tensors.update(block_declarations(parts, variant, pre))
    return parse_cascade(lines, shapes, name="bert_base", tensors=tensors)


def bert_base_layers(seq_len: int = 128, layers: int = 12) -> tuple[LayerEntry, ...]:
    """Unique layer shapes of BERT-base (3-pass attention) with their repeat counts.

    Entries: Q/K/V projections (with bias; 3 per block), attention scores,
    softmax, attention-weighted values, output projection (with bias and
    residual), layer norm (2 per block), the two feed-forward layers.  Their
    op counts times the repeats add up to :func:`bert_base`'s.

    Raises
    ------
    TypeError, ValueError
        For bad sizes.
    """
    check_positive("bert_base_layers", seq_len=seq_len, layers=layers)
    shapes, chunks = block_shapes("bert_base_layers", seq_len, _D, _H, _FF, 3, 1)
    parts = block_parts("", "X", "Y", _D, 3, chunks, 1)
    merged: dict[str, tuple] = {}
    for part in parts:
        name = "qkv_projection" if part.name.endswith("_projection") and part.name != "output_projection" else part.name
        if name in merged:
            merged[name] = (merged[name][0], merged[name][1] + 1)
        else:
            merged[name] = (part, 1)
    entries = []
    for name, (part, count) in merged.items():
        ranks = {rank for line in part.lines for rank in parse_einsum(line).ranks}
        used = {rank: size for rank, size in shapes.items() if rank in ranks}
        cascade = parse_cascade(part.lines, used, name=f"bert_{name}", tensors={w: {"weight": True} for w in part.weights})
        entries.append(LayerEntry(name, cascade, count * layers))
    return tuple(entries)
