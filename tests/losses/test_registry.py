"""Tests for torchseq.losses.registry: get, serialize, deserialize and resolve."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from torchseq import losses

# Every name Keras 3 resolves (keras.losses.ALL_OBJECTS_DICT) that torchseq has.
KERAS_NAMES = [
    "BCE", "BinaryCrossentropy", "BinaryFocalCrossentropy", "CTC", "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy", "CategoricalHinge", "Circle", "CosineSimilarity", "Dice",
    "Hinge", "Huber", "KLD", "KLDivergence", "LogCosh", "Loss", "LossFunctionWrapper", "MAE",
    "MAPE", "MSE", "MSLE", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredError", "MeanSquaredLogarithmicError", "Poisson", "SparseCategoricalCrossentropy",
    "SquaredHinge", "Tversky", "bce", "binary_crossentropy", "binary_focal_crossentropy",
    "categorical_crossentropy", "categorical_focal_crossentropy", "categorical_hinge", "circle",
    "cosine_similarity", "ctc", "dice", "hinge", "huber", "kl_divergence", "kld", "log_cosh",
    "mae", "mape", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error", "mse", "msle", "poisson", "sparse_categorical_crossentropy",
    "squared_hinge", "tversky",
]  # fmt: skip
# Keras 2's spellings, accepted too.
KERAS_2_NAMES = {
    "kullback_leibler_divergence": "kl_divergence",
    "logcosh": "log_cosh",
}
# Names torchseq resolves beyond Keras 3's get(): a loss Keras exports but does not list.
EXTRA_NAMES = {"CategoricalGeneralizedCrossEntropy", "categorical_generalized_cross_entropy"}

CONFIGURED = [
    losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, axis=1),
    losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.3, gamma=1.0),
    losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2, name="cce"),
    losses.CategoricalFocalCrossentropy(alpha=0.5, gamma=3.0),
    losses.SparseCategoricalCrossentropy(ignore_class=0, reduction="sum"),
    losses.MeanSquaredError(reduction="none"),
    losses.Huber(delta=0.3),
    losses.CosineSimilarity(axis=0),
    losses.KLDivergence(),
    losses.LossFunctionWrapper(losses.huber, delta=3.0, name="wrapped"),
    losses.Dice(axis=(1,)),
    losses.Tversky(alpha=0.3, beta=0.7),
    losses.CategoricalGeneralizedCrossEntropy(q=0.3),
    losses.Circle(gamma=32.0, reduction="sum"),
    losses.CTC(name="ctc_loss"),
]


def test_keras_names_are_the_expected_table(keras):
    from keras.src.losses import ALL_OBJECTS_DICT

    assert set(ALL_OBJECTS_DICT) == set(KERAS_NAMES)


def test_every_keras_name_and_the_extra_ones_are_valid_names():
    from torchseq.losses.registry import _OBJECTS

    assert set(_OBJECTS) == set(KERAS_NAMES) | EXTRA_NAMES | set(KERAS_2_NAMES)


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_get_resolves_names_as_keras_does(keras, name):
    if name == "LossFunctionWrapper":  # needs fn: neither can build it with no arguments
        for module in (losses, keras.losses):
            with pytest.raises(TypeError):
                module.get(name)
        return
    ours, theirs = losses.get(name), keras.losses.get(name)
    if callable(theirs) and not isinstance(theirs, keras.losses.Loss):
        assert ours.__name__ == theirs.__name__  # a function stays a function
    else:
        assert type(ours).__name__ == type(theirs).__name__


@pytest.mark.parametrize(("name", "function"), sorted(KERAS_2_NAMES.items()))
def test_get_accepts_keras_2_names(name, function):
    assert losses.get(name) is getattr(losses, function)
    assert getattr(losses, name) is getattr(losses, function)


def test_public_names_cover_keras(keras):
    public = {name for name in dir(keras.losses) if not name.startswith("_")}
    assert public - set(losses.__all__) == set()
    assert all(hasattr(losses, name) for name in losses.__all__)


def test_get_passes_through_none_instances_callables_and_torch_modules():
    assert losses.get(None) is None
    instance = losses.Huber(delta=2.0)
    assert losses.get(instance) is instance
    assert isinstance(losses.get(losses.Poisson), losses.Poisson)

    def my_loss(y_true, y_pred):
        return torch.mean(torch.abs(y_true - y_pred), dim=-1)

    assert losses.get(my_loss) is my_loss
    torch_loss = nn.CrossEntropyLoss()
    assert losses.get(torch_loss) is torch_loss
    assert isinstance(losses.get(nn.MSELoss), nn.MSELoss)


def test_get_reads_a_config_dict():
    loss = losses.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}})
    assert isinstance(loss, losses.CategoricalCrossentropy) and loss.from_logits is True


def test_unknown_name_lists_the_valid_names():
    with pytest.raises(
        ValueError, match=r"Unknown loss: expected one of \[.*'mse'.*\], received: 'msee'"
    ):
        losses.get("msee")


def test_other_types_are_a_type_error():
    with pytest.raises(TypeError, match=r"loss must be a string name, .* received: 3 of type int"):
        losses.get(3)


@pytest.mark.parametrize("loss", CONFIGURED, ids=lambda loss: loss.name)
def test_serialize_round_trip(loss):
    config = losses.serialize(loss)
    assert config["class_name"] == type(loss).__name__
    restored = losses.deserialize(config)
    assert type(restored) is type(loss)
    assert restored.get_config() == loss.get_config()
    y_true, y_pred = torch.tensor([[0.0, 1.0]]), torch.tensor([[0.3, 0.7]])
    label_losses = (
        losses.SparseCategoricalCrossentropy,
        losses.CategoricalGeneralizedCrossEntropy,
        losses.Circle,
        losses.CTC,
    )
    if not isinstance(loss, label_losses):
        torch.testing.assert_close(restored(y_true, y_pred), loss(y_true, y_pred))


@pytest.mark.parametrize(
    "class_name", ["BinaryCrossentropy", "CategoricalCrossentropy", "Huber", "MeanSquaredError"]
)
def test_reads_a_keras_serialized_loss(keras, class_name):
    theirs = keras.losses.serialize(getattr(keras.losses, class_name)(name="x", reduction="sum"))
    restored = losses.deserialize(theirs)
    assert type(restored).__name__ == class_name
    assert (restored.name, restored.reduction) == ("x", "sum")


def test_serialize_functions_and_none():
    config = losses.serialize(losses.mean_squared_error)
    assert (config["class_name"], config["config"]) == ("function", "mean_squared_error")
    assert losses.deserialize(config) is losses.mean_squared_error
    assert losses.deserialize("mse") is losses.mean_squared_error
    assert losses.serialize(None) is None


def test_deserialize_with_custom_objects():
    class Custom(losses.Loss):
        def call(self, y_true, y_pred):
            return torch.mean(y_pred - y_true, dim=-1)

    restored = losses.deserialize(
        losses.serialize(Custom(name="c")), custom_objects={"Custom": Custom}
    )
    assert isinstance(restored, Custom) and restored.name == "c"


# (y_true shape, y_pred shape, the crossentropy Keras's compile picks)
CROSSENTROPY_SHAPES = [
    ((8, 1), (8, 1), "binary_crossentropy"),
    ((8,), (8, 1), "binary_crossentropy"),
    ((8,), (8, 5), "sparse_categorical_crossentropy"),
    ((8, 1), (8, 5), "sparse_categorical_crossentropy"),
    ((8, 4), (8, 4, 5), "sparse_categorical_crossentropy"),
    ((8, 5), (8, 5), "categorical_crossentropy"),
]


@pytest.mark.parametrize("name", ["crossentropy", "ce", "CE"])
@pytest.mark.parametrize(("true_shape", "pred_shape", "expected"), CROSSENTROPY_SHAPES)
def test_resolve_picks_the_crossentropy_from_the_shapes(
    keras, name, true_shape, pred_shape, expected
):
    from keras.src.trainers.compile_utils import get_loss

    loss = losses.resolve(name, true_shape, pred_shape)
    assert isinstance(loss, losses.LossFunctionWrapper)
    assert loss.fn.__name__ == expected and loss.name == name
    theirs = get_loss(name, np.zeros(true_shape), np.zeros(pred_shape))
    assert theirs.fn.__name__ == expected


def test_resolve_wraps_functions_and_keeps_objects():
    assert losses.resolve(None) is None
    wrapped = losses.resolve("mse")
    assert isinstance(wrapped, losses.LossFunctionWrapper)
    assert (wrapped.fn, wrapped.name) == (losses.mean_squared_error, "mse")
    instance = losses.CategoricalCrossentropy()
    assert losses.resolve(instance) is instance
    torch_loss = nn.CrossEntropyLoss()
    assert losses.resolve(torch_loss) is torch_loss

    def mean_pred_error(y_true, y_pred):
        return torch.mean(y_pred - y_true, dim=-1)

    wrapped = losses.resolve(mean_pred_error)
    assert wrapped.name == "mean_pred_error"
    value = wrapped(
        torch.zeros(4), torch.ones(4, 1), sample_weight=torch.tensor([1.0, 1.0, 0.0, 0.0])
    )
    assert value.item() == 0.5
    assert losses.resolve(lambda y_true, y_pred: y_pred).name == "loss"


def test_resolve_crossentropy_needs_the_shapes():
    with pytest.raises(
        ValueError,
        match=(
            r"loss='crossentropy' is chosen from the target and output shapes; "
            r"pass y_true_shape and y_pred_shape"
        ),
    ):
        losses.resolve("crossentropy")
