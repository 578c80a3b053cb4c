"""Tests for torchseq.layers.reshaping: Flatten, Reshape, Permute, RepeatVector."""

from __future__ import annotations

import pytest
import torch

from tests.layers.harness import LayerCase, check_layer
from torchseq import config
from torchseq.layers.input_layer import Input
from torchseq.layers.reshaping import Flatten, Permute, RepeatVector, Reshape

CASES = [
    LayerCase(Flatten, {}, (2, 3, 4)),
    LayerCase(Flatten, {}, (2, 3, 4, 5)),
    LayerCase(Flatten, {}, (2, 5)),
    LayerCase(Flatten, {}, (3,)),
    LayerCase(Flatten, {"data_format": "channels_first"}, (2, 3, 4, 5)),
    LayerCase(Flatten, {"data_format": "channels_first"}, (2, 3, 4)),
    LayerCase(Flatten, {"data_format": "channels_first"}, (2, 3)),
    LayerCase(Reshape, {"target_shape": (3, 4)}, (2, 12)),
    LayerCase(Reshape, {"target_shape": (-1, 2)}, (2, 3, 4)),
    LayerCase(Reshape, {"target_shape": (2, -1, 3)}, (2, 12)),
    LayerCase(Reshape, {"target_shape": (12,)}, (2, 3, 4)),
    LayerCase(Permute, {"dims": (2, 1)}, (2, 3, 4)),
    LayerCase(Permute, {"dims": (3, 1, 2)}, (2, 3, 4, 5)),
    LayerCase(Permute, {"dims": (1,)}, (2, 3)),
    LayerCase(RepeatVector, {"n": 3}, (2, 4)),
    LayerCase(RepeatVector, {"n": 1}, (2, 4)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_layer(case: LayerCase) -> None:
    check_layer(case)


# ---------------------------------------------------------------------- no copies


def test_flatten_and_reshape_return_views_of_contiguous_inputs() -> None:
    x = torch.randn(4, 3, 2)
    for layer in (Flatten(), Reshape((6,)), Reshape((-1, 3)), Permute((2, 1)), RepeatVector(2)):
        source = x if not isinstance(layer, RepeatVector) else x[:, :, 0]
        assert layer(source).data_ptr() == source.data_ptr(), layer


def test_flatten_channels_first_is_channels_last_order() -> None:
    x = torch.arange(12.0).reshape(1, 3, 2, 2)  # (batch, channels, h, w)
    expected = x.permute(0, 2, 3, 1).reshape(1, 12)
    torch.testing.assert_close(Flatten(data_format="channels_first")(x), expected)


def test_flatten_follows_the_global_data_format() -> None:
    config.set_image_data_format("channels_first")
    try:
        layer = Flatten()
    finally:
        config.set_image_data_format("channels_last")
    assert layer.data_format == "channels_first"
    assert Flatten().data_format == "channels_last"


def test_flatten_zero_batch() -> None:
    assert Flatten()(torch.zeros(0, 3, 2)).shape == (0, 6)
    assert Reshape((-1, 2))(torch.zeros(0, 3, 2)).shape == (0, 3, 2)


# ---------------------------------------------------------------------- symbolic shapes


def test_symbolic_shapes_and_dtypes() -> None:
    x = Input((3, 4))
    assert Flatten()(x).shape == (None, 12)
    assert Reshape((-1, 2))(x).shape == (None, 6, 2)
    assert Permute((2, 1))(x).shape == (None, 4, 3)
    assert RepeatVector(5)(Input((4,))).shape == (None, 5, 4)
    indices = Input((6,), dtype="int32")
    assert Reshape((2, 3))(indices).dtype == "int32"
    assert Flatten()(indices).dtype == "int32"


def test_unknown_sizes_stay_unknown() -> None:
    x = Input((None, 4))
    assert Flatten()(x).shape == (None, None)
    assert Reshape((-1, 2))(x).shape == (None, None, 2)
    assert Permute((2, 1))(x).shape == (None, 4, None)
    assert Flatten().compute_output_shape((None,)) == (None, 1)


# ---------------------------------------------------------------------- validation


def test_flatten_rejects_bad_data_format() -> None:
    with pytest.raises(ValueError, match=r"Flatten: data_format must be one of .*'channels_last'"):
        Flatten(data_format="channels_middle")


def test_reshape_validates_sizes_at_build() -> None:
    layer = Reshape((5, -1))
    with pytest.raises(
        ValueError, match=r'"reshape": cannot reshape an input of shape \(None, 3, 4\).*\(5, -1\)'
    ):
        layer(Input((3, 4)))
    with pytest.raises(ValueError, match=r"\(None, 12\) \(12 elements per sample\).*\(5,\)"):
        Reshape((5,))(torch.zeros(2, 12))


@pytest.mark.parametrize(
    ("target_shape", "error", "message"),
    [
        ((-1, -1), ValueError, r"at most one -1.*target_shape=\(-1, -1\)"),
        ((3, -2), ValueError, r"non-negative ints.*target_shape=\(3, -2\)"),
        ((3, 2.0), TypeError, r"tuple of ints.*target_shape=\(3, 2.0\)"),
        ("3x4", TypeError, r"tuple of ints.*target_shape='3x4'"),
    ],
)
def test_reshape_rejects_bad_target_shape(target_shape: object, error: type, message: str) -> None:
    with pytest.raises(error, match=f"Reshape: .*{message}"):
        Reshape(target_shape)


def test_reshape_accepts_a_list_from_a_json_config() -> None:
    layer = Reshape.from_config({**Reshape((3, 4)).get_config(), "target_shape": [3, 4]})
    assert layer.target_shape == (3, 4)


@pytest.mark.parametrize(
    ("dims", "error", "message"),
    [
        ((0, 1), ValueError, r"permutation of 1..n.*expected a reordering of \(1, 2\).*\(0, 1\)"),
        ((1, 1), ValueError, r"received: dims=\(1, 1\)"),
        ((1, 3), ValueError, r"received: dims=\(1, 3\)"),
        ("21", TypeError, r"tuple of ints, received: dims='21'"),
    ],
)
def test_permute_rejects_bad_dims(dims: object, error: type, message: str) -> None:
    with pytest.raises(error, match=f"Permute: .*{message}"):
        Permute(dims)


def test_permute_rejects_wrong_rank() -> None:
    with pytest.raises(ValueError, match=r'layer "permute".*expected ndim=3, found ndim=4'):
        Permute((2, 1))(Input((3, 4, 5)))


@pytest.mark.parametrize(
    ("n", "error", "message"),
    [
        (0, ValueError, "n must be a positive integer, received: n=0"),
        (-2, ValueError, "received: n=-2"),
        (2.0, TypeError, "n must be an int, received: n=2.0"),
        (True, TypeError, "received: n=True"),
    ],
)
def test_repeat_vector_rejects_bad_n(n: object, error: type, message: str) -> None:
    with pytest.raises(error, match=f"RepeatVector: .*{message}"):
        RepeatVector(n)


def test_repeat_vector_needs_rank_2() -> None:
    with pytest.raises(ValueError, match=r'layer "repeat_vector".*expected ndim=2'):
        RepeatVector(2)(Input((3, 4)))


def test_repeat_vector_gradient_sums_over_repeats() -> None:
    x = torch.ones(2, 3, requires_grad=True)
    RepeatVector(4)(x).sum().backward()
    torch.testing.assert_close(x.grad, torch.full((2, 3), 4.0))
