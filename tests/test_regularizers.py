"""Tests for torchseq.regularizers: parity with keras.regularizers, lookup and errors."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch

import torchseq
from torchseq import regularizers

# (class name, constructor arguments)
CASES = [
    ("L1", {}),
    ("L1", {"l1": 0.3}),
    ("L2", {}),
    ("L2", {"l2": 0.05}),
    ("L1L2", {}),
    ("L1L2", {"l1": 0.1}),
    ("L1L2", {"l2": 0.2}),
    ("L1L2", {"l1": 0.01, "l2": 0.02}),
    ("OrthogonalRegularizer", {}),
    ("OrthogonalRegularizer", {"factor": 0.1, "mode": "columns"}),
]

# Every string Keras 3 resolves (keras.regularizers.ALL_OBJECTS_DICT), plus our "l1_l2".
NAME_TO_CLASS = {
    "L1": "L1",
    "l1": "L1",
    "L2": "L2",
    "l2": "L2",
    "L1L2": "L1L2",
    "l1l2": "L1L2",
    "OrthogonalRegularizer": "OrthogonalRegularizer",
    "orthogonal_regularizer": "OrthogonalRegularizer",
    "Regularizer": "Regularizer",
    "regularizer": "Regularizer",
}
EXTRA_NAMES = {"l1_l2": "L1L2"}


def case_id(case: tuple[str, dict]) -> str:
    name, kwargs = case
    return name + "".join(f"-{key}={value}" for key, value in kwargs.items())


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def weights() -> np.ndarray:
    """A Dense-like kernel with mixed signs, large entries and an all-zero row."""
    values = np.random.default_rng(0).normal(size=(8, 5)).astype("float32") * 3
    values[2] = 0.0
    return values


def make(case: tuple[str, dict]) -> regularizers.Regularizer:
    class_name, kwargs = case
    return getattr(regularizers, class_name)(**kwargs)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_keras(keras, case):
    class_name, kwargs = case
    x = weights()
    expected = float(
        getattr(keras.regularizers, class_name)(**kwargs)(keras.ops.convert_to_tensor(x))
    )
    actual = make(case)(torch.from_numpy(x))
    assert actual.shape == () and actual.dtype == torch.float32
    assert actual.item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_penalty_is_differentiable_and_keeps_dtype(case):
    x = torch.from_numpy(weights().astype("float64")).requires_grad_()
    penalty = make(case)(x)
    assert penalty.dtype == torch.float64
    if case == ("L1L2", {}):  # both factors zero: a constant, as in Keras
        assert not penalty.requires_grad and penalty.item() == 0.0
        return
    penalty.backward()
    # Finite even for the all-zero row, where Keras's own formula gives NaN gradients.
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_formulas():
    x = torch.tensor([[1.0, -2.0], [3.0, 0.0]])
    torch.testing.assert_close(regularizers.L1(0.5)(x), torch.tensor(3.0))
    torch.testing.assert_close(regularizers.L2(0.5)(x), torch.tensor(7.0))  # no 1/2 factor
    torch.testing.assert_close(regularizers.L1L2(0.5, 0.5)(x), torch.tensor(10.0))
    torch.testing.assert_close(regularizers.L1L2()(x), torch.tensor(0.0))
    orthogonal = regularizers.OrthogonalRegularizer(1.0)
    torch.testing.assert_close(orthogonal(torch.eye(3)), torch.tensor(0.0))
    # Two parallel rows: |cosine| = 1 for the single pair.
    torch.testing.assert_close(orthogonal(torch.ones(2, 2)), torch.tensor(1.0))
    # Columns [1, 0] and [1, 1] / sqrt(2) of [[1, 1], [0, 1]]: |cosine| = 1 / sqrt(2).
    columns = regularizers.OrthogonalRegularizer(1.0, mode="columns")
    torch.testing.assert_close(
        columns(torch.tensor([[1.0, 1.0], [0.0, 1.0]])), torch.tensor(0.5**0.5)
    )


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_config_matches_keras(keras, case):
    class_name, kwargs = case
    expected = getattr(keras.regularizers, class_name)(**kwargs).get_config()
    assert_configs_close(make(case).get_config(), expected)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_serialize_round_trip(case):
    original = make(case)
    config = regularizers.serialize(original)
    assert config["module"] == "keras.regularizers" and config["class_name"] == case[0]
    restored = regularizers.deserialize(config)
    assert type(restored) is type(original) and restored.get_config() == original.get_config()


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_get_reads_keras_serialized_config(keras, case):
    class_name, kwargs = case
    theirs = keras.regularizers.serialize(getattr(keras.regularizers, class_name)(**kwargs))
    resolved = regularizers.get(theirs)
    assert type(resolved).__name__ == class_name
    assert_configs_close(resolved.get_config(), make(case).get_config())


def assert_configs_close(actual, expected):
    """Equal keys and values; numbers approximately (Keras keeps some factors as float32)."""
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            assert actual[key] == pytest.approx(value, rel=1e-6), key
        else:
            assert actual[key] == value, key


def test_keras_names_are_the_expected_table(keras):
    from keras.src.regularizers import ALL_OBJECTS_DICT

    assert {name: cls.__name__ for name, cls in ALL_OBJECTS_DICT.items()} == NAME_TO_CLASS


def test_public_names_match_keras(keras):
    public = {name for name in dir(keras.regularizers) if not name.startswith("_")}
    assert public <= set(regularizers.__all__)
    assert all(hasattr(regularizers, name) for name in regularizers.__all__)


@pytest.mark.parametrize("name", sorted({**NAME_TO_CLASS, **EXTRA_NAMES}))
def test_get_resolves_names(name):
    assert type(regularizers.get(name)).__name__ == {**NAME_TO_CLASS, **EXTRA_NAMES}[name]


def test_function_aliases_are_the_classes():
    assert isinstance(regularizers.l2(0.01), regularizers.L2)
    assert isinstance(regularizers.l1_l2(l1=0.1, l2=0.1), regularizers.L1L2)
    assert regularizers.get("l2").l2 == 0.01


def test_get_passes_through_none_instances_and_callables():
    assert regularizers.get(None) is None
    instance = regularizers.L1(0.2)
    assert regularizers.get(instance) is instance
    assert isinstance(regularizers.get(regularizers.L2), regularizers.L2)

    def penalty(x):
        return x.abs().max()

    assert regularizers.get(penalty) is penalty


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="Unknown regularizer") as info:
        regularizers.get("l3")
    assert str(sorted({**NAME_TO_CLASS, **EXTRA_NAMES})) in str(info.value)


def test_get_rejects_other_types():
    with pytest.raises(TypeError, match="regularizer must be .* received: 0.1 of type float"):
        regularizers.get(0.1)


def test_none_factors_mean_defaults():
    assert regularizers.L1L2(None, None).get_config() == {"l1": 0.0, "l2": 0.0}
    assert regularizers.L1(None).l1 == 0.01
    assert regularizers.L2(None).l2 == 0.01


@pytest.mark.parametrize(
    ("factory", "error", "message"),
    [
        (
            lambda: regularizers.L2(-1.0),
            ValueError,
            "l2 must be a finite non-negative number, received: l2=-1.0",
        ),
        (lambda: regularizers.L1(float("nan")), ValueError, "l1 must be a finite"),
        (lambda: regularizers.L1L2(l1="a"), TypeError, "l1 must be a non-negative number"),
        (
            lambda: regularizers.OrthogonalRegularizer(mode="diag"),
            ValueError,
            r"mode must be one of \['rows', 'columns'\], received: mode='diag'",
        ),
        (
            lambda: regularizers.OrthogonalRegularizer()(torch.ones(2, 2, 2)),
            ValueError,
            r"expected a rank-2 weight, received: shape=\(2, 2, 2\) of rank 3",
        ),
    ],
)
def test_argument_errors(factory, error, message):
    with pytest.raises(error, match=message):
        factory()


def test_base_regularizer():
    base = regularizers.Regularizer()
    torch.testing.assert_close(base(torch.ones(3)), torch.tensor(0.0))
    with pytest.raises(NotImplementedError, match="must implement get_config"):
        base.get_config()


def test_serialize_none_like_keras(keras):
    assert regularizers.serialize(None) is None
    assert keras.regularizers.serialize(None) is None


def test_a_model_called_with_call_losses_can_be_copied_and_pickled():
    model = torchseq.Sequential(
        [torchseq.Input((3,)), torchseq.layers.Dense(2, activity_regularizer="l2")]
    )
    model(np.ones((2, 3), "float32"))  # its losses now hold a graph torch cannot copy
    assert len(model.losses) == 1
    for twin in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert twin.losses == []  # a copy starts without the last call's losses
        for ours, theirs in zip(twin.get_weights(), model.get_weights()):
            np.testing.assert_array_equal(ours, theirs)
        twin(np.ones((2, 3), "float32"))
        assert len(twin.losses) == 1
