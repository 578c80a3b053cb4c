"""RMSNormalization: Keras parity with the same weights, non-trailing axes, dtypes, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.layers.harness import LayerCase, check_layer, to_numpy
from torchseq.layers.input_layer import Input
from torchseq.layers.rms_normalization import RMSNormalization


def _random_scale(case_layer: RMSNormalization) -> None:
    """Scale away from ones, so that a wrongly broadcast scale shows."""
    weights = case_layer.get_weights()
    case_layer.set_weights([np.linspace(0.5, 2.0, w.size).reshape(w.shape) for w in weights])


CASES = [
    LayerCase(RMSNormalization, {}, (3, 5)),
    LayerCase(RMSNormalization, {"epsilon": 1e-3}, (2, 4, 6)),
    LayerCase(RMSNormalization, {"axis": [1, 2]}, (2, 3, 4)),
    LayerCase(RMSNormalization, {"axis": [-2, -1]}, (2, 5, 3, 4)),
    LayerCase(RMSNormalization, {"axis": 2, "epsilon": 0.1}, (2, 5, 3)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_keras(case: LayerCase) -> None:
    check_layer(case)


def test_matches_keras_with_learned_scale() -> None:
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    reference = keras.layers.RMSNormalization(axis=[1, 2])
    reference(x)
    ours = RMSNormalization(axis=[1, 2])
    ours(torch.from_numpy(x))
    _random_scale(ours)
    reference.set_weights(ours.get_weights())
    np.testing.assert_allclose(
        to_numpy(ours(torch.from_numpy(x))), to_numpy(reference(x)), atol=1e-5, rtol=1e-5
    )


@pytest.mark.parametrize(("axis", "shape"), [(1, (2, 3, 4)), ([0, 2], (2, 3, 4)), (-3, (2, 3, 4))])
def test_non_trailing_axes_normalise_those_axes(axis: object, shape: tuple) -> None:
    """Keras on torch feeds these to F.rms_norm, which takes the trailing axes (and fails or
    normalises the wrong ones); here the axes asked for are normalised."""
    x = np.random.default_rng(1).standard_normal(shape).astype("float32")
    layer = RMSNormalization(axis=axis)
    layer(torch.from_numpy(x))
    _random_scale(layer)
    axes = tuple(sorted(a % len(shape) for a in ([axis] if isinstance(axis, int) else axis)))
    scale_shape = [shape[a] if a in axes else 1 for a in range(len(shape))]
    scale = layer.get_weights()[0].reshape(scale_shape)
    expected = x / np.sqrt(np.mean(x**2, axis=axes, keepdims=True) + 1e-6) * scale
    actual = to_numpy(layer(torch.from_numpy(x)))
    np.testing.assert_allclose(actual, expected, atol=1e-5, rtol=1e-5)


def test_half_precision_computes_in_float32() -> None:
    x = torch.randn(4, 8) * 100
    layer = RMSNormalization(dtype="float16")
    output = layer(x.half())
    assert output.dtype == torch.float16
    expected = RMSNormalization()(x)
    torch.testing.assert_close(output.float(), expected, atol=2e-3, rtol=2e-3)


def test_symbolic_shape_and_weight_names() -> None:
    keras = pytest.importorskip("keras")
    reference = keras.layers.RMSNormalization(axis=[-2, -1])
    expected = reference(keras.Input((None, 3, 4))).shape
    ours = RMSNormalization(axis=[-2, -1])
    assert tuple(ours(Input((None, 3, 4))).shape) == tuple(expected)
    assert [w.path.split("/")[-1] for w in reference.weights] == ["scale"]
    assert [name for name, _ in ours.named_parameters()] == ["scale"]
    assert ours.get_weights()[0].shape == (3, 4)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"axis": "last"}, TypeError, "axis must be an int or a non-empty list of ints"),
        ({"axis": []}, TypeError, "axis must be an int or a non-empty list"),
        ({"axis": [1, 1]}, ValueError, "must not repeat an axis"),
        ({"epsilon": -1.0}, ValueError, "epsilon must be >= 0, received: epsilon=-1.0"),
    ],
)
def test_constructor_errors(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        RMSNormalization(**kwargs)


def test_axis_out_of_bounds() -> None:
    layer = RMSNormalization(axis=3, name="rms")
    with pytest.raises(
        ValueError, match=r'"rms": axis 3 is out of bounds for input shape \(2, 3\)'
    ):
        layer(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="out of bounds"):
        layer.compute_output_shape((None, 3))


def test_unknown_normalised_axis() -> None:
    with pytest.raises(ValueError, match="sizes of the normalised axes"):
        RMSNormalization()(Input((None,)))
