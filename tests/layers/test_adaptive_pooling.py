"""Adaptive pooling layers: Keras parity (1-D/2-D/3-D, both data formats), shapes, errors."""

from __future__ import annotations

import pytest
import torch

from tests.layers.harness import LayerCase, check_layer
from torchseq.layers.adaptive_pooling import (
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
)
from torchseq.layers.input_layer import Input

AVERAGE = (AdaptiveAveragePooling1D, AdaptiveAveragePooling2D, AdaptiveAveragePooling3D)
MAX = (AdaptiveMaxPooling1D, AdaptiveMaxPooling2D, AdaptiveMaxPooling3D)


def _cases() -> list[LayerCase]:
    cases = []
    for cls_1d, cls_2d, cls_3d in (AVERAGE, MAX):
        cases += [
            LayerCase(cls_1d, {"output_size": 4}, (2, 10, 3)),
            LayerCase(cls_1d, {"output_size": (3,), "data_format": "channels_first"}, (2, 3, 7)),
            LayerCase(cls_2d, {"output_size": (2, 3)}, (2, 7, 9, 4)),
            LayerCase(cls_2d, {"output_size": 5, "data_format": "channels_first"}, (2, 3, 8, 6)),
            LayerCase(cls_3d, {"output_size": 2}, (1, 5, 4, 6, 2)),
            LayerCase(
                cls_3d, {"output_size": [3, 1, 2], "data_format": "channels_first"}, (1, 2, 5, 4, 7)
            ),
        ]
    return cases


@pytest.mark.parametrize("case", _cases(), ids=str)
def test_matches_keras(case: LayerCase) -> None:
    check_layer(case)


@pytest.mark.parametrize("cls", AVERAGE + MAX, ids=lambda c: c.__name__)
def test_symbolic_shape_matches_keras(cls: type) -> None:
    keras = pytest.importorskip("keras")
    shape = (None, *(None,) * cls.rank, 3)
    expected = getattr(keras.layers, cls.__name__)(2)(keras.Input(shape[1:])).shape
    assert tuple(cls(2)(Input(shape[1:])).shape) == tuple(expected)


def test_config_matches_keras() -> None:
    keras = pytest.importorskip("keras")
    ours = AdaptiveMaxPooling2D([2, 3], name="pool").get_config()
    theirs = keras.layers.AdaptiveMaxPooling2D([2, 3], name="pool").get_config()
    assert ours == theirs


def test_gradient_flows() -> None:
    x = torch.randn(2, 6, 6, 3, requires_grad=True)
    AdaptiveAveragePooling2D(3)(x).sum().backward()
    torch.testing.assert_close(x.grad, torch.full_like(x, 0.25))


@pytest.mark.parametrize(
    ("cls", "kwargs", "error", "match"),
    [
        (
            AdaptiveAveragePooling1D,
            {"output_size": (2, 2)},
            ValueError,
            r"tuple of 1 ints \(length,\), received: output_size=\(2, 2\)",
        ),
        (
            AdaptiveMaxPooling2D,
            {"output_size": "2"},
            TypeError,
            r"\(height, width\), received: output_size='2' of type str",
        ),
        (AdaptiveMaxPooling3D, {"output_size": (2, 2, 0)}, ValueError, "must be positive"),
        (AdaptiveAveragePooling2D, {"output_size": (2, 2.5)}, TypeError, "output_size must be"),
        (
            AdaptiveAveragePooling2D,
            {"output_size": 2, "data_format": "channels_middle"},
            ValueError,
            "AdaptiveAveragePooling2D: .*channels_middle",
        ),
    ],
)
def test_constructor_errors(cls: type, kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        cls(**kwargs)


def test_wrong_rank_names_the_layer() -> None:
    layer = AdaptiveMaxPooling2D(2, name="pool")
    with pytest.raises(ValueError, match='layer "pool".*expected ndim=4, found ndim=3'):
        layer(torch.zeros(2, 5, 3))
