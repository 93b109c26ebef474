"""Real models, built locally with random weights (nothing downloaded) and exported with torch.onnx.export.

ResNet-18 (the torchvision architecture, written out here in plain torch so the suite needs no torchvision
build), a small vision transformer of the same kind, and a Hugging Face BERT encoder: the imported cascade, run
by our executor, matches onnxruntime and torch; MAC counts and tensor sizes of ResNet-18 and BERT-base match the
library's tables.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter

import numpy as np
import onnx
import pytest

from dataflow import library
from dataflow.onnx import import_onnx, run_imported

if os.environ.get("CI"):  # make test installs the [models] extra: in CI these tests run, never skip
    import torch
    import transformers
else:
    torch = pytest.importorskip("torch", reason="the [models] extra (make test installs it)")
    transformers = pytest.importorskip("transformers")

nn = torch.nn

RTOL, ATOL = 1e-4, 1e-4


def _export(module, example, path, dynamo=True):
    """Export with the torch.export-based exporter (default) or the TorchScript one (``dynamo=False``)."""
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kwargs = {} if dynamo else {"opset_version": 17, "input_names": ["embeddings" if example.dim() == 3 else "image"]}
        torch.onnx.export(module.eval(), (example,), str(path), dynamo=dynamo, verbose=False, **kwargs)
    return path


class _BasicBlock(nn.Module):
    """ResNet's basic block: two 3x3 convolutions with batch norm, a 1x1 projection where the shape changes."""

    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class _ResNet18(nn.Module):
    """ResNet-18 as torchvision defines it (He et al. 2016): 7x7 stem, max pool, 4 stages of 2 basic blocks, fc."""

    def __init__(self, classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        stages, inplanes = [], 64
        for planes, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            stages.append(nn.Sequential(_BasicBlock(inplanes, planes, stride), _BasicBlock(planes, planes, 1)))
            inplanes = planes
        self.layers = nn.Sequential(*stages)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(self.avgpool(self.layers(x)), 1))


class _ViT(nn.Module):
    """A vision transformer as in Dosovitskiy et al. 2021 (torchvision's layout): patch convolution, class token,
    learned position embedding, pre-norm encoder blocks, the class token's read-out through a linear head."""

    def __init__(self, image_size, patch_size, num_layers, num_heads, hidden_dim, mlp_dim, num_classes):
        super().__init__()
        self.patch_size, self.hidden_dim = patch_size, hidden_dim
        self.conv_proj = nn.Conv2d(3, hidden_dim, patch_size, patch_size)
        self.class_token = nn.Parameter(torch.zeros(1, 1, hidden_dim))
        seq = (image_size // patch_size) ** 2 + 1
        self.pos_embedding = nn.Parameter(torch.empty(1, seq, hidden_dim).normal_(std=0.02))
        self.blocks = nn.ModuleList(_ViTBlock(num_heads, hidden_dim, mlp_dim) for _ in range(num_layers))
        self.ln = nn.LayerNorm(hidden_dim, eps=1e-6)
        self.head = nn.Linear(hidden_dim, num_classes)

    def _process_input(self, x):
        n, _, h, w = x.shape
        x = self.conv_proj(x).reshape(n, self.hidden_dim, (h // self.patch_size) * (w // self.patch_size))
        return x.permute(0, 2, 1)

    def forward(self, x):
        x = self._process_input(x)
        x = torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embedding
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x)[:, 0])


class _ViTBlock(nn.Module):
    def __init__(self, num_heads, hidden_dim, mlp_dim):
        super().__init__()
        self.ln_1 = nn.LayerNorm(hidden_dim, eps=1e-6)
        self.self_attention = nn.MultiheadAttention(hidden_dim, num_heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(hidden_dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(hidden_dim, mlp_dim), nn.GELU(), nn.Linear(mlp_dim, hidden_dim))

    def forward(self, x):
        y = self.ln_1(x)
        x = x + self.self_attention(y, y, y, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class _Encoder(torch.nn.Module):
    """A BERT encoder on summed input embeddings (the word look-up is data-dependent, not an Einsum)."""

    def __init__(self, config):
        super().__init__()
        self.bert = transformers.BertModel(config, add_pooling_layer=False)

    def forward(self, embeddings):
        return self.bert(inputs_embeds=embeddings).last_hidden_state


def _bert_config(**sizes):
    return transformers.BertConfig(attn_implementation="eager", **sizes)


def _compare(imported, path, feeds, torch_out=None):
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    expected = session.run(None, feeds)
    got = run_imported(imported, feeds)
    (name,) = got
    np.testing.assert_allclose(got[name], expected[0], rtol=RTOL, atol=ATOL)
    if torch_out is not None:
        np.testing.assert_allclose(got[name], torch_out, rtol=RTOL, atol=ATOL)


def _mac_counts(cascade):
    return Counter(m for m in (e.macs(cascade.shapes) for e in cascade.einsums) if m)


def _library_mac_counts(entries):
    counts = Counter()
    for entry in entries:
        for einsum in entry.cascade.einsums:
            macs = einsum.macs(entry.cascade.shapes)
            if macs:
                counts[macs] += entry.repeat
    return counts


@pytest.fixture(scope="module")
def resnet18():
    torch.manual_seed(0)
    return _ResNet18().eval()


@pytest.mark.parametrize("dynamo", [True, False], ids=["torch.export", "torchscript"])
def test_resnet18_matches_onnxruntime_and_torch(resnet18, tmp_path, dynamo):
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    path = _export(resnet18, x, tmp_path / "resnet18.onnx", dynamo)
    imported = import_onnx(path)
    assert imported.skipped == ()
    with torch.no_grad():
        reference = resnet18(x).numpy()
    (name,) = (value.name for value in onnx.load(str(path)).graph.input)
    _compare(imported, path, {name: x.numpy()}, reference)


def test_resnet18_macs_and_sizes_agree_with_the_library(resnet18, tmp_path):
    path = _export(resnet18, torch.randn(1, 3, 224, 224), tmp_path / "resnet18_224.onnx")
    cascade = import_onnx(path).cascade
    assert _mac_counts(cascade) == _library_mac_counts(library.resnet18_layers())
    assert cascade.macs() == library.resnet18().macs() == 1_814_073_344
    _assert_same_sizes(cascade, library.resnet18())


def _assert_same_sizes(cascade, lib):
    """Outputs and weights of the MAC-bearing Einsums (convolutions, matrix products) have the library's sizes."""
    mac_einsums = [e for e in cascade.einsums if e.macs(cascade.shapes)]
    lib_mac_einsums = [e for e in lib.einsums if e.macs(lib.shapes)]
    sizes = lambda c, es: Counter(c.tensor_elements(e.output.tensor) for e in es)  # noqa: E731
    weights = lambda c, es: Counter(c.tensor_elements(a.tensor) for e in es for a in e.inputs if a.tensor in c.weights)  # noqa: E731
    assert sizes(cascade, mac_einsums) == sizes(lib, lib_mac_einsums)
    assert weights(cascade, mac_einsums) == weights(lib, lib_mac_einsums)


@pytest.mark.parametrize("dynamo", [True, False], ids=["torch.export", "torchscript"])
def test_bert_encoder_matches_onnxruntime_and_torch(tmp_path, dynamo):
    torch.manual_seed(0)
    config = _bert_config(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
                          max_position_embeddings=64)
    encoder = _Encoder(config).eval()
    x = torch.randn(1, 16, 64, generator=torch.Generator().manual_seed(2))
    path = _export(encoder, x, tmp_path / "bert_small.onnx", dynamo)
    imported = import_onnx(path)
    assert imported.skipped == ()
    assert "erf" in imported.cascade.op_counts()  # exact GELU
    with torch.no_grad():
        reference = encoder(x).numpy()
    _compare(imported, path, {"embeddings": x.numpy()}, reference)


def test_bert_with_token_ids_skips_the_embedding_lookup_and_says_why(tmp_path):
    torch.manual_seed(0)
    config = _bert_config(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                          max_position_embeddings=32, vocab_size=50)
    model = transformers.BertModel(config, add_pooling_layer=False).eval()

    class Ids(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, ids):
            return self.model(input_ids=ids).last_hidden_state

    ids = torch.tensor([[3, 7, 1, 49, 0, 12, 5, 5]])
    path = _export(Ids(), ids, tmp_path / "bert_ids.onnx")
    imported = import_onnx(path)
    (skip,) = [s for s in imported.skipped]
    assert skip.op_type == "Gather" and "data-dependent look-up (an embedding) is not an Einsum" in skip.reason
    (embedded,) = skip.outputs
    assert embedded in {b.onnx_name for b in imported.inputs}
    table = model.embeddings.word_embeddings.weight.detach().numpy()
    got = run_imported(imported, {embedded: table[ids.numpy()]})
    with torch.no_grad():
        expected = model(input_ids=ids).last_hidden_state.numpy()
    np.testing.assert_allclose(next(iter(got.values())), expected, rtol=RTOL, atol=ATOL)


@pytest.mark.slow
def test_bert_base_macs_softmax_and_layernorm_agree_with_the_library(tmp_path):
    seq = 128
    torch.manual_seed(0)
    encoder = _Encoder(_bert_config()).eval()
    path = _export(encoder, torch.randn(1, seq, 768), tmp_path / "bert_base.onnx")
    imported = import_onnx(path)
    cascade = imported.cascade
    entries = library.bert_base_layers(seq_len=seq)
    assert _mac_counts(cascade) == _library_mac_counts(entries)
    assert cascade.macs() == library.bert_base(seq_len=seq).macs()
    _assert_same_sizes(cascade, library.bert_base(seq_len=seq))
    op_types = {node.name: node.op_type for node in onnx.load(str(path), load_external_data=False).graph.node}
    groups: dict[str, Counter] = {}
    for einsum in cascade.einsums:
        node = imported.nodes[einsum.name]
        groups.setdefault(node, Counter()).update(einsum.op_counts(cascade.shapes))
    by_type = lambda kind: [dict(c) for node, c in groups.items() if op_types.get(node) == kind]  # noqa: E731
    table = {entry.name: dict(entry.cascade.op_counts()) for entry in entries}
    assert by_type("Softmax") == [table["softmax"]] * 12
    assert by_type("LayerNormalization") == [table["layernorm"]] * 25  # 24 in the blocks, 1 after the embeddings


def test_vision_transformer_imports_around_its_skipped_concat(tmp_path):
    """A small ViT: the class-token Concat along the flattened patch grid has no Einsum form (listed);
    fed its value, the rest (patch conv, attention, MLP, class-token read-out) matches torch."""
    torch.manual_seed(0)
    model = _ViT(image_size=16, patch_size=4, num_layers=1, num_heads=2, hidden_dim=16, mlp_dim=32, num_classes=5)
    torch.nn.init.normal_(model.head.weight)
    x = torch.randn(1, 3, 16, 16, generator=torch.Generator().manual_seed(3))
    path = _export(model, x, tmp_path / "vit.onnx")
    imported = import_onnx(path)
    (skip,) = imported.skipped
    assert skip.op_type == "Concat" and "merges 2 axes (4 x 4)" in skip.reason
    with torch.no_grad():
        tokens = torch.cat([model.class_token.expand(1, -1, -1), model._process_input(x)], dim=1)
        expected = model(x).numpy()
    (image,) = (b.onnx_name for b in imported.inputs if b.shape == (1, 3, 16, 16))
    got = run_imported(imported, {image: x.numpy(), skip.outputs[0]: tokens.numpy()})
    np.testing.assert_allclose(got[next(b.onnx_name for b in imported.outputs if b.shape == (1, 5))], expected, rtol=RTOL, atol=ATOL)
