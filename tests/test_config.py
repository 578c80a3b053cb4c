"""Global settings: image data format, floatx, epsilon, and resetting automatic names."""

import pytest
import torch

import torchseq as keras
from torchseq import backend as K
from torchseq import config, layers


@pytest.fixture
def channels_first():
    config.set_image_data_format("channels_first")
    try:
        yield
    finally:
        config.set_image_data_format("channels_last")


def test_image_layers_default_to_channels_last():
    assert config.image_data_format() == "channels_last"
    model = keras.Sequential([keras.Input(shape=(8, 8, 3)), layers.Conv2D(4, 3)])
    assert model.output_shape == (None, 6, 6, 4)


def test_set_image_data_format_changes_new_layers(channels_first):
    model = keras.Sequential(
        [keras.Input(shape=(3, 8, 8)), layers.Conv2D(4, 3), layers.MaxPooling2D(2)]
    )
    assert model.output_shape == (None, 4, 3, 3)
    assert tuple(model(torch.ones(1, 3, 8, 8)).shape) == (1, 4, 3, 3)


def test_bad_data_format_lists_the_choices():
    with pytest.raises(ValueError, match=r"\['channels_last', 'channels_first'\].*'nhwc'"):
        config.set_image_data_format("nhwc")
    with pytest.raises(ValueError, match="channels_last.*channels_first.*'nchw'"):
        layers.Conv2D(4, 3, data_format="nchw")


def test_floatx_and_epsilon_defaults():
    assert config.floatx() == "float32" and K.floatx() == "float32"
    assert config.epsilon() == 1e-7 and K.epsilon() == 1e-7
    with pytest.raises(ValueError, match="floatx must be one of.*'float8'"):
        config.set_floatx("float8")


def test_float64_models(monkeypatch):
    monkeypatch.setattr(config, "_FLOATX", "float64")
    dense = layers.Dense(2)
    out = dense(torch.ones(1, 3, dtype=torch.float64))
    assert dense.kernel.dtype == torch.float64 and out.dtype == torch.float64


@pytest.mark.parametrize("clear", [keras.utils.clear_session, K.clear_session])
def test_clear_session_resets_automatic_names(clear):
    layers.Dense(1)
    assert layers.Dense(1).name == "dense_1"
    clear()
    assert layers.Dense(1).name == "dense"
    assert keras.Sequential().name == "sequential"
