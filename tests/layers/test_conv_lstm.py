"""ConvLSTM1D/2D/3D and their cell: Keras parity with the same weights, shapes, configs,
weights files, masks, states, dropout, training and argument errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.layers.harness import (
    LayerCase,
    assert_all_close,
    check_layer,
    to_numpy,
    without_fused_kernels,
)
from torchseq.layers.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from torchseq.layers.conv_lstm_cell import ConvLSTMCell

SHAPE_1D = (2, 3, 7, 2)
SHAPE_2D = (2, 3, 6, 5, 2)
SHAPE_3D = (2, 2, 4, 5, 4, 2)

CASES = [
    LayerCase(ConvLSTM1D, {"filters": 3, "kernel_size": 3}, SHAPE_1D),
    LayerCase(
        ConvLSTM1D,
        {"filters": 3, "kernel_size": 2, "padding": "same", "return_sequences": True},
        SHAPE_1D,
    ),
    LayerCase(
        ConvLSTM1D, {"filters": 2, "kernel_size": 3, "strides": 2, "go_backwards": True}, SHAPE_1D
    ),
    LayerCase(ConvLSTM2D, {"filters": 3, "kernel_size": 3}, SHAPE_2D),
    LayerCase(
        ConvLSTM2D,
        {"filters": 3, "kernel_size": (2, 3), "padding": "same", "return_sequences": True},
        SHAPE_2D,
    ),
    LayerCase(
        ConvLSTM2D, {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}, SHAPE_2D
    ),
    LayerCase(
        ConvLSTM2D,
        {"filters": 2, "kernel_size": 2, "dilation_rate": 2, "return_state": True},
        SHAPE_2D,
    ),
    LayerCase(
        ConvLSTM2D,
        {"filters": 3, "kernel_size": 3, "go_backwards": True, "return_sequences": True},
        SHAPE_2D,
    ),
    LayerCase(
        ConvLSTM2D,
        {"filters": 3, "kernel_size": 3, "data_format": "channels_first", "padding": "same"},
        (2, 3, 2, 6, 5),
    ),
    LayerCase(
        ConvLSTM2D,
        {"filters": 2, "kernel_size": 3, "use_bias": False, "activation": "relu"},
        SHAPE_2D,
    ),
    LayerCase(
        ConvLSTM2D,
        {
            "filters": 2,
            "kernel_size": 3,
            "recurrent_activation": "hard_sigmoid",
            "unit_forget_bias": False,
        },
        SHAPE_2D,
    ),
    LayerCase(ConvLSTM3D, {"filters": 2, "kernel_size": 2}, SHAPE_3D),
    LayerCase(
        ConvLSTM3D,
        {"filters": 2, "kernel_size": 3, "padding": "same", "return_state": True},
        SHAPE_3D,
    ),
]


def keras_or_skip():
    return pytest.importorskip("keras")


def random(shape: tuple, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def copy_from_keras(layer, reference, inputs: np.ndarray):
    layer(torch.from_numpy(inputs))
    layer.set_weights(reference.get_weights())
    return layer


@pytest.mark.parametrize("case", CASES, ids=str)
def test_layer_cases(case):
    check_layer(case)


@pytest.mark.parametrize("go_backwards", [False, True])
def test_mask_sequences_and_states_match_keras(go_backwards):
    keras = keras_or_skip()
    x = random((2, 4, 5, 5, 2))
    mask = np.array([[True, False, True, True], [True, True, True, False]])
    kwargs = {"return_sequences": True, "return_state": True, "go_backwards": go_backwards}
    reference = keras.layers.ConvLSTM2D(3, 3, padding="same", **kwargs)
    expected = to_numpy(reference(x, mask=mask))
    layer = copy_from_keras(ConvLSTM2D(3, 3, padding="same", **kwargs), reference, x)
    actual = layer(torch.from_numpy(x), mask=torch.from_numpy(mask))
    assert_all_close(to_numpy(actual), expected)


def test_initial_state_matches_keras():
    keras = keras_or_skip()
    x = random(SHAPE_1D)
    states = [random((2, 7, 3), seed) for seed in (1, 2)]
    reference = keras.layers.ConvLSTM1D(3, 3, padding="same", return_sequences=True)
    expected = to_numpy(reference(x, initial_state=states))
    layer = copy_from_keras(ConvLSTM1D(3, 3, padding="same", return_sequences=True), reference, x)
    actual = layer(torch.from_numpy(x), initial_state=[torch.from_numpy(s) for s in states])
    assert_all_close(to_numpy(actual), expected)
    with pytest.raises(ValueError, match=r"expected an initial state of shape \(2, 7, 3\)"):
        layer(torch.from_numpy(x), initial_state=[torch.zeros(2, 3), torch.zeros(2, 3)])


@pytest.mark.parametrize("cls", [ConvLSTM1D, ConvLSTM2D, ConvLSTM3D])
def test_cell_step_loop_matches_the_sequence_convolution(monkeypatch, cls):
    """The cell's own call (one input convolution per step) agrees with the layer's path."""
    shape = {1: SHAPE_1D, 2: SHAPE_2D, 3: SHAPE_3D}[cls.rank]
    x = torch.from_numpy(random(shape))
    layer = cls(2, 2, padding="same", return_sequences=True, go_backwards=True)
    expected = layer(x)
    without_fused_kernels(monkeypatch, layer)
    torch.testing.assert_close(layer(x), expected)


@pytest.mark.parametrize(
    ("cls", "shape", "kwargs"),
    [
        (ConvLSTM1D, SHAPE_1D, {"return_sequences": True}),
        (ConvLSTM2D, SHAPE_2D, {"return_state": True, "strides": 2}),
        (ConvLSTM3D, SHAPE_3D, {"return_sequences": True, "return_state": True}),
    ],
)
def test_symbolic_shapes_match_keras(cls, shape, kwargs):
    keras = keras_or_skip()
    import torchseq as ts

    expected = getattr(keras.layers, cls.__name__)(2, 2, **kwargs)(keras.Input(shape[1:]))
    actual = cls(2, 2, **kwargs)(ts.Input(shape[1:]))
    expected = expected if isinstance(expected, (list, tuple)) else [expected]
    actual = actual if isinstance(actual, (list, tuple)) else [actual]
    assert [tuple(t.shape) for t in actual] == [tuple(t.shape) for t in expected]


def test_keras_weights_file_loads_both_ways(tmp_path):
    keras = keras_or_skip()
    import torchseq as ts

    x = random(SHAPE_2D)
    reference = keras.Sequential([keras.Input(SHAPE_2D[1:]), keras.layers.ConvLSTM2D(3, 3)])
    reference.save_weights(tmp_path / "keras.weights.h5")
    model = ts.Sequential([ts.Input(SHAPE_2D[1:]), ConvLSTM2D(3, 3)])
    model.load_weights(tmp_path / "keras.weights.h5")
    expected = to_numpy(reference(x))
    np.testing.assert_allclose(to_numpy(model(torch.from_numpy(x))), expected, atol=1e-5)

    model.save_weights(tmp_path / "ours.weights.h5")
    again = keras.Sequential([keras.Input(SHAPE_2D[1:]), keras.layers.ConvLSTM2D(3, 3)])
    again.load_weights(tmp_path / "ours.weights.h5")
    np.testing.assert_allclose(to_numpy(again(x)), expected, atol=1e-5)
    assert _datasets(tmp_path / "ours.weights.h5") == _datasets(tmp_path / "keras.weights.h5")


def test_keras_archive_moves_both_ways(tmp_path):
    keras = keras_or_skip()
    import torchseq as ts

    x = random(SHAPE_2D)
    reference = keras.Sequential(
        [
            keras.Input(SHAPE_2D[1:]),
            keras.layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True),
            keras.layers.Conv3D(1, 3, padding="same"),
        ]
    )
    reference.save(tmp_path / "keras.keras")
    expected = to_numpy(reference(x))
    # custom_objects: loading resolves only the names torchseq.layers exported at import.
    model = ts.saving.load_model(
        tmp_path / "keras.keras", custom_objects={"ConvLSTM2D": ConvLSTM2D}
    )
    np.testing.assert_allclose(to_numpy(model(torch.from_numpy(x))), expected, atol=1e-5)
    model.save(tmp_path / "ours.keras")
    again = keras.saving.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(to_numpy(again(x)), expected, atol=1e-5)


def _datasets(path) -> dict[str, tuple]:
    """Every dataset of a weights file and its shape, and the cell's name (the layers' names
    count up with each Keras layer made in the session)."""
    import h5py

    found: dict[str, tuple] = {}

    def visit(name: str, item) -> None:
        if isinstance(item, h5py.Dataset):
            found[name] = item.shape
        elif name.endswith("cell/vars"):
            found[name] = (item.attrs.get("name"),)

    with h5py.File(path, "r") as file:
        file.visititems(visit)
    return found


def test_stateful_carries_states_like_keras():
    keras = keras_or_skip()
    first, second = random(SHAPE_2D, 0), random(SHAPE_2D, 1)
    reference = keras.layers.ConvLSTM2D(2, 3, padding="same", stateful=True)
    reference.build(SHAPE_2D)
    expected = [to_numpy(reference(first)), to_numpy(reference(second))]
    layer = ConvLSTM2D(2, 3, padding="same", stateful=True, batch_input_shape=SHAPE_2D)
    copy_from_keras(layer, reference, first)
    layer.reset_state()
    actual = [to_numpy(layer(torch.from_numpy(first))), to_numpy(layer(torch.from_numpy(second)))]
    assert_all_close(actual, expected)
    assert [tuple(s.shape) for s in layer.states] == [(2, 6, 5, 2), (2, 6, 5, 2)]
    layer.reset_state()
    assert all(not s.any() for s in layer.states)
    np.testing.assert_allclose(to_numpy(layer(torch.from_numpy(first))), expected[0], atol=1e-5)


def test_dropout_draws_one_mask_per_gate_shared_by_the_steps():
    x = torch.from_numpy(random(SHAPE_2D))
    layer = ConvLSTM2D(2, 3, padding="same", dropout=0.5, recurrent_dropout=0.5)
    inference = layer(x)
    torch.manual_seed(0)
    trained = layer(x, training=True)
    assert not torch.allclose(trained, inference)
    cell = layer.cell
    assert tuple(cell._dropout_mask.shape) == (2, 4, 2, 6, 5)  # (batch, gates, channels, ...)
    assert tuple(cell._recurrent_dropout_mask.shape) == (2, 4, 2, 6, 5)
    torch.testing.assert_close(layer(x), inference)  # inference is deterministic


def test_fit_trains_a_next_frame_model():
    import torchseq as ts

    torch.manual_seed(0)
    frames = np.random.default_rng(0).random((8, 3, 6, 6, 1)).astype("float32")
    model = ts.Sequential(
        [
            ts.Input((None, 6, 6, 1)),
            ConvLSTM2D(
                4, 3, padding="same", return_sequences=True, dropout=0.1, recurrent_dropout=0.1
            ),
            ts.layers.Conv3D(1, 3, padding="same", activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(frames[:, :-1], frames[:, 1:], batch_size=4, epochs=3, verbose=0)
    losses = history.history["loss"]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_unknown_spatial_axes_and_wrong_rank_are_refused():
    layer = ConvLSTM2D(2, 3)
    with pytest.raises(
        ValueError,
        match=r"expects inputs of rank 5, shaped \(batch, timesteps, dim1, dim2, channels\)",
    ):
        layer(torch.zeros(2, 3, 6, 2))
    with pytest.raises(ValueError, match="spatial axes of the input must be known"):
        ConvLSTM2D(2, 3).build((None, 3, None, 5, 2))
    with pytest.raises(ValueError, match="larger than the input's spatial size"):
        ConvLSTM2D(2, 7)(torch.zeros(2, 3, 6, 5, 2))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"filters": 0}, ValueError, "filters must be a positive integer, received: filters=0"),
        ({"filters": 2.5}, TypeError, "filters must be a positive integer"),
        ({"padding": "causal"}, ValueError, r"padding must be one of \['valid', 'same'\]"),
        ({"kernel_size": (3, 3, 3)}, ValueError, "tuple of 2 positive integers"),
        ({"strides": 2, "dilation_rate": 2}, ValueError, "strides > 1 cannot be combined"),
        ({"dropout": 1.5}, ValueError, r"dropout must be in \[0, 1\], received: dropout=1.5"),
        ({"data_format": "channels_middle"}, ValueError, "channels_middle"),
    ],
)
def test_argument_errors(kwargs, error, match):
    arguments = {"filters": 2, "kernel_size": 3, **kwargs}
    with pytest.raises(error, match=match):
        ConvLSTM2D(**arguments)


def test_cell_rank_is_checked_and_cell_runs_alone():
    with pytest.raises(ValueError, match="rank must be 1, 2 or 3, received: rank=4"):
        ConvLSTMCell(4, 2, 3)
    cell = ConvLSTMCell(2, filters=4, kernel_size=3, padding="same")
    state = torch.zeros(2, 8, 8, 4)
    output, (h, c) = cell(torch.ones(2, 8, 8, 3), [state, state])
    assert output.shape == h.shape == c.shape == (2, 8, 8, 4)


def test_layer_shows_its_cell_options_and_keras_config_keys():
    keras = keras_or_skip()
    layer = ConvLSTM2D(4, 3, strides=(1, 2), padding="SAME", unit_forget_bias=False)
    assert (layer.filters, layer.kernel_size, layer.strides, layer.padding) == (
        4,
        (3, 3),
        (1, 2),
        "same",
    )
    assert layer.unit_forget_bias is False
    reference = keras.layers.ConvLSTM2D(
        4, 3, strides=(1, 2), padding="SAME", unit_forget_bias=False
    )
    assert set(layer.get_config()) == set(reference.get_config())
