"""Tests for torchseq.initializers: shapes, dtypes, statistics, seeds, lookup and Keras parity."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import torchseq
from torchseq import initializers as init

# Every string Keras 3 resolves (keras.initializers.ALL_OBJECTS_DICT) and the class it gives.
NAME_TO_CLASS = {
    "Constant": "Constant",
    "constant": "Constant",
    "GlorotNormal": "GlorotNormal",
    "glorot_normal": "GlorotNormal",
    "GlorotUniform": "GlorotUniform",
    "glorot_uniform": "GlorotUniform",
    "HeNormal": "HeNormal",
    "he_normal": "HeNormal",
    "HeUniform": "HeUniform",
    "he_uniform": "HeUniform",
    "Identity": "Identity",
    "identity": "Identity",
    "IdentityInitializer": "Identity",
    "Initializer": "Initializer",
    "initializer": "Initializer",
    "LecunNormal": "LecunNormal",
    "lecun_normal": "LecunNormal",
    "LecunUniform": "LecunUniform",
    "lecun_uniform": "LecunUniform",
    "Ones": "Ones",
    "ones": "Ones",
    "one": "Ones",
    "Orthogonal": "Orthogonal",
    "orthogonal": "Orthogonal",
    "OrthogonalInitializer": "Orthogonal",
    "RandomNormal": "RandomNormal",
    "random_normal": "RandomNormal",
    "normal": "RandomNormal",
    "RandomUniform": "RandomUniform",
    "random_uniform": "RandomUniform",
    "uniform": "RandomUniform",
    "STFT": "STFT",
    "stft": "STFT",
    "STFTInitializer": "STFT",
    "TruncatedNormal": "TruncatedNormal",
    "truncated_normal": "TruncatedNormal",
    "VarianceScaling": "VarianceScaling",
    "variance_scaling": "VarianceScaling",
    "Zeros": "Zeros",
    "zeros": "Zeros",
    "zero": "Zeros",
}

# Initializers that fill any float shape, with the arguments they are tested with.
FILLERS = {
    "Zeros": {},
    "Ones": {},
    "Constant": {"value": 0.5},
    "RandomNormal": {"seed": 1},
    "RandomUniform": {"seed": 1},
    "TruncatedNormal": {"seed": 1},
    "VarianceScaling": {"scale": 2.0, "mode": "fan_avg", "distribution": "uniform", "seed": 1},
    "GlorotUniform": {"seed": 1},
    "GlorotNormal": {"seed": 1},
    "HeUniform": {"seed": 1},
    "HeNormal": {"seed": 1},
    "LecunUniform": {"seed": 1},
    "LecunNormal": {"seed": 1},
    "Orthogonal": {"gain": 2.0, "seed": 1},
}
CONFIGURED = {
    **FILLERS,
    "Identity": {"gain": 3.0},
    "STFT": {"side": "imag", "window": "hamming", "scaling": "spectrum"},
}

# A conv-like Keras kernel (kh, kw, in, out): fan_in = 3*3*64, fan_out = 3*3*128.
CONV_SHAPE = (3, 3, 64, 128)
FAN_IN, FAN_OUT = 576, 1152
FAN_AVG = (FAN_IN + FAN_OUT) / 2
TRUNCATED_STD_RATIO = 0.87962566103423978  # std of a unit normal truncated at +-2

# name -> (initializer, expected mean, expected std, (low, high) bounds or None), from the formulas.
STATISTICS = {
    "random_normal": (init.RandomNormal(mean=1.0, stddev=0.5), 1.0, 0.5, None),
    "random_uniform": (init.RandomUniform(-0.2, 0.6), 0.2, 0.8 / math.sqrt(12), (-0.2, 0.6)),
    "truncated_normal": (
        init.TruncatedNormal(mean=0.5, stddev=0.1),
        0.5,
        0.1 * TRUNCATED_STD_RATIO,
        (0.3, 0.7),
    ),
    "glorot_uniform": (
        init.GlorotUniform(),
        0.0,
        math.sqrt(6 / (FAN_IN + FAN_OUT)) / math.sqrt(3),
        (-math.sqrt(6 / (FAN_IN + FAN_OUT)), math.sqrt(6 / (FAN_IN + FAN_OUT))),
    ),
    "glorot_normal": (
        init.GlorotNormal(),
        0.0,
        math.sqrt(1 / FAN_AVG),
        (
            -2 * math.sqrt(1 / FAN_AVG) / TRUNCATED_STD_RATIO,
            2 * math.sqrt(1 / FAN_AVG) / TRUNCATED_STD_RATIO,
        ),
    ),
    "he_uniform": (
        init.HeUniform(),
        0.0,
        math.sqrt(2 / FAN_IN),
        (-math.sqrt(6 / FAN_IN), math.sqrt(6 / FAN_IN)),
    ),
    "he_normal": (
        init.HeNormal(),
        0.0,
        math.sqrt(2 / FAN_IN),
        (
            -2 * math.sqrt(2 / FAN_IN) / TRUNCATED_STD_RATIO,
            2 * math.sqrt(2 / FAN_IN) / TRUNCATED_STD_RATIO,
        ),
    ),
    "lecun_uniform": (
        init.LecunUniform(),
        0.0,
        math.sqrt(1 / FAN_IN),
        (-math.sqrt(3 / FAN_IN), math.sqrt(3 / FAN_IN)),
    ),
    "lecun_normal": (
        init.LecunNormal(),
        0.0,
        math.sqrt(1 / FAN_IN),
        (
            -2 * math.sqrt(1 / FAN_IN) / TRUNCATED_STD_RATIO,
            2 * math.sqrt(1 / FAN_IN) / TRUNCATED_STD_RATIO,
        ),
    ),
    "variance_scaling_untruncated": (
        init.VarianceScaling(2.0, "fan_out", "untruncated_normal"),
        0.0,
        math.sqrt(2 / FAN_OUT),
        None,
    ),
}

RANDOM_NAMES = [
    "random_normal",
    "random_uniform",
    "truncated_normal",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
    "orthogonal",
]

FAN_SHAPES = [(), (5,), (4, 7), (3, 16, 32), (3, 3, 16, 32), (2, 3, 3, 8, 4)]


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def make(class_name: str) -> init.Initializer:
    return getattr(init, class_name)(**CONFIGURED[class_name])


# --- Shapes, dtypes and values ----------------------------------------------


@pytest.mark.parametrize("class_name", sorted(FILLERS))
@pytest.mark.parametrize("dtype", [None, "float64", torch.bfloat16, "float16"])
def test_shape_and_dtype(class_name, dtype):
    out = make(class_name)((3, 3, 4, 5), dtype=dtype)
    expected = torch.float32 if dtype is None else getattr(torch, str(dtype).removeprefix("torch."))
    assert out.shape == (3, 3, 4, 5)
    assert out.dtype == expected
    assert out.device.type == "cpu"
    assert torch.isfinite(out).all()


def test_constant_values():
    assert torch.equal(init.Zeros()((2, 3), dtype="int32"), torch.zeros(2, 3, dtype=torch.int32))
    assert torch.equal(init.Ones()(4), torch.ones(4))
    assert torch.equal(init.Constant(2.5)((2, 2)), torch.full((2, 2), 2.5))
    broadcast = init.Constant([1.0, 2.0])((3, 2))
    assert torch.equal(broadcast, torch.tensor([[1.0, 2.0]] * 3))


def test_constant_rejects_unbroadcastable_value():
    with pytest.raises(ValueError, match=r"cannot be broadcast .* received: shape=\(3, 4\)"):
        init.Constant([1.0, 2.0])((3, 4))


def test_identity_values():
    torch.testing.assert_close(init.Identity(gain=2.0)((3, 3)), 2 * torch.eye(3))
    torch.testing.assert_close(init.Identity()((2, 4)), torch.eye(2, 4))
    with pytest.raises(ValueError, match=r"expected a 2D shape, received: shape=\(2, 2, 2\)"):
        init.Identity()((2, 2, 2))


@pytest.mark.parametrize("name", sorted(STATISTICS))
def test_statistics(name):
    torch.manual_seed(0)
    initializer, mean, std, bounds = STATISTICS[name]
    values = initializer(CONV_SHAPE).double()
    assert abs(values.mean().item() - mean) < 0.02 * std
    assert values.std().item() == pytest.approx(std, rel=0.02)
    if bounds is not None:
        low, high = bounds
        assert values.min().item() >= low - 1e-6 and values.max().item() <= high + 1e-6
        # The samples reach close to the bounds, so the bounds are not loose.
        assert values.min().item() < low + 0.05 * (high - low)
        assert values.max().item() > high - 0.05 * (high - low)


@pytest.mark.parametrize("shape", [(64, 32), (32, 64), (3, 3, 8, 16), (16, 16)])
def test_orthogonal(shape):
    gain = 1.5
    matrix = init.Orthogonal(gain=gain, seed=3)(shape).reshape(-1, shape[-1]).double()
    small = matrix.T @ matrix if matrix.shape[0] >= matrix.shape[1] else matrix @ matrix.T
    torch.testing.assert_close(
        small, gain**2 * torch.eye(small.shape[0], dtype=torch.double), atol=1e-5, rtol=0
    )


def test_orthogonal_rejects_rank_one():
    with pytest.raises(ValueError, match=r"rank >= 2, received: shape=\(5,\) of rank 1"):
        init.Orthogonal()((5,))


# --- Seeds --------------------------------------------------------------------


@pytest.mark.parametrize("name", RANDOM_NAMES)
def test_seed_is_reproducible(name):
    cls = type(init.get(name))
    first = cls(seed=7)((8, 6))
    assert torch.equal(first, cls(seed=7)((8, 6)))
    seeded = cls(seed=7)
    assert torch.equal(seeded((8, 6)), seeded((8, 6)))
    assert not torch.equal(first, cls(seed=8)((8, 6)))


@pytest.mark.parametrize("name", RANDOM_NAMES)
def test_unseeded_uses_the_global_generator(name):
    initializer = init.get(name)
    torch.manual_seed(11)
    first = initializer((8, 6))
    second = initializer((8, 6))
    torch.manual_seed(11)
    assert torch.equal(first, initializer((8, 6)))
    assert not torch.equal(first, second)


def test_seeded_call_leaves_global_generator_alone():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    init.GlorotUniform(seed=5)((10, 10))
    assert torch.equal(torch.rand(3), expected)


# --- Fans and Keras parity ------------------------------------------------------


@pytest.mark.parametrize("shape", FAN_SHAPES, ids=str)
def test_compute_fans_matches_keras(keras, shape):
    from keras.src.initializers.random_initializers import compute_fans

    assert init.compute_fans(shape) == compute_fans(shape)


def test_compute_fans_examples():
    assert init.compute_fans((3, 3, 16, 32)) == (144, 288)
    assert init.compute_fans((4, 7)) == (4, 7)
    assert init.compute_fans((5,)) == (5, 5)
    assert init.compute_fans((2, 3, 4), input_axes=[0, 1], output_axes=[2]) == (6, 4)


@pytest.mark.parametrize("name", RANDOM_NAMES)
def test_spread_matches_keras(keras, name):
    shape = (64, 96) if name == "orthogonal" else CONV_SHAPE
    expected = np.asarray(keras.initializers.get(name)(shape)).std()
    torch.manual_seed(0)
    assert init.get(name)(shape).std().item() == pytest.approx(expected, rel=0.03)


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"side": "imag"},
        {"window": "hamming", "scaling": "spectrum"},
        {"window": "blackman", "periodic": True},
        {"window": "bartlett", "scaling": None},
        {"window": "boxcar"},
        {"window": None},
        {"window": [0.5, 1.0, 1.0, 0.5, 0.25, 0.1], "side": "imag"},
    ],
    ids=str,
)
def test_stft_matches_keras(keras, config):
    frame_length = len(config["window"]) if isinstance(config.get("window"), list) else 6
    shape = (frame_length, 1, 5)
    expected = np.asarray(keras.initializers.STFT(**config)(shape))
    np.testing.assert_allclose(init.STFT(**config)(shape).numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("class_name", ["Zeros", "Ones", "Constant", "Identity"])
def test_deterministic_values_match_keras(keras, class_name):
    expected = np.asarray(getattr(keras.initializers, class_name)(**CONFIGURED[class_name])((4, 4)))
    np.testing.assert_array_equal(make(class_name)((4, 4)).numpy(), expected)


# Keras's Identity.get_config() drops `gain` (a Keras bug); ours keeps it so it round-trips.
KERAS_CONFIG_OMISSIONS = {"Identity": {"gain"}}


def keras_config(keras, class_name: str) -> dict:
    return getattr(keras.initializers, class_name)(**CONFIGURED[class_name]).get_config()


@pytest.mark.parametrize("class_name", sorted(CONFIGURED))
def test_config_matches_keras(keras, class_name):
    ours = make(class_name).get_config()
    omitted = KERAS_CONFIG_OMISSIONS.get(class_name, set())
    assert {key: value for key, value in ours.items() if key not in omitted} == keras_config(
        keras, class_name
    )


@pytest.mark.parametrize("class_name", sorted(set(CONFIGURED) - set(KERAS_CONFIG_OMISSIONS)))
def test_serialize_matches_keras(keras, class_name):
    ours = init.serialize(make(class_name))
    theirs = keras.initializers.serialize(
        getattr(keras.initializers, class_name)(**CONFIGURED[class_name])
    )
    assert ours == theirs


@pytest.mark.parametrize("class_name", sorted(CONFIGURED))
def test_get_reads_keras_serialized_config(keras, class_name):
    theirs = keras.initializers.serialize(
        getattr(keras.initializers, class_name)(**CONFIGURED[class_name])
    )
    resolved = init.get(theirs)
    assert type(resolved).__name__ == class_name
    expected = getattr(init, class_name)(**keras_config(keras, class_name))
    assert resolved.get_config() == expected.get_config()


def test_keras_names_are_the_expected_table(keras):
    from keras.src.initializers import ALL_OBJECTS_DICT

    assert {name: cls.__name__ for name, cls in ALL_OBJECTS_DICT.items()} == NAME_TO_CLASS


def test_public_names_match_keras(keras):
    public = {name for name in dir(keras.initializers) if not name.startswith("_")}
    assert public <= set(init.__all__)
    assert all(hasattr(init, name) for name in init.__all__)


# --- Lookup and serialization -----------------------------------------------------


@pytest.mark.parametrize("name", sorted(NAME_TO_CLASS))
def test_get_resolves_every_keras_name(name):
    assert type(init.get(name)).__name__ == NAME_TO_CLASS[name]


def test_get_passes_through_instances_callables_and_none():
    instance = init.HeNormal(seed=1)
    assert init.get(instance) is instance
    assert init.get(None) is None

    def custom(shape, dtype=None):
        return torch.full(shape, 3.0)

    assert init.get(custom) is custom


def test_get_instantiates_classes():
    resolved = init.get(init.LecunUniform)
    assert isinstance(resolved, init.LecunUniform) and resolved.seed is None


def test_get_tensor_is_the_initial_value():
    value = np.arange(6, dtype="float64").reshape(2, 3)
    initializer = init.get(value)
    torch.testing.assert_close(initializer((2, 3)), torch.arange(6.0).reshape(2, 3))
    with pytest.raises(ValueError, match=r"received: shape=\(3, 2\)"):
        initializer((3, 2))


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="Unknown initializer") as info:
        init.get("glorot")
    assert str(sorted(NAME_TO_CLASS)) in str(info.value)
    assert "received: 'glorot'" in str(info.value)


def test_get_rejects_other_types():
    with pytest.raises(TypeError, match="received: 3.5 of type float"):
        init.get(3.5)


@pytest.mark.parametrize("class_name", sorted(CONFIGURED))
def test_serialize_round_trip(class_name):
    original = make(class_name)
    restored = init.deserialize(init.serialize(original))
    assert type(restored) is type(original)
    assert restored.get_config() == original.get_config()
    assert original.clone().get_config() == original.get_config()


def test_serialized_seeded_initializer_gives_same_values():
    original = init.HeUniform(seed=42)
    restored = init.get(init.serialize(original))
    assert torch.equal(original((5, 7)), restored((5, 7)))


def test_custom_function_serializes_by_name():
    def ramp(shape, dtype=None):
        return torch.arange(math.prod(shape), dtype=torch.float32).reshape(shape)

    config = init.serialize(ramp)
    assert config["class_name"] == "function" and config["config"] == "ramp"
    assert init.deserialize(config, custom_objects={"ramp": ramp}) is ramp


def test_base_initializer_is_abstract():
    with pytest.raises(NotImplementedError, match="Initializer must implement"):
        init.Initializer()((2, 2))


# --- Argument errors -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"scale": 0.0}, ValueError, "scale must be positive, received: scale=0.0"),
        ({"scale": "big"}, TypeError, "scale must be a number"),
        (
            {"mode": "fan"},
            ValueError,
            r"mode must be one of \['fan_avg', 'fan_in', 'fan_out'\], received: mode='fan'",
        ),
        (
            {"distribution": "gamma"},
            ValueError,
            r"distribution must be one of \['truncated_normal', 'uniform', 'untruncated_normal'\]",
        ),
        ({"seed": "abc"}, TypeError, "seed must be an int or None, received: seed='abc'"),
    ],
)
def test_variance_scaling_argument_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        init.VarianceScaling(**kwargs)


def test_normal_distribution_is_truncated_normal():
    assert init.VarianceScaling(distribution="Normal").distribution == "truncated_normal"


def test_stft_argument_errors():
    with pytest.raises(ValueError, match=r"side must be one of \['real', 'imag'\]"):
        init.STFT(side="both")
    with pytest.raises(ValueError, match=r"window must be one of \['bartlett', 'blackman'"):
        init.STFT(window="kaiser")
    with pytest.raises(ValueError, match=r"STFT window expected shape \(4,\)"):
        init.STFT(window=[1.0, 1.0])((4, 1, 3))


def test_random_initializer_rejects_integer_dtype():
    with pytest.raises(ValueError, match="expected a floating dtype .* received: dtype='int32'"):
        init.RandomNormal()((2, 2), dtype="int32")


def test_shape_errors():
    with pytest.raises(TypeError, match="shape must be a sequence of ints"):
        init.Zeros()((2.5, 3))
    with pytest.raises(ValueError, match="negative sizes"):
        init.Zeros()((2, -1))


def test_serialize_none_like_keras(keras):
    assert init.serialize(None) is None
    assert keras.initializers.serialize(None) is None


@pytest.mark.parametrize("name", ["he_normal", "truncated_normal", "lecun_normal"])
def test_truncated_draws_on_the_meta_device_give_shapes_only(name):
    # Models built under torch.device("meta") (no memory): the redraw loop read the values.
    with torch.device("meta"):
        layer = torchseq.layers.Dense(3, kernel_initializer=name)
        layer.build((None, 4))
    assert layer.kernel.is_meta and tuple(layer.kernel.shape) == (4, 3)
