"""``rearrange`` against keras.ops.rearrange on the same inputs, and its pattern errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchseq
from torchseq.layers.symbolic import KerasTensor
from torchseq.ops import _dispatch
from torchseq.ops._einops import rearrange

keras = pytest.importorskip("keras")

IMAGES = np.random.default_rng(0).normal(size=(2, 4, 6, 3)).astype("float32")

# (pattern, axes_lengths): the patterns of keras.ops.rearrange's documentation, and more.
PATTERNS = [
    ("b h w c -> b c h w", {}),
    ("b h w c -> (b h) w c", {}),
    ("b h w c -> h (b w) c", {}),
    ("b h w c -> b (c h w)", {}),
    ("b (h1 h) (w1 w) c -> (b h1 w1) h w c", {"h1": 2, "w1": 3}),
    ("b (h h1) (w w1) c -> b h w (c h1 w1)", {"h1": 2, "w1": 2}),
    ("b (h h1) w c -> (b h1) w (h c)", {"h": 2}),
    ("b h w c->c b w h", {}),
]


@pytest.mark.parametrize(("pattern", "axes_lengths"), PATTERNS, ids=[p for p, _ in PATTERNS])
def test_rearrange_matches_keras(pattern, axes_lengths):
    expected = keras.ops.convert_to_numpy(keras.ops.rearrange(IMAGES, pattern, **axes_lengths))
    actual = rearrange(torch.from_numpy(IMAGES), pattern, **axes_lengths)
    assert isinstance(actual, torch.Tensor)
    np.testing.assert_array_equal(actual.numpy(), expected)


def test_rearrange_takes_numpy_and_keeps_integer_dtype():
    x = np.arange(24).reshape(2, 3, 4)
    actual = rearrange(x, "a b c -> c (a b)")
    assert actual.dtype == torch.int64
    np.testing.assert_array_equal(actual.numpy(), x.transpose(2, 0, 1).reshape(4, 6))


def test_rearrange_unit_groups_add_and_drop_length_one_axes():
    x = torch.arange(6.0).reshape(2, 1, 3)
    assert rearrange(x, "a () c -> c a")[2, 1] == 5.0
    assert tuple(rearrange(x, "a b c -> a () (b c)").shape) == (2, 1, 3)


def test_rearrange_on_a_symbolic_tensor_adds_a_node():
    op = _dispatch.symbolic_aware(_dispatch.OpSpec(rearrange, "rearrange"))
    inputs = torchseq.Input((4, 6, 3))
    outputs = op(inputs, "b (h h1) w c -> b h (w h1 c)", h1=2)
    assert isinstance(outputs, KerasTensor)
    assert tuple(outputs.shape) == (None, 2, 36)
    assert op.spec.class_name == "Rearrange"
    model = torchseq.Model(inputs, outputs)
    expected = keras.ops.rearrange(IMAGES, "b (h h1) w c -> b h (w h1 c)", h1=2)
    np.testing.assert_array_equal(
        model(torch.from_numpy(IMAGES)).detach().numpy(), keras.ops.convert_to_numpy(expected)
    )


@pytest.mark.parametrize(
    ("pattern", "axes_lengths", "message"),
    [
        ("b h w c", {}, "one '->'"),
        ("b h -> w -> c", {}, "one '->'"),
        ("b ... c -> b c ...", {}, r"does not support '\.\.\.'"),
        ("b h w c -> b (h w c", {}, "unbalanced or nested parentheses"),
        ("b ((h w)) c d -> b h w c d", {}, "unbalanced or nested parentheses"),
        ("b h w c -> b h w", {}, r"only on the input side \['c'\]"),
        ("b h w c -> b h w c x", {}, r"only on the output side \['x'\]"),
        ("b h h c -> b h c", {}, r"input side of .* repeats the axes \['h'\]"),
        ("b h w c -> b (h h) w c", {}, r"output side of .* repeats the axes \['h'\]"),
        ("b h w -> b w h", {}, "names 3 input axes, but the tensor has rank 4"),
        ("b (h1 h) w c -> b h1 h w c", {}, r"can infer one length, but \['h1', 'h'\]"),
        ("b (h1 h) w c -> b h1 h w c", {"h1": 3}, r"length 4, which .* \{'h1': 3\} do not divide"),
        ("b h w c -> b w h c", {"h": 5}, "length 4, which .* do not multiply to"),
        ("b h w c -> b w h c", {"z": 5}, r"axes_lengths names axes \['z'\]"),
        ("b h w 1c -> b w h 1c", {}, "axis names must be identifiers"),
    ],
)
def test_rearrange_rejects_bad_patterns(pattern, axes_lengths, message):
    with pytest.raises(ValueError, match=message):
        rearrange(IMAGES, pattern, **axes_lengths)


def test_rearrange_rejects_a_pattern_that_is_not_a_string():
    with pytest.raises(TypeError, match="expected a str pattern, received: pattern=3"):
        rearrange(IMAGES, 3)
