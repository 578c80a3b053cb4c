"""Tests for torchseq.activations: parity with keras.activations, lookup and serialization."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

from torchseq import activations

# Every name Keras 3 resolves by string (keras.activations.ALL_OBJECTS_DICT).
KERAS_NAMES = [
    "celu",
    "elu",
    "exponential",
    "gelu",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh",
    "tanh_shrink",
    "threshold",
]

# (name, keyword arguments): every name at its defaults, plus the arguments that change the math.
CASES = [
    ("celu", {}),
    ("celu", {"alpha": 2.0}),
    ("elu", {}),
    ("elu", {"alpha": 0.5}),
    ("exponential", {}),
    ("gelu", {}),
    ("gelu", {"approximate": True}),
    ("glu", {}),
    ("glu", {"axis": 0}),
    ("hard_shrink", {}),
    ("hard_shrink", {"threshold": 1.0}),
    ("hard_sigmoid", {}),
    ("hard_silu", {}),
    ("hard_swish", {}),
    ("hard_tanh", {}),
    ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": 0.05}),
    ("linear", {}),
    ("log_sigmoid", {}),
    ("log_softmax", {}),
    ("log_softmax", {"axis": 0}),
    ("log_softmax", {"axis": None}),
    ("log_softmax", {"axis": (0, 1)}),
    ("mish", {}),
    ("relu", {}),
    ("relu", {"negative_slope": 0.1}),
    ("relu", {"max_value": 6.0}),
    ("relu", {"max_value": 3.0}),
    ("relu", {"threshold": 1.0}),
    ("relu", {"max_value": 3.0, "threshold": 1.0}),
    ("relu", {"negative_slope": 0.2, "threshold": 2.0}),
    ("relu", {"negative_slope": 0.3, "max_value": 4.0}),
    ("relu", {"negative_slope": 0.3, "max_value": 4.0, "threshold": -0.5}),
    ("relu6", {}),
    ("selu", {}),
    ("sigmoid", {}),
    ("silu", {}),
    ("swish", {}),
    ("soft_shrink", {}),
    ("soft_shrink", {"threshold": 1.0}),
    ("softmax", {}),
    ("softmax", {"axis": 0}),
    ("softmax", {"axis": None}),
    ("softmax", {"axis": (0, 1)}),
    ("softplus", {}),
    ("softsign", {}),
    ("sparse_plus", {}),
    ("sparse_sigmoid", {}),
    ("sparsemax", {}),
    ("sparsemax", {"axis": 0}),
    ("squareplus", {}),
    ("squareplus", {"b": 1.0}),
    ("tanh", {}),
    ("tanh_shrink", {}),
    ("threshold", {"threshold": 0.5, "default_value": -1.0}),
]


def case_id(case: tuple[str, dict]) -> str:
    name, kwargs = case
    return name + "".join(f"-{key}={value}" for key, value in kwargs.items())


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def sample_input() -> np.ndarray:
    """Negatives, large magnitudes and every kink of the piecewise functions, shape (2, 106)."""
    kinks = [-100, -30, -3, -1, -0.5, 0, 0.5, 1, 3, 30, 100]
    values = np.concatenate([np.linspace(-10, 10, 201), kinks]).astype("float32")
    return values.reshape(2, -1)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_keras(keras, case):
    name, kwargs = case
    x = sample_input()
    expected = np.asarray(getattr(keras.activations, name)(x, **kwargs))
    actual = getattr(activations, name)(torch.from_numpy(x), **kwargs)
    assert actual.dtype == torch.float32
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_keeps_float64(case):
    name, kwargs = case
    x = torch.from_numpy(sample_input().astype("float64"))
    assert getattr(activations, name)(x, **kwargs).dtype == torch.float64


@pytest.mark.parametrize("name", ["relu", "elu", "gelu", "softmax", "sparsemax", "sparse_plus"])
def test_gradients_flow(name):
    x = torch.linspace(-3, 3, 12, requires_grad=True)
    activations.get(name)(x).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_cases_cover_every_keras_name():
    assert sorted({name for name, _ in CASES}) == sorted(KERAS_NAMES)


def test_keras_names_are_the_expected_table(keras):
    from keras.src.activations import ALL_OBJECTS_DICT

    assert sorted(ALL_OBJECTS_DICT) == sorted(KERAS_NAMES)


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_get_resolves_every_keras_name(name):
    fn = activations.get(name)
    assert fn is getattr(activations, name)
    assert callable(fn)


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_serialize_matches_keras(keras, name):
    expected = keras.activations.serialize(keras.activations.get(name))
    assert activations.serialize(activations.get(name)) == expected


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_serialize_round_trips(name):
    fn = activations.get(name)
    assert activations.deserialize(activations.serialize(fn)) is fn


def test_aliases_serialize_to_canonical_name():
    assert activations.swish is activations.silu
    assert activations.serialize(activations.swish) == "silu"
    assert activations.serialize(activations.hard_swish) == "hard_silu"


def test_get_none_is_linear():
    assert activations.get(None) is activations.linear


def test_get_callable_is_returned_as_is(keras):
    def custom(x):
        return 2 * x

    assert activations.get(custom) is custom
    assert activations.serialize(custom) == keras.activations.serialize(custom)


def test_registered_function_round_trips_by_its_registered_name(keras):
    from torchseq import layers, saving

    def cube(x):
        return x**3

    saving.register_keras_serializable(package="tests_act")(cube)
    keras.saving.register_keras_serializable(package="tests_act")(cube)
    try:
        config = layers.Dense(2, activation=cube).get_config()["activation"]
        assert config == keras.layers.Dense(2, activation=cube).get_config()["activation"]
        assert config["config"] == "tests_act>cube"
        rebuilt = layers.Dense.from_config(layers.Dense(2, activation=cube).get_config())
        assert rebuilt.activation is cube
        assert activations.get(config) is cube
        with saving.custom_object_scope({"scoped_cube": cube}):
            assert activations.get("scoped_cube") is cube
    finally:
        saving.get_custom_objects().pop("tests_act>cube")
        keras.saving.get_custom_objects().pop("tests_act>cube")


def test_get_keras_config_dict(keras):
    config = keras.layers.Dense(2, activation="tanh").get_config()["activation"]
    assert activations.get(config) is activations.tanh
    saved = {
        "module": "builtins",
        "class_name": "function",
        "config": "relu",
        "registered_name": "function",
    }
    assert activations.get(saved) is activations.relu


def test_get_is_case_sensitive_and_lists_valid_names():
    with pytest.raises(ValueError, match="received: 'ReLU'") as info:
        activations.get("ReLU")
    assert str(sorted(KERAS_NAMES)) in str(info.value)


def test_get_rejects_other_types():
    with pytest.raises(TypeError, match="activation must be .* received: 3 of type int"):
        activations.get(3)


def test_get_rejects_malformed_dict():
    with pytest.raises(ValueError, match="'class_name': 'function'"):
        activations.get({"class_name": "Dense", "config": {}})


def test_serialize_rejects_non_functions():
    with pytest.raises(TypeError, match="activation must be a function"):
        activations.serialize(5)
    with pytest.raises(TypeError, match="activation must be a function"):
        activations.serialize(functools.partial(activations.relu, max_value=1.0))


def test_deserialize_custom_objects():
    def scaled(x):
        return 3 * x

    assert activations.deserialize("scaled", custom_objects={"scaled": scaled}) is scaled
    with pytest.raises(ValueError, match="Unknown activation: .* or a registered function"):
        activations.deserialize("scaled")


def test_softmax_over_size_one_axis_warns_like_keras():
    with pytest.warns(UserWarning, match="has size 1"):
        out = activations.softmax(torch.zeros(4, 1))
    torch.testing.assert_close(out, torch.ones(4, 1))


def test_sparsemax_is_a_sparse_distribution():
    out = activations.sparsemax(torch.tensor([[3.0, 1.0, 0.2, -2.0]]))
    torch.testing.assert_close(out.sum(-1), torch.ones(1))
    assert (out == 0).sum() == 3


def test_defaults_follow_keras_not_torch():
    x = torch.tensor([-1.0, 1.0])
    torch.testing.assert_close(activations.leaky_relu(x), torch.tensor([-0.2, 1.0]))
    torch.testing.assert_close(activations.hard_sigmoid(torch.tensor([1.5])), torch.tensor([0.75]))


def test_stages_run_element_wise_built_ins_in_place_and_the_rest_after():
    assert activations.stages(activations.linear) == (None, None)
    assert activations.stages(activations.relu) == (torch.relu_, None)
    assert activations.stages(activations.tanh) == (torch.tanh_, None)
    assert activations.stages(activations.softmax) == (None, activations.softmax)
    leaky = functools.partial(activations.relu, negative_slope=0.1)
    assert activations.stages(leaky) == (None, leaky)  # not the plain built-in
