"""ResNet-18 and ResNet-50 (torchvision v1.5 layout) as whole-network cascades and layer tables.

Inference form: batch normalization is folded into each convolution's bias,
so a convolution is followed by one element-wise Einsum adding the bias (and
the shortcut) and applying ReLU.  Each producer writes straight into the
interior of a padded buffer when its consumer convolution pads (zero init;
``-inf`` before the max pool), so the network needs one explicit pad Einsum,
for the image.  Global average pooling is a sum whose 1/(H*W) scale is folded
into the classifier weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from .._build import parse_cascade
from .._cascade import Cascade
from ._basic import conv2d, conv_output_size, gemm
from ._util import affine, check_positive

__all__ = ["resnet18", "resnet50", "resnet18_layers", "resnet50_layers", "LayerEntry"]


class LayerEntry(NamedTuple):
    """One unique layer shape of a network: its name, a single-layer cascade, and how often it occurs."""

    name: str
    cascade: Cascade
    repeat: int


@dataclass(frozen=True)
class _Act:
    tensor: str
    channels: str  # rank naming the channel dimension
    size: int  # spatial extent (unpadded, square)
    pad: int  # halo the buffer is allocated with


@dataclass(frozen=True)
class _ConvSpec:
    C: int
    K: int
    H: int
    R: int
    stride: int
    padding: int


class _Net:
    """Accumulates the Einsum lines, rank sizes and declarations of a network."""

    def __init__(self, batch: int) -> None:
        self.lines: list[str] = []
        self.shapes: dict[str, int] = {"n": batch}
        self.tensors: dict[str, dict] = {}
        self.convs: list[_ConvSpec] = []
        self.count = 0

    def ranks(self, **sizes: int) -> dict[str, str]:
        self.count += 1
        names = {}
        for base, size in sizes.items():
            name = f"{base}{self.count}"
            self.shapes[name] = size
            names[base] = name
        return names

    def buffer(self, tensor: str, channels: str, size: int, pad: int, init: float = 0.0) -> _Act:
        if pad:
            r = self.ranks(y=size + 2 * pad, x=size + 2 * pad)
            self.tensors[tensor] = {"dims": ["n", channels, r["y"], r["x"]], **({"init": init} if init else {})}
        return _Act(tensor, channels, size, pad)

    def conv(self, x: _Act, K: int, R: int, stride: int, padding: int, tag: str) -> tuple[str, dict[str, str], int]:
        """Convolution into an unpadded tensor ``C<tag>``; returns it, its ranks and output size."""
        P = conv_output_size("resnet", x.size, R, stride, padding)
        r = self.ranks(k=K, c=self.shapes[x.channels], p=P, q=P, r=R, s=R)
        offset = x.pad - padding
        rows = affine((r["p"], stride), r["r"], constant=offset)
        cols = affine((r["q"], stride), r["s"], constant=offset)
        out, weight = f"C{tag}", f"W{tag}"
        self.tensors[weight] = {"weight": True}
        self.lines.append(f"{out}[n,{r['k']},{r['p']},{r['q']}] = {x.tensor}[n,{r['c']},{rows},{cols}] * {weight}[{r['k']},{r['c']},{r['r']},{r['s']}]")
        self.convs.append(_ConvSpec(self.shapes[x.channels], K, x.size, R, stride, padding))
        return out, r, P

    def epilogue(self, conv: tuple[str, dict[str, str], int], tag: str, out_pad: int, extra: list[str] = (), init: float = 0.0) -> _Act:
        """``Y<tag> = relu(C<tag> + B<tag> + extra terms)`` written into a buffer with halo ``out_pad``."""
        out, r, P = conv
        bias = f"B{tag}"
        self.tensors[bias] = {"weight": True}
        act = self.buffer(f"Y{tag}", r["k"], P, out_pad, init)
        at = f"n,{r['k']},{affine(r['p'], constant=out_pad)},{affine(r['q'], constant=out_pad)}"
        terms = " + ".join([f"{out}[n,{r['k']},{r['p']},{r['q']}]", f"{bias}[{r['k']}]", *extra])
        self.lines.append(f"Y{tag}[{at}] = relu({terms})")
        return act

    def shortcut(self, x: _Act, r: dict[str, str]) -> str:
        return f"{x.tensor}[n,{r['k']},{affine(r['p'], constant=x.pad)},{affine(r['q'], constant=x.pad)}]"


def _stem(net: _Net, channels: int, image: int, pool_pad_out: int) -> _Act:
    r = net.ranks(c=channels, h=image, w=image)
    net.tensors["IMG"] = {"dims": ["n", r["c"], r["h"], r["w"]]}
    padded = net.buffer("IMGP", r["c"], image, 3)
    net.lines.append(f"IMGP[n,{r['c']},{r['h']}+3,{r['w']}+3] = IMG[n,{r['c']},{r['h']},{r['w']}]")
    y = net.epilogue(net.conv(padded, 64, 7, 2, 3, "stem"), "stem", 1, init=float("-inf"))
    P = conv_output_size("resnet", y.size, 3, 2, 1)
    pr = net.ranks(p=P, q=P, r=3, s=3)
    pooled = net.buffer("POOL", y.channels, P, pool_pad_out)
    off = y.pad - 1
    rows = affine((pr["p"], 2), pr["r"], constant=off)
    cols = affine((pr["q"], 2), pr["s"], constant=off)
    at = f"{affine(pr['p'], constant=pool_pad_out)},{affine(pr['q'], constant=pool_pad_out)}"
    net.lines.append(f"POOL[n,{y.channels},{at}] = {y.tensor}[n,{y.channels},{rows},{cols}] :: max({pr['r']},{pr['s']})")
    return pooled


def _head(net: _Net, x: _Act, classes: int) -> None:
    r = net.ranks(p=x.size, q=x.size, j=classes)
    net.tensors.update(WFC={"weight": True}, BFC={"weight": True})
    net.lines.append(f"GAP[n,{x.channels}] = {x.tensor}[n,{x.channels},{affine(r['p'], constant=x.pad)},{affine(r['q'], constant=x.pad)}]")
    net.lines.append(f"FC[n,{r['j']}] = GAP[n,{x.channels}] * WFC[{x.channels},{r['j']}]")
    net.lines.append(f"LOGITS[n,{r['j']}] = FC[n,{r['j']}] + BFC[{r['j']}]")


def _basic_net(batch: int, image: int, classes: int) -> _Net:
    net = _Net(batch)
    x = _stem(net, 3, image, 1)
    stages = [(64, 1), (128, 2), (256, 2), (512, 2)]
    for s, (width, stride) in enumerate(stages):
        for b in range(2):
            tag = f"{s + 1}_{b}"
            step = stride if b == 0 else 1
            last = s == len(stages) - 1 and b == 1
            y1 = net.epilogue(net.conv(x, width, 3, step, 1, tag + "a"), tag + "a", 1)
            conv = net.conv(y1, width, 3, 1, 1, tag + "b")
            if step != 1 or net.shapes[x.channels] != width:
                down = net.conv(x, width, 1, step, 0, tag + "d")
                net.tensors[f"B{tag}d"] = {"weight": True}
                extra = [f"{down[0]}[n,{conv[1]['k']},{conv[1]['p']},{conv[1]['q']}]", f"B{tag}d[{conv[1]['k']}]"]
            else:
                extra = [net.shortcut(x, conv[1])]
            x = net.epilogue(conv, tag + "b", 0 if last else 1, extra)
    _head(net, x, classes)
    return net


def _bottleneck_net(batch: int, image: int, classes: int) -> _Net:
    net = _Net(batch)
    x = _stem(net, 3, image, 0)
    stages = [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]
    for s, (width, blocks, stride) in enumerate(stages):
        for b in range(blocks):
            tag = f"{s + 1}_{b}"
            step = stride if b == 0 else 1
            y1 = net.epilogue(net.conv(x, width, 1, 1, 0, tag + "a"), tag + "a", 1)
            y2 = net.epilogue(net.conv(y1, width, 3, step, 1, tag + "b"), tag + "b", 0)
            conv = net.conv(y2, 4 * width, 1, 1, 0, tag + "c")
            if b == 0:
                down = net.conv(x, 4 * width, 1, step, 0, tag + "d")
                net.tensors[f"B{tag}d"] = {"weight": True}
                extra = [f"{down[0]}[n,{conv[1]['k']},{conv[1]['p']},{conv[1]['q']}]", f"B{tag}d[{conv[1]['k']}]"]
            else:
                extra = [net.shortcut(x, conv[1])]
            x = net.epilogue(conv, tag + "c", 0, extra)
    _head(net, x, classes)
    return net


def _check(builder: str, batch: int, image: int, classes: int) -> None:
    check_positive(builder, batch=batch, image=image, classes=classes)
    conv_output_size(builder, image, 32, 32, 0)  # the network downsamples by 32


def resnet18(batch: int = 1, image: int = 224, classes: int = 1000) -> Cascade:
    """ResNet-18 inference as one cascade (every conv, bias+ReLU, shortcut add, pools and classifier).

    Parameters
    ----------
    batch : int
        Images (rank n).
    image : int
        Height and width of the input image (at least 32).
    classes : int
        Classifier outputs.

    Raises
    ------
    TypeError, ValueError
        For non-positive sizes or an image smaller than 32.
    """
    _check("resnet18", batch, image, classes)
    net = _basic_net(batch, image, classes)
    return parse_cascade(net.lines, net.shapes, name="resnet18", tensors=net.tensors)


def resnet50(batch: int = 1, image: int = 224, classes: int = 1000) -> Cascade:
    """ResNet-50 (v1.5: stride in the 3x3 convolution) inference as one cascade.

    Parameters
    ----------
    batch, image, classes : int
        As :func:`resnet18`.

    Raises
    ------
    TypeError, ValueError
        For non-positive sizes or an image smaller than 32.
    """
    _check("resnet50", batch, image, classes)
    net = _bottleneck_net(batch, image, classes)
    return parse_cascade(net.lines, net.shapes, name="resnet50", tensors=net.tensors)


def _layers(net: _Net, batch: int, classes: int) -> tuple[LayerEntry, ...]:
    counts: dict[_ConvSpec, int] = {}
    for spec in net.convs:
        counts[spec] = counts.get(spec, 0) + 1
    entries = []
    for spec, repeat in counts.items():
        name = f"conv{spec.R}x{spec.R}_c{spec.C}_k{spec.K}_h{spec.H}_s{spec.stride}"
        cascade = conv2d(N=batch, C=spec.C, K=spec.K, H=spec.H, W=spec.H, R=spec.R, S=spec.R, stride=spec.stride, padding=spec.padding)
        entries.append(LayerEntry(name, cascade, repeat))
    features = net.convs[-1].K
    entries.append(LayerEntry("fc", gemm(M=batch, N=classes, K=features), 1))
    return tuple(entries)


def resnet18_layers(batch: int = 1, image: int = 224, classes: int = 1000) -> tuple[LayerEntry, ...]:
    """Unique convolution and classifier shapes of ResNet-18 with their repeat counts.

    Raises
    ------
    TypeError, ValueError
        As :func:`resnet18`.
    """
    _check("resnet18_layers", batch, image, classes)
    return _layers(_basic_net(batch, image, classes), batch, classes)


def resnet50_layers(batch: int = 1, image: int = 224, classes: int = 1000) -> tuple[LayerEntry, ...]:
    """Unique convolution and classifier shapes of ResNet-50 with their repeat counts.

    Raises
    ------
    TypeError, ValueError
        As :func:`resnet50`.
    """
    _check("resnet50_layers", batch, image, classes)
    return _layers(_bottleneck_net(batch, image, classes), batch, classes)
