"""Tests for the (batch_)normalization layers: Keras parity, moving statistics, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.layers.harness import LayerCase, check_layer, to_numpy
from torchseq.layers.batch_normalization import BatchNormalization
from torchseq.layers.input_layer import Input
from torchseq.layers.normalization import (
    GroupNormalization,
    LayerNormalization,
    UnitNormalization,
)

BN = BatchNormalization
LN = LayerNormalization
GN = GroupNormalization
UN = UnitNormalization

BATCH_NORM_CASES = [
    LayerCase(BN, {}, (4, 3), training=True),
    LayerCase(BN, {}, (4, 6, 3), training=True),
    LayerCase(BN, {}, (2, 5, 5, 3), training=True),
    LayerCase(BN, {"axis": 1}, (2, 3, 5, 5), training=True),
    LayerCase(BN, {"axis": 1}, (4, 3, 6), training=True),
    LayerCase(BN, {"axis": 2}, (2, 4, 3, 5), training=True),
    LayerCase(BN, {"axis": -2}, (2, 4, 3, 5), training=True),
    LayerCase(BN, {"axis": 2}, (2, 3, 4, 5, 2), training=True),
    LayerCase(BN, {"center": False}, (4, 3), training=True),
    LayerCase(BN, {"scale": False}, (4, 3), training=True),
    LayerCase(BN, {"center": False, "scale": False}, (3, 4, 3), training=True),
    LayerCase(BN, {"momentum": 0.5, "epsilon": 1e-5}, (5, 3), training=True),
    LayerCase(BN, {"gamma_initializer": "random_normal"}, (4, 3), training=True),
    # One value per channel: torch's kernel refuses it, Keras gives zero variance.
    LayerCase(BN, {}, (1, 3), training=True),
]

LAYER_NORM_CASES = [
    LayerCase(LN, {}, (2, 5)),
    LayerCase(LN, {}, (2, 3, 4)),
    LayerCase(LN, {"axis": [1, 2]}, (2, 3, 4)),
    LayerCase(LN, {"axis": [-2, -1]}, (2, 3, 4, 5)),
    LayerCase(LN, {"axis": [2, 3]}, (2, 3, 4, 5)),
    LayerCase(LN, {"axis": [1, 3]}, (2, 3, 4, 5)),
    LayerCase(LN, {"axis": (3, 1)}, (2, 3, 4, 5)),
    LayerCase(LN, {"center": False}, (2, 5)),
    LayerCase(LN, {"scale": False}, (2, 5)),
    LayerCase(LN, {"center": False, "scale": False}, (2, 3, 4)),
    LayerCase(LN, {"epsilon": 1e-6, "beta_initializer": "random_normal"}, (2, 5)),
]


@pytest.mark.parametrize("case", BATCH_NORM_CASES, ids=str)
def test_batch_normalization_matches_keras(case):
    check_layer(case)


@pytest.mark.parametrize("case", LAYER_NORM_CASES, ids=str)
def test_layer_normalization_matches_keras(case):
    check_layer(case)


# ---------------------------------------------------------------------- BatchNormalization


def test_batch_norm_weights_are_parameters_and_buffers_in_keras_order():
    layer = BN()
    layer(torch.zeros(2, 3))
    assert [w.path for w in layer.weights] == [
        "batch_normalization/gamma",
        "batch_normalization/beta",
        "batch_normalization/moving_mean",
        "batch_normalization/moving_variance",
    ]
    assert [name for name, _ in layer.named_parameters()] == ["gamma", "beta"]
    assert [name for name, _ in layer.named_buffers()] == ["moving_mean", "moving_variance"]
    assert len(layer.trainable_weights) == 2 and len(layer.non_trainable_weights) == 2
    assert sorted(layer.state_dict()) == ["beta", "gamma", "moving_mean", "moving_variance"]


def test_batch_norm_without_center_and_scale_keeps_only_moving_statistics():
    layer = BN(center=False, scale=False)
    layer(torch.zeros(2, 3))
    assert layer.gamma is None and layer.beta is None
    assert [w.path.split("/")[1] for w in layer.weights] == ["moving_mean", "moving_variance"]


def test_batch_norm_several_training_steps_and_gradients_match_keras():
    keras = pytest.importorskip("keras")
    reference = keras.layers.BatchNormalization(momentum=0.8)
    layer = BN(momentum=0.8)
    rng = np.random.default_rng(1)
    batches = [rng.standard_normal((6, 4, 3)).astype("float32") * 2 + 1 for _ in range(3)]
    reference(batches[0])
    layer(torch.from_numpy(batches[0]))
    layer.set_weights([to_numpy(w) for w in reference.get_weights()])
    weights = torch.from_numpy(rng.standard_normal((6, 4, 3)).astype("float32"))
    for batch in batches:
        theirs = torch.from_numpy(batch).requires_grad_()
        ours = torch.from_numpy(batch).requires_grad_()
        (reference(theirs, training=True) * weights).sum().backward()
        (layer(ours, training=True) * weights).sum().backward()
        np.testing.assert_allclose(ours.grad, theirs.grad, atol=1e-5, rtol=1e-4)
    for ours, theirs in zip(layer.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(ours, to_numpy(theirs), atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(layer.gamma.grad, reference.gamma.value.grad, atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(layer.beta.grad, reference.beta.value.grad, atol=1e-4, rtol=1e-4)


def test_batch_norm_moving_variance_uses_the_biased_batch_variance():
    layer = BN(momentum=0.0)
    x = torch.tensor([[1.0], [3.0]])
    layer(x, training=True)
    assert layer.moving_mean.tolist() == [2.0]
    assert layer.moving_variance.tolist() == [1.0]  # torch's running_var would be 2.0


def test_batch_norm_training_mode_follows_the_module_mode():
    layer = BN(momentum=0.0)
    x = torch.tensor([[1.0], [3.0]])
    layer(x)  # inference: moving statistics stay as initialised
    assert layer.moving_mean.tolist() == [0.0]
    layer.train()
    layer(x)
    assert layer.moving_mean.tolist() == [2.0]
    assert layer.training  # a call does not change the mode
    layer.eval()
    layer(x, training=True)
    assert not layer.training


def test_frozen_batch_norm_runs_in_inference_mode_and_keeps_its_statistics():
    layer = BN(momentum=0.0)
    x = torch.tensor([[1.0], [3.0]])
    layer(x)
    layer.trainable = False
    out = layer(x, training=True)
    assert layer.moving_mean.tolist() == [0.0] and layer.moving_variance.tolist() == [1.0]
    expected = x / torch.sqrt(torch.tensor(1.0 + 1e-3))
    torch.testing.assert_close(out, expected)
    assert not layer.gamma.requires_grad and layer.trainable_weights == []


def test_batch_norm_mask_leaves_masked_positions_out_of_the_statistics():
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 5, 2)).astype("float32")
    mask = np.ones((3, 5), dtype=bool)
    mask[0, 3:] = False
    mask[2, 1:] = False
    reference = keras.layers.BatchNormalization(momentum=0.5)
    expected = reference(x, training=True, mask=mask)
    layer = BN(momentum=0.5)
    actual = layer(torch.from_numpy(x), training=True, mask=torch.from_numpy(mask))
    np.testing.assert_allclose(to_numpy(actual), to_numpy(expected), atol=1e-5, rtol=1e-5)
    for ours, theirs in zip(layer.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(ours, to_numpy(theirs), atol=1e-6, rtol=1e-5)


def test_batch_norm_keeps_channels_last_output_contiguous():
    layer = BN()
    x = torch.randn(2, 4, 4, 3)
    for training in (False, True):
        out = layer(x, training=training)
        assert out.shape == x.shape and out.is_contiguous()


def test_batch_norm_symbolic_call():
    x = Input((4, 3))
    y = BN(axis=1)(x)
    assert y.shape == (None, 4, 3)


def test_batch_norm_accepts_synchronized_and_keras_config_keys():
    layer = BN(synchronized=True, renorm_clipping=None, renorm_momentum=0.9)
    config = layer.get_config()
    assert config["synchronized"] is True and config["renorm"] is False
    assert BN.from_config(config).get_config() == config


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"renorm": True}, ValueError, r"renorm=False, received: renorm=True"),
        ({"axis": "channels"}, TypeError, r"axis must be an int, received: axis='channels'"),
        ({"axis": [1, 2]}, TypeError, r"axis must be an int"),
        ({"momentum": 1.5}, ValueError, r"momentum must be in \[0, 1\], received: momentum=1.5"),
        ({"momentum": "fast"}, TypeError, r"momentum must be a number"),
        ({"epsilon": -1.0}, ValueError, r"epsilon must be >= 0, received: epsilon=-1.0"),
    ],
)
def test_batch_norm_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=f"^BatchNormalization: .*{match}"):
        BN(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "shape", "match"),
    [
        ({"axis": 3}, (2, 3), r"axis=3 is out of range for an input of rank 2"),
        ({"axis": 0}, (2, 3), r"axis=0 is the batch axis"),
        ({}, (2, None), r"size of axis -1 must be known"),
    ],
)
def test_batch_norm_build_rejects_bad_shapes(kwargs, shape, match):
    layer = BN(**kwargs)
    with pytest.raises(ValueError, match=match):
        layer.build(shape)


def test_batch_norm_wrong_channel_count_names_the_layer():
    layer = BN()
    layer(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r'layer "batch_normalization".*expected axis -1'):
        layer(torch.zeros(2, 4))


# ---------------------------------------------------------------------- LayerNormalization


def reference_layer_norm(x: np.ndarray, axes: tuple[int, ...], epsilon: float = 1e-3):
    mean = x.mean(axis=axes, keepdims=True)
    variance = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon)


@pytest.mark.parametrize(
    ("axis", "shape", "axes"),
    [
        ([1, 2], (2, 3, 4, 5), (1, 2)),
        ([1, 2], (2, 4, 4, 4), (1, 2)),
        (1, (2, 3, 4), (1,)),
        ([1], (2, 3, 3), (1,)),
    ],
)
def test_layer_norm_over_leading_feature_axes(axis, shape, axes):
    # Keras's torch backend hands contiguous but non-trailing axes to F.layer_norm, which
    # normalises the trailing ones instead (or fails); we follow Keras's documented maths.
    x = np.random.default_rng(3).standard_normal(shape).astype("float32")
    layer = LN(axis=axis, gamma_initializer="random_normal", beta_initializer="random_normal")
    out = layer(torch.from_numpy(x))
    gamma, beta = layer.get_weights()
    assert gamma.shape == tuple(shape[a] for a in axes)
    broadcast = [1] * len(shape)
    for a in axes:
        broadcast[a] = shape[a]
    expected = reference_layer_norm(x, axes) * gamma.reshape(broadcast) + beta.reshape(broadcast)
    np.testing.assert_allclose(to_numpy(out), expected, atol=1e-5, rtol=1e-5)


def test_layer_norm_rms_scaling_matches_keras_and_warns_like_it():
    case = LayerCase(LN, {"rms_scaling": True}, (2, 3, 4))
    with pytest.warns(UserWarning, match="rms_scaling"):
        check_layer(case)
    with pytest.warns(UserWarning, match="rms_scaling"):
        layer = LN(rms_scaling=True, center=True, scale=False)
    layer(torch.zeros(2, 4))
    assert [w.path.split("/")[1] for w in layer.weights] == ["gamma"]


def test_layer_norm_with_negative_axis_accepts_other_ranks():
    layer = LN()
    layer(torch.randn(2, 4))
    out = layer(torch.randn(2, 3, 4))
    np.testing.assert_allclose(out.mean(-1).detach().numpy(), 0.0, atol=1e-5)


def test_layer_norm_symbolic_call():
    assert LN(axis=[1, 2])(Input((3, 4))).shape == (None, 3, 4)


def test_layer_norm_config_keeps_the_axis_list():
    config = LN(axis=[1, 2], epsilon=1e-5).get_config()
    assert config["axis"] == [1, 2] and config["epsilon"] == 1e-5
    assert LN.from_config(config).get_config() == config


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"axis": "last"}, TypeError, r"axis must be an int or a non-empty list of ints"),
        ({"axis": []}, TypeError, r"received: axis=\[\]"),
        ({"axis": [1, 1.5]}, TypeError, r"received: axis=\[1, 1.5\]"),
        ({"axis": [1, 1]}, ValueError, r"must not repeat an axis, received: axis=\[1, 1\]"),
        ({"epsilon": -1e-3}, ValueError, r"epsilon must be >= 0"),
    ],
)
def test_layer_norm_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=f"^LayerNormalization: .*{match}"):
        LN(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "shape", "match"),
    [
        ({"axis": 3}, (2, 3), r"axis=3 is out of range for an input of rank 2"),
        ({"axis": [0, 1]}, (2, 3), r"includes the batch axis"),
        ({"axis": [1, 2]}, (2, None, 3), r"sizes of the normalised axes \[1, 2\] must be known"),
    ],
)
def test_layer_norm_build_rejects_bad_shapes(kwargs, shape, match):
    layer = LN(**kwargs)
    with pytest.raises(
        ValueError, match=f'^LayerNormalization layer "layer_normalization": .*{match}'
    ):
        layer.build(shape)


# ---------------------------------------------------------------------- GroupNormalization

GROUP_NORM_CASES = [
    LayerCase(GN, {"groups": 2}, (2, 5, 4)),
    LayerCase(GN, {"groups": 2}, (2, 3, 3, 4)),
    LayerCase(GN, {"groups": 1}, (2, 3, 3, 4)),
    LayerCase(GN, {"groups": -1}, (2, 3, 3, 4)),
    LayerCase(GN, {"groups": 3, "axis": 1}, (2, 6, 3, 3)),
    LayerCase(GN, {"groups": 2, "axis": 1}, (2, 4, 5)),
    LayerCase(GN, {"groups": 2, "axis": 2}, (2, 3, 4, 5)),
    LayerCase(GN, {"groups": 2, "axis": -2}, (2, 3, 4, 5)),
    LayerCase(GN, {"groups": 4}, (3, 8)),
    LayerCase(GN, {"groups": 2, "center": False}, (2, 3, 4)),
    LayerCase(GN, {"groups": 2, "scale": False}, (2, 3, 4)),
    LayerCase(GN, {"groups": 2, "center": False, "scale": False}, (2, 3, 4)),
    LayerCase(
        GN,
        {
            "groups": 2,
            "epsilon": 1e-5,
            "gamma_initializer": "random_normal",
            "beta_initializer": "random_normal",
        },
        (2, 3, 3, 4),
    ),
]

UNIT_NORM_CASES = [
    LayerCase(UN, {}, (2, 5)),
    LayerCase(UN, {"axis": 1}, (2, 3, 4)),
    LayerCase(UN, {"axis": [1, 2]}, (2, 3, 4)),
    LayerCase(UN, {"axis": (-2, -1)}, (2, 3, 4, 2)),
]


@pytest.mark.parametrize("case", GROUP_NORM_CASES, ids=str)
def test_group_normalization_matches_keras(case):
    check_layer(case)


@pytest.mark.parametrize("case", UNIT_NORM_CASES, ids=str)
def test_unit_normalization_matches_keras(case):
    check_layer(case)


def test_group_norm_statistics_are_per_sample_and_group():
    x = torch.randn(2, 4, 4, 6) * 3 + 1
    out = GN(groups=3)(x)
    grouped = out.reshape(2, 16, 3, 2)
    np.testing.assert_allclose(grouped.mean(dim=(1, 3)).detach().numpy(), 0.0, atol=1e-5)
    variance = grouped.var(dim=(1, 3), correction=0).detach().numpy()
    np.testing.assert_allclose(variance, 1.0, atol=1e-2)


def test_group_norm_weights_and_symbolic_call():
    layer = GN(groups=2, axis=1)
    assert layer(Input((4, 5))).shape == (None, 4, 5)
    assert [w.path.split("/")[1] for w in layer.weights] == ["gamma", "beta"]
    assert layer.count_params() == 8
    layer(torch.randn(2, 4, 5), training=True).sum().backward()
    assert layer.gamma.grad is not None


def test_group_norm_minus_one_keeps_its_config():
    layer = GN(groups=-1)
    layer(torch.zeros(2, 3, 4))
    assert layer.get_config()["groups"] == -1
    assert GN.from_config(layer.get_config()).get_config() == layer.get_config()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"groups": 0}, ValueError, r"groups must be a positive integer .*received: groups=0"),
        ({"groups": -2}, ValueError, r"received: groups=-2"),
        ({"groups": 2.0}, TypeError, r"groups must be an int, received: groups=2.0"),
        ({"axis": [1, 2]}, TypeError, r"axis must be an int, received: axis=\[1, 2\]"),
        ({"epsilon": -1.0}, ValueError, r"epsilon must be >= 0"),
    ],
)
def test_group_norm_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=f"^GroupNormalization: .*{match}"):
        GN(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "shape", "match"),
    [
        ({"groups": 3}, (2, 4), r"channels \(4\) must be a multiple of groups \(3\)"),
        ({"groups": 8}, (2, 4), r"channels \(4\) must be a multiple of groups \(8\)"),
        ({"groups": 2}, (2, None), r"size of axis -1 must be known"),
        ({"groups": 2, "axis": 0}, (2, 4), r"axis=0 must be a feature axis"),
        ({"groups": 2, "axis": 3}, (2, 4), r"axis=3 must be a feature axis"),
    ],
)
def test_group_norm_build_rejects_bad_shapes(kwargs, shape, match):
    layer = GN(**kwargs)
    with pytest.raises(
        ValueError, match=f'^GroupNormalization layer "group_normalization.*": .*{match}'
    ):
        layer.build(shape)


# ---------------------------------------------------------------------- UnitNormalization


def test_unit_norm_gives_unit_vectors_and_keeps_zeros():
    out = UN()(torch.tensor([[3.0, 4.0], [0.0, 0.0]]))
    torch.testing.assert_close(out, torch.tensor([[0.6, 0.8], [0.0, 0.0]]))


def test_unit_norm_symbolic_call_and_config():
    layer = UN(axis=[1, 2])
    assert layer(Input((3, 4))).shape == (None, 3, 4)
    assert UN.from_config(layer.get_config()).get_config() == layer.get_config()


def test_unit_norm_rejects_bad_axes():
    with pytest.raises(TypeError, match=r"^UnitNormalization: axis must be an int or a non-empty"):
        UN(axis="last")
    with pytest.raises(
        ValueError, match=r'UnitNormalization layer "unit_normalization.*": axis=3 is out of range'
    ):
        UN(axis=3)(torch.zeros(2, 3))
