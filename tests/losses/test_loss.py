"""Tests for torchseq.losses.loss: reductions, sample weights, masks, ranks, the base class."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torchseq import losses

N, T, C = 4, 5, 3
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]


def rng_array(
    shape: tuple[int, ...], seed: int, low: float = -1.0, high: float = 1.0
) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, size=shape).astype("float32")


# (data shape, sample weight shape or None or "scalar"); MSE's losses drop the last axis
WEIGHTINGS = [
    ((N, C), None),
    ((N, C), (N,)),
    ((N, C), (N, 1)),
    ((N, C), "scalar"),
    ((N, T, C), None),
    ((N, T, C), (N, T)),  # temporal: one weight per timestep
    ((N, T, C), (N, T, 1)),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("shape", "weight_shape"), WEIGHTINGS, ids=str)
def test_reductions_and_sample_weights_match_keras(keras, reduction, shape, weight_shape):
    if weight_shape == "scalar" and reduction == "mean_with_sample_weight":
        pytest.skip("Keras divides by the scalar itself; see test_a_scalar_weight_cancels_out")
    y_true, y_pred = rng_array(shape, 0), rng_array(shape, 1)
    if weight_shape is None:
        weight = None
    elif weight_shape == "scalar":
        weight = 0.5
    else:
        weight = rng_array(weight_shape, 2, 0.0, 2.0)
    ours = losses.MeanSquaredError(reduction=reduction)
    theirs = keras.losses.MeanSquaredError(reduction=reduction)
    args = (torch.from_numpy(y_true), torch.from_numpy(y_pred))
    expected = theirs(*args, sample_weight=None if weight is None else torch.as_tensor(weight))
    torch.testing.assert_close(ours(*args, sample_weight=weight), expected)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_a_mask_on_the_predictions_matches_keras(keras, reduction, weighted):
    y_true, y_pred = rng_array((N, T, C), 0), rng_array((N, T, C), 1)
    mask = torch.from_numpy(np.random.default_rng(3).uniform(size=(N, T)) > 0.4)
    weight = torch.from_numpy(rng_array((N, T), 2, 0.0, 2.0)) if weighted else None
    results = []
    for module in (losses, keras.losses):
        prediction = torch.from_numpy(y_pred)
        prediction._keras_mask = mask
        loss = module.MeanSquaredError(reduction=reduction)
        results.append(loss(torch.from_numpy(y_true), prediction, sample_weight=weight))
    torch.testing.assert_close(*results)


def test_sum_over_batch_size_divides_by_the_element_count_not_the_weights():
    loss = losses.MeanAbsoluteError()
    value = loss(
        torch.zeros(4, 1), torch.ones(4, 1), sample_weight=torch.tensor([1.0, 1.0, 0.0, 0.0])
    )
    assert value.item() == 0.5
    weighted_mean = losses.MeanAbsoluteError(reduction="mean_with_sample_weight")
    assert (
        weighted_mean(torch.zeros(4, 1), torch.ones(4, 1), torch.tensor([1.0, 1.0, 0.0, 0.0]))
        == 1.0
    )


def test_a_scalar_weight_cancels_out_of_mean_with_sample_weight():
    """The divisor is the sum of the weights as broadcast (Keras 3 sums the scalar alone)."""
    loss = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    y_true, y_pred = torch.zeros(4, 2), torch.from_numpy(rng_array((4, 2), 1))
    torch.testing.assert_close(loss(y_true, y_pred, 0.5), losses.MeanSquaredError()(y_true, y_pred))


def test_all_zero_weights_give_zero_not_nan_for_mean_with_sample_weight():
    loss = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    y_pred = torch.ones(3, 2, requires_grad=True)
    value = loss(torch.zeros(3, 2), y_pred, sample_weight=torch.zeros(3))
    value.backward()
    assert value.item() == 0.0
    assert torch.all(y_pred.grad == 0)


def test_a_per_sample_weight_weights_every_timestep_of_the_sample():
    """Keras 3 broadcasts a (n,) weight against the time axis: an error, or wrong for n == t."""
    y_true, y_pred = torch.zeros(T, T, 1), torch.from_numpy(rng_array((T, T, 1), 1))
    weight = torch.arange(T, dtype=torch.float32)
    loss = losses.MeanSquaredError()
    expected = loss(y_true, y_pred, sample_weight=weight[:, None].expand(T, T))
    torch.testing.assert_close(loss(y_true, y_pred, sample_weight=weight), expected)


def test_reduction_none_returns_the_weighted_values():
    values = losses.MeanSquaredError(reduction="none")(
        torch.zeros(3, 2), torch.ones(3, 2), sample_weight=np.array([0.0, 1.0, 2.0])
    )
    assert values.tolist() == [0.0, 1.0, 2.0]


def test_targets_and_predictions_are_cast_to_the_loss_dtype():
    y_true, y_pred = np.zeros((2, 2)), np.full((2, 2), 0.5)  # float64 arrays
    assert losses.MeanSquaredError()(y_true, y_pred).dtype == torch.float32
    assert losses.MeanSquaredError(dtype="float64")(y_true, y_pred).dtype == torch.float64
    integer_targets = torch.tensor([[0, 1]])
    assert (
        losses.BinaryCrossentropy()(integer_targets, torch.tensor([[0.5, 0.5]])).dtype
        == torch.float32
    )


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ((N,), (N, 1), ((N, 1), (N, 1))),
        ((N, 1), (N,), ((N, 1), (N, 1))),
        ((N, T), (N, T, 1), ((N, T), (N, T))),
        ((N, T, 1), (N, T), ((N, T), (N, T))),
        ((N, T), (N, T), ((N, T), (N, T))),
        ((N,), (N, C), ((N,), (N, C))),  # not a size-1 axis: left alone
        ((N,), (N, T, 1), ((N,), (N, T, 1))),  # rank difference of two: left alone
    ],
)
def test_squeeze_or_expand_to_same_rank(first, second, expected):
    x1, x2 = losses.squeeze_or_expand_to_same_rank(torch.zeros(first), torch.zeros(second))
    assert (tuple(x1.shape), tuple(x2.shape)) == expected


def test_no_value_is_read_back_to_the_host(monkeypatch):
    """The training step must not synchronise: no loss may call item(), bool(), float(), ..."""

    def refuse(*args, **kwargs):
        raise AssertionError("a loss read a tensor value back to the host")

    for name in ("item", "tolist", "numpy", "cpu", "__bool__", "__float__", "__int__", "__index__"):
        monkeypatch.setattr(torch.Tensor, name, refuse)
    probabilities = torch.softmax(torch.randn(N, T, C), dim=-1).requires_grad_()
    onehot = torch.nn.functional.one_hot(torch.randint(0, C, (N, T)), C).float()
    weight = torch.rand(N, T)
    for loss in (
        losses.BinaryCrossentropy(label_smoothing=0.1),
        losses.BinaryFocalCrossentropy(apply_class_balancing=True, from_logits=True),
        losses.CategoricalCrossentropy(label_smoothing=0.1),
        losses.CategoricalFocalCrossentropy(),
        losses.MeanSquaredError(reduction="mean_with_sample_weight"),
        losses.MeanAbsolutePercentageError(),
        losses.MeanSquaredLogarithmicError(),
        losses.CosineSimilarity(),
        losses.Huber(),
        losses.LogCosh(),
        losses.Hinge(),
        losses.SquaredHinge(),
        losses.CategoricalHinge(),
        losses.KLDivergence(),
        losses.Poisson(),
    ):
        loss(onehot, probabilities, sample_weight=weight).backward()
    labels = torch.randint(0, C, (N, T))
    for loss in (
        losses.SparseCategoricalCrossentropy(),
        losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
    ):
        loss(labels, probabilities, sample_weight=weight).backward()


class MeanCubedError(losses.Loss):
    def call(self, y_true, y_pred):
        return torch.mean(torch.abs(y_pred - y_true) ** 3, dim=-1)


def test_a_subclass_implements_call_and_gets_the_rules():
    loss = MeanCubedError(reduction="sum")
    value = loss(np.zeros((2, 3)), np.full((2, 3), 2.0), sample_weight=[1.0, 0.5])
    assert value.item() == pytest.approx(12.0)


def test_automatic_names_are_unique_and_snake_case():
    assert [MeanCubedError().name, MeanCubedError().name] == [
        "mean_cubed_error",
        "mean_cubed_error_1",
    ]
    assert losses.Loss(name="mine").name == "mine"
    assert losses.MeanSquaredError().name == "mean_squared_error"


def test_base_call_must_be_implemented():
    with pytest.raises(NotImplementedError, match="Loss must implement call"):
        losses.Loss()(torch.zeros(1), torch.zeros(1))


def test_function_wrapper_squeezes_and_passes_its_options():
    def scaled_error(y_true, y_pred, scale=1.0):
        assert y_true.shape == y_pred.shape
        return scale * torch.mean(y_pred - y_true, dim=-1)

    loss = losses.LossFunctionWrapper(scaled_error, scale=3.0)
    assert loss(torch.zeros(4), torch.ones(4, 1)).item() == 3.0
    assert loss.name == "loss_function_wrapper"


def test_function_wrapper_config_round_trip_with_a_builtin_function():
    loss = losses.LossFunctionWrapper(losses.huber, name="h", delta=2.0)
    config = loss.get_config()
    assert config["fn"]["config"] == "huber"
    assert config["delta"] == 2.0
    again = losses.LossFunctionWrapper.from_config(config)
    assert again.fn is losses.huber
    assert again.get_config() == config


def test_explicit_dtype_is_kept_in_the_config():
    assert losses.MeanSquaredError().get_config() == {
        "name": "mean_squared_error",
        "reduction": "sum_over_batch_size",
    }
    config = losses.MeanSquaredError(dtype=torch.float64).get_config()
    assert config["dtype"] == "float64"
    assert losses.MeanSquaredError.from_config(config).dtype == torch.float64


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (
            lambda: losses.standardize_reduction("avg"),
            ValueError,
            (
                r"reduction must be one of \['sum_over_batch_size', 'sum', 'mean', "
                r"'mean_with_sample_weight', 'none', None\], received: reduction='avg'"
            ),
        ),
        (
            lambda: losses.LossFunctionWrapper("mse"),
            TypeError,
            r"fn must be a callable fn\(y_true, y_pred\), received: fn='mse'",
        ),
        (lambda: losses.Loss(name=1), TypeError, r"name must be a string or None"),
    ],
)
def test_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize(
    "loss",
    [
        losses.CategoricalCrossentropy(label_smoothing=0.1),
        losses.SparseCategoricalCrossentropy(ignore_class=0),
        losses.BinaryCrossentropy(),
        losses.Hinge(),
        losses.LossFunctionWrapper(losses.mean_squared_error),
    ],
    ids=lambda loss: loss.name,
)
def test_traces_as_one_graph_for_jit_compile(loss):
    """``compile(jit_compile=True)`` compiles the step; a loss must not break the graph."""
    probabilities = torch.softmax(torch.randn(N, C), dim=-1)
    onehot = torch.nn.functional.one_hot(torch.tensor([0, 1, 2, 0]), C).float()
    target = torch.tensor([0, 1, 2, 0]) if "sparse" in loss.name else onehot
    weight = torch.rand(N)
    compiled = torch.compile(loss.__call__, fullgraph=True, backend="eager")
    torch.testing.assert_close(
        compiled(target, probabilities, weight), loss(target, probabilities, weight)
    )
