"""The nn family of torchseq.ops (convolutions, pooling, attention, normalisations, CTC and
the newer activations) against keras.ops on the same inputs."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch

from torchseq import ops

_MODULES = [
    "_nn",
    "_nn_activations",
    "_nn_attention",
    "_nn_conv",
    "_nn_ctc",
    "_nn_normalization",
    "_nn_pooling",
    "_nn_rearrange",
]


def op(name: str):
    """``torchseq.ops.<name>`` (the public, symbolic-aware op) or, before it is exported, the
    function from its private module."""
    if hasattr(ops, name):
        return getattr(ops, name)
    for module in _MODULES:
        module = importlib.import_module(f"torchseq.ops.{module}")
        if hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(name)


RNG = np.random.default_rng(0)


def normal(*shape: int) -> np.ndarray:
    return RNG.normal(size=shape).astype("float32")


X = normal(3, 5) * 2
X3 = normal(2, 3, 4)
SEQ = normal(2, 9, 3)  # (batch, steps, channels)
IMG = normal(2, 7, 6, 3)  # (batch, h, w, channels)
IMG_CF = np.moveaxis(IMG, -1, 1).copy()
VOL = normal(1, 5, 4, 6, 2)
K1 = normal(3, 3, 4)
K2 = normal(3, 2, 3, 4)
K2_GROUPED = normal(3, 3, 1, 6)  # 3 input channels in 3 groups
K3 = normal(2, 3, 2, 2, 3)
DEPTH = normal(3, 3, 3, 2)  # (kh, kw, channels, multiplier)
POINT = normal(1, 1, 6, 4)
T2 = normal(3, 3, 5, 3)  # transposed kernel (kh, kw, out, in)
T1 = normal(4, 2, 3)
Q = normal(2, 4, 4, 8)
KV = normal(2, 6, 2, 8)
V = normal(2, 6, 2, 5)
MASK = RNG.uniform(size=(2, 1, 4, 6)) > 0.3
BIAS = normal(2, 4, 4, 6)
LABELS = np.array([[1, 2, 2, 0], [3, 1, 0, 0]], dtype="int64")
LOGITS = normal(2, 8, 5)

# (name, args, kwargs): run through keras.ops.<name> and torchseq.ops.<name>.
KERAS_CASES = [
    ("celu", (X,), {"alpha": 0.7}),
    ("glu", (X3,), {}),
    ("glu", (normal(2, 4, 3),), {"axis": 1}),
    ("hard_silu", (X,), {}),
    ("hard_swish", (X,), {}),
    ("hard_tanh", (X,), {}),
    ("hard_shrink", (X,), {"threshold": 0.8}),
    ("soft_shrink", (X,), {}),
    ("tanh_shrink", (X,), {}),
    ("threshold", (X, 0.3, -1.0), {}),
    ("sparse_plus", (X,), {}),
    ("sparse_sigmoid", (X,), {}),
    ("squareplus", (X,), {"b": 2}),
    # Keras's threshold is right only where one element survives (see the test below).
    ("sparsemax", (np.array([[-1.0, 0.0, 1.0], [3.0, 0.5, -2.0]], "float32"),), {}),
    ("sparsemax", (np.array([[[4.0], [0.0]], [[-1.0], [2.5]]], "float32"),), {"axis": 1}),
    ("multi_hot", (np.array([[0, 2], [1, 1], [3, -1]]),), {"num_classes": 4}),
    ("multi_hot", (np.array([0, 3]),), {"num_classes": 5}),
    ("polar", (np.abs(X), X), {}),
    ("psnr", (np.abs(X), np.abs(X) + 0.1), {"max_val": 2.0}),
    ("conv", (SEQ, K1), {}),
    ("conv", (SEQ, K1), {"strides": 2, "padding": "same"}),
    ("conv", (SEQ, K1), {"dilation_rate": 2, "padding": "same"}),
    ("conv", (IMG, K2), {}),
    ("conv", (IMG, K2), {"strides": (2, 1), "padding": "same"}),
    ("conv", (IMG, K2), {"dilation_rate": (2, 1), "padding": "same"}),
    ("conv", (IMG_CF, K2), {"strides": 2, "padding": "same", "data_format": "channels_first"}),
    ("conv", (IMG, K2_GROUPED), {"padding": "same"}),
    ("conv", (VOL, K3), {"strides": (1, 2, 2), "padding": "same"}),
    ("depthwise_conv", (IMG, DEPTH), {}),
    ("depthwise_conv", (IMG, DEPTH), {"strides": 2, "padding": "same"}),
    ("depthwise_conv", (IMG_CF, DEPTH), {"padding": "same", "data_format": "channels_first"}),
    ("separable_conv", (IMG, DEPTH, POINT), {"padding": "same"}),
    ("separable_conv", (IMG, DEPTH, POINT), {"strides": 2}),
    ("conv_transpose", (IMG, T2), {}),
    ("conv_transpose", (IMG, T2), {"strides": 2, "padding": "same"}),
    ("conv_transpose", (IMG, T2), {"strides": 2, "padding": "valid", "output_padding": 1}),
    ("conv_transpose", (IMG, T2), {"strides": (2, 3), "padding": "same", "output_padding": (1, 0)}),
    ("conv_transpose", (IMG, T2), {"dilation_rate": 2, "padding": "same"}),
    ("conv_transpose", (IMG_CF, T2), {"strides": 2, "data_format": "channels_first"}),
    ("conv_transpose", (SEQ, T1), {"strides": 3, "padding": "same"}),
    ("max_pool", (SEQ, 2), {}),
    ("max_pool", (SEQ, 3), {"strides": 2, "padding": "same"}),
    ("max_pool", (IMG, (2, 3)), {"strides": 1}),
    ("max_pool", (IMG, 3), {"strides": 2, "padding": "same"}),
    ("max_pool", (IMG_CF, 2), {"padding": "same", "data_format": "channels_first"}),
    ("max_pool", (VOL, 2), {"padding": "same"}),
    ("average_pool", (SEQ, 2), {}),
    ("average_pool", (SEQ, 3), {"strides": 3, "padding": "same"}),  # even padding
    ("average_pool", (IMG, (2, 3)), {"strides": 1}),
    ("average_pool", (IMG, 3), {"strides": 1, "padding": "same"}),
    (
        "average_pool",
        (IMG_CF, 3),
        {"strides": 1, "padding": "same", "data_format": "channels_first"},
    ),
    ("average_pool", (VOL, 2), {}),
    ("adaptive_max_pool", (SEQ, 4), {}),
    ("adaptive_max_pool", (IMG, (3, 2)), {}),
    ("adaptive_max_pool", (IMG_CF, 3), {"data_format": "channels_first"}),
    ("adaptive_average_pool", (SEQ, 4), {}),
    ("adaptive_average_pool", (IMG, (3, 4)), {}),
    ("adaptive_average_pool", (VOL, 2), {}),
    ("batch_normalization", (IMG, normal(3), np.abs(normal(3)), -1), {}),
    (
        "batch_normalization",
        (IMG_CF, normal(3), np.abs(normal(3)), 1),
        {"offset": normal(3), "scale": normal(3), "epsilon": 0.1},
    ),
    ("layer_normalization", (X3,), {}),
    ("layer_normalization", (X3,), {"gamma": normal(4), "beta": normal(4), "epsilon": 0.01}),
    ("layer_normalization", (X3,), {"axis": (1, 2), "gamma": normal(3, 4), "beta": normal(3, 4)}),
    ("rms_normalization", (X3,), {}),
    ("rms_normalization", (X3,), {"scale": normal(4), "epsilon": 0.01}),
    ("rms_normalization", (X3,), {"axis": (1, 2)}),
    ("dot_product_attention", (Q, normal(2, 6, 4, 8), normal(2, 6, 4, 5)), {}),
    ("dot_product_attention", (Q, KV, V), {}),
    ("dot_product_attention", (Q, KV, V), {"mask": MASK}),
    ("dot_product_attention", (Q, KV, V), {"bias": BIAS, "scale": 0.5}),
    ("dot_product_attention", (Q, normal(2, 4, 2, 8), normal(2, 4, 2, 5)), {"is_causal": True}),
    (
        "dot_product_attention",
        (Q, normal(2, 4, 2, 8), normal(2, 4, 2, 5)),
        {"is_causal": True, "mask": MASK[..., :4]},
    ),
    ("ctc_loss", (LABELS, LOGITS, np.array([4, 2]), np.array([8, 6])), {}),
    ("ctc_loss", (LABELS + 1, LOGITS, np.array([3, 2]), np.array([7, 8])), {"mask_index": 0}),
    ("ctc_decode", (LOGITS, np.array([8, 5])), {}),
    ("ctc_decode", (LOGITS, np.array([8, 5])), {"merge_repeated": False, "mask_index": 2}),
    (
        "ctc_decode",
        (LOGITS, np.array([8, 5])),
        {"strategy": "beam_search", "beam_width": 4, "top_paths": 2},
    ),
    (
        "ctc_decode",
        (normal(3, 6, 4), np.array([6, 6, 3])),
        {"strategy": "beam_search", "beam_width": 10, "top_paths": 3, "mask_index": 3},
    ),
    # Keras's unfold and fold take only tensors.
    ("unfold", (torch.tensor(IMG_CF), 2), {}),
    ("unfold", (torch.tensor(IMG_CF), (3, 2)), {"dilation": 1, "padding": 1, "stride": 2}),
    ("fold", (torch.tensor(normal(2, 12, 12)),), {"output_size": (4, 5), "kernel_size": 2}),
    ("depth_to_space", (normal(2, 3, 4, 8), 2), {}),
    ("depth_to_space", (normal(2, 8, 3, 4), 2), {"data_format": "channels_first"}),
    ("space_to_depth", (normal(2, 4, 6, 3), 2), {}),
    ("space_to_depth", (normal(2, 3, 6, 9), 3), {"data_format": "channels_first"}),
]


def _case_id(case: tuple) -> str:
    name, args, kwargs = case
    shapes = "x".join(str(getattr(a, "shape", a)) for a in args[:1])
    return f"{name}-{shapes}" + "".join(
        f"-{k}={v if np.ndim(v) == 0 else 'array'}" for k, v in kwargs.items()
    )


def _as_numpy(result) -> list[np.ndarray]:
    if isinstance(result, (tuple, list)):
        return [ops.convert_to_numpy(r) for r in result]
    return [ops.convert_to_numpy(result)]


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


@pytest.mark.parametrize("case", KERAS_CASES, ids=_case_id)
def test_matches_keras_ops(keras, case):
    name, args, kwargs = case
    theirs = _as_numpy(getattr(keras.ops, name)(*args, **kwargs))
    ours = _as_numpy(op(name)(*args, **kwargs))
    assert len(ours) == len(theirs)
    for mine, reference in zip(ours, theirs):
        assert mine.shape == reference.shape
        assert mine.dtype == reference.dtype or name == "ctc_decode"
        np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-5)


def test_the_keras_ops_nn_namespace_is_complete(keras):
    from torchseq.ops import nn

    expected = {name for name in dir(keras.ops.nn) if not name.startswith("_")}
    assert expected <= set(nn.__all__)
    for name in expected:
        assert getattr(nn, name) is getattr(ops, name)


# ---------------------------------------------------------------------- where we differ


def test_uneven_same_average_pooling_averages_only_real_elements():
    x = np.arange(1.0, 6.0, dtype="float32").reshape(1, 5, 1)
    # windows of 2 at stride 2 over 5 elements: [1, 2], [3, 4], [5] (+ one padded element)
    out = op("average_pool")(x, 2, padding="same")
    np.testing.assert_allclose(ops.convert_to_numpy(out).ravel(), [1.5, 3.5, 5.0])


def test_layer_and_rms_normalization_over_a_leading_axis_follow_the_maths():
    x = torch.tensor(X3)
    mean, var = x.mean(dim=1, keepdim=True), x.var(dim=1, unbiased=False, keepdim=True)
    expected = (x - mean) / torch.sqrt(var + 1e-3)
    torch.testing.assert_close(op("layer_normalization")(x, axis=1, epsilon=1e-3), expected)
    rms = x / torch.sqrt(x.square().mean(dim=1, keepdim=True) + 1e-3)
    torch.testing.assert_close(op("rms_normalization")(x, axis=1, epsilon=1e-3), rms)


def test_sparsemax_projects_onto_the_simplex():
    out = op("sparsemax")([[0.5, 0.2, -1.0], [1.0, 1.0, 1.0]])
    torch.testing.assert_close(out, torch.tensor([[0.65, 0.35, 0.0], [1 / 3, 1 / 3, 1 / 3]]))
    torch.testing.assert_close(op("sparsemax")(X3, axis=1).sum(dim=1), torch.ones(2, 4))


def test_a_fully_masked_attention_row_averages_the_values():
    mask = np.zeros((1, 1, 4, 6), dtype=bool)
    out = op("dot_product_attention")(Q[:1], KV[:1], V[:1], mask=mask)
    expected = np.broadcast_to(V[:1].mean(axis=1, keepdims=True), (1, 4, 2, 5)).repeat(2, axis=2)
    np.testing.assert_allclose(ops.convert_to_numpy(out), expected, rtol=1e-5, atol=1e-6)


def test_layer_normalization_rms_scaling_warns_and_matches_keras(keras):
    gamma = normal(4)
    with pytest.warns(UserWarning, match="deprecated"):
        theirs = keras.ops.layer_normalization(X3, gamma=gamma, rms_scaling=True)
    with pytest.warns(UserWarning, match="deprecated"):
        ours = op("layer_normalization")(X3, gamma=gamma, rms_scaling=True)
    np.testing.assert_allclose(ops.convert_to_numpy(ours), ops.convert_to_numpy(theirs), rtol=1e-5)


def test_conv_keeps_the_gradient():
    x = torch.tensor(IMG, requires_grad=True)
    op("conv")(x, K2, padding="same").sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "error", "match"),
    [
        (
            "conv",
            (SEQ, K1),
            {"padding": "causal"},
            ValueError,
            r"padding to be 'valid' or 'same', received: padding='causal'",
        ),
        ("conv", (X, K1), {}, ValueError, r"rank 3, 4, 5 .* received: shape=\(3, 5\)"),
        ("conv", (SEQ, K2), {}, ValueError, r"kernel of rank 3 .* kernel.shape=\(3, 2, 3, 4\)"),
        (
            "conv",
            (IMG, normal(3, 3, 2, 4)),
            {},
            ValueError,
            r"input channels \(3\) to be a multiple of the kernel's input channels \(2\)",
        ),
        (
            "conv",
            (SEQ, K1),
            {"strides": 0},
            ValueError,
            r"strides to be an int or a tuple of 1 ints >= 1, received: strides=0",
        ),
        ("conv", (SEQ, K1), {"data_format": "NHWC"}, ValueError, r"conv: .*NHWC"),
        (
            "depthwise_conv",
            (IMG, normal(3, 3, 2, 2)),
            {},
            ValueError,
            r"kernel's input channels \(axis -2\) to equal the input's 3 channels",
        ),
        (
            "conv_transpose",
            (IMG, normal(3, 3, 5, 2)),
            {},
            ValueError,
            r"kernel's input channels \(axis -1\) to equal the input's 3 channels",
        ),
        ("max_pool", (SEQ, (2, 2)), {}, ValueError, r"pool_size to be an int or a tuple of 1 ints"),
        ("max_pool", (SEQ, 2), {"padding": "full"}, ValueError, r"received: padding='full'"),
        ("average_pool", (X, 2), {}, ValueError, r"received: shape=\(3, 5\)"),
        (
            "adaptive_average_pool",
            (IMG, (2, 2, 2)),
            {},
            ValueError,
            r"output_size to be an int or a tuple of 2 ints",
        ),
        ("glu", (X,), {}, ValueError, r"even size along axis=-1, received: x.shape=\(3, 5\)"),
        ("squareplus", (X,), {"b": -1}, ValueError, r"b >= 0, received: b=-1"),
        ("multi_hot", ([1, 2],), {}, ValueError, r"expected num_classes"),
        (
            "psnr",
            (X, X3),
            {"max_val": 1.0},
            ValueError,
            r"same shape, received: x1.shape=\(3, 5\), x2.shape=\(2, 3, 4\)",
        ),
        (
            "layer_normalization",
            (X3,),
            {"axis": 3},
            ValueError,
            r"axes within \[-3, 3\) .* received: axis=3",
        ),
        ("dot_product_attention", (X3, X3, X3), {}, ValueError, r"4-D .* query.shape=\(2, 3, 4\)"),
        (
            "dot_product_attention",
            (Q, KV, V),
            {"mask": MASK, "bias": BIAS},
            ValueError,
            r"at most one of bias and mask",
        ),
        (
            "dot_product_attention",
            (Q, normal(2, 6, 3, 8), normal(2, 6, 3, 5)),
            {},
            ValueError,
            r"heads \(4\) to be a multiple of the key's \(3\)",
        ),
        (
            "dot_product_attention",
            (Q, KV, V),
            {"attn_logits_soft_cap": 50.0},
            ValueError,
            r"attn_logits_soft_cap=None",
        ),
        (
            "dot_product_attention",
            (Q, KV, V),
            {"flash_attention": True},
            RuntimeError,
            r"cannot run flash attention",
        ),
        (
            "ctc_decode",
            (LOGITS, [8, 5]),
            {"strategy": "best"},
            ValueError,
            r"\['greedy', 'beam_search'\], received: strategy='best'",
        ),
        (
            "ctc_loss",
            (LABELS, X, [1, 1], [3, 3]),
            {},
            ValueError,
            r"\(batch, max_time, classes\), received: output.shape=\(3, 5\)",
        ),
        ("unfold", (SEQ, 2), {}, ValueError, r"4-D input .* received: shape=\(2, 9, 3\)"),
        ("fold", (IMG, (2, 2), 2), {}, ValueError, r"3-D input .* received: shape=\(2, 7, 6, 3\)"),
        (
            "depth_to_space",
            (IMG, 1),
            {},
            ValueError,
            r"block_size to be an int >= 2, received: block_size=1",
        ),
        ("depth_to_space", (IMG, 2), {}, ValueError, r"channels \(3\) to be divisible by 4"),
        ("space_to_depth", (IMG, 2), {}, ValueError, r"height \(7\) to be divisible by 2"),
    ],
    ids=lambda v: v if isinstance(v, str) and not v.startswith(("(", "\\", "r", "[")) else "",
)
def test_errors_say_what_was_expected(name, args, kwargs, error, match):
    with pytest.raises(error, match=match):
        op(name)(*args, **kwargs)
