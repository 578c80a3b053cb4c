"""SimpleRNN, LSTM, GRU, their cells and RNN(cell): Keras parity, state, masks and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from tests.layers.harness import LayerCase, check_layer, to_numpy, without_fused_kernels
from torchseq.layers.recurrent import GRU, LSTM, SimpleRNN
from torchseq.layers.recurrent_cells import GRUCell, LSTMCell, SimpleRNNCell
from torchseq.layers.rnn_base import RNN

SHAPE = (2, 5, 3)

CASES = [
    LayerCase(cls, {"units": 4, **kwargs}, SHAPE)
    for cls in (SimpleRNN, LSTM, GRU)
    for kwargs in (
        {},
        {"return_sequences": True},
        {"return_state": True},
        {"go_backwards": True, "return_sequences": True},
        {"use_bias": False},
        {"activation": "relu"},  # the step loop for LSTM/GRU, torch's rnn_relu for SimpleRNN
        {"activation": "softsign", "go_backwards": True, "return_sequences": True},
        {"dropout": 0.5, "recurrent_dropout": 0.5},  # inference: no dropout
        {"bias_initializer": "ones"},
    )
] + [
    LayerCase(GRU, {"units": 4, "reset_after": False}, SHAPE),
    LayerCase(GRU, {"units": 4, "reset_after": False, "return_state": True}, SHAPE),
    LayerCase(GRU, {"units": 4, "reset_after": False, "use_bias": False}, SHAPE),
    LayerCase(LSTM, {"units": 4, "recurrent_activation": "hard_sigmoid"}, SHAPE),
    LayerCase(LSTM, {"units": 4, "unit_forget_bias": False}, SHAPE),
    LayerCase(LSTM, {"units": 4, "return_sequences": True}, (3, 1, 2)),
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


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [(SimpleRNN, {}), (LSTM, {}), (GRU, {}), (GRU, {"reset_after": False})],
)
def test_right_padded_mask_matches_keras(cls, kwargs):
    keras = keras_or_skip()
    x = random(SHAPE)
    mask = np.array([[True] * 5, [True, True, True, False, False]])
    reference = getattr(keras.layers, cls.__name__)(
        4, return_sequences=True, return_state=True, **kwargs
    )
    expected = reference(x, mask=mask)
    layer = copy_from_keras(
        cls(4, return_sequences=True, return_state=True, **kwargs), reference, x
    )
    actual = layer(torch.from_numpy(x), mask=torch.from_numpy(mask))
    for ours, theirs in zip(actual, expected):
        np.testing.assert_allclose(to_numpy(ours), to_numpy(theirs), atol=1e-5)


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_initial_state_matches_keras(cls):
    keras = keras_or_skip()
    x = random(SHAPE)
    count = 2 if cls is LSTM else 1
    states = [random((2, 4), seed=i + 1) for i in range(count)]
    reference = getattr(keras.layers, cls.__name__)(4, return_sequences=True)
    expected = reference(x, initial_state=states)
    layer = copy_from_keras(cls(4, return_sequences=True), reference, x)
    actual = layer(torch.from_numpy(x), initial_state=[torch.from_numpy(s) for s in states])
    np.testing.assert_allclose(to_numpy(actual), to_numpy(expected), atol=1e-5)


def test_symbolic_initial_state_in_functional_model():
    import torchseq as ts

    x = ts.Input((5, 3))
    h = ts.Input((4,))
    c = ts.Input((4,))
    layer = LSTM(4)
    model = ts.Model([x, h, c], layer(x, initial_state=[h, c]))
    assert model.output.shape == (None, 4)
    data = [torch.from_numpy(random(s, seed)) for seed, s in enumerate([SHAPE, (2, 4), (2, 4)])]
    expected = layer(data[0], initial_state=data[1:])
    torch.testing.assert_close(model(data), expected)


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_stateful_carries_state_across_calls_like_keras(cls):
    keras = keras_or_skip()
    first, second = random(SHAPE, 0), random(SHAPE, 1)
    reference = getattr(keras.layers, cls.__name__)(4, stateful=True)
    reference.build(SHAPE)
    expected = [to_numpy(reference(first)), to_numpy(reference(second))]
    layer = cls(4, stateful=True, batch_input_shape=SHAPE)
    copy_from_keras(layer, reference, first)
    layer.reset_state()
    actual = [to_numpy(layer(torch.from_numpy(first))), to_numpy(layer(torch.from_numpy(second)))]
    np.testing.assert_allclose(actual[0], expected[0], atol=1e-5)
    np.testing.assert_allclose(actual[1], expected[1], atol=1e-5)
    layer.reset_state()
    np.testing.assert_allclose(to_numpy(layer(torch.from_numpy(first))), expected[0], atol=1e-5)


def test_stateful_states_are_detached_between_batches():
    layer = LSTM(4, stateful=True, batch_input_shape=SHAPE)
    layer.train()
    for seed in range(2):
        layer(torch.from_numpy(random(SHAPE, seed))).sum().backward()
    assert all(not state.requires_grad for state in layer._states)


RIGHT_PADDED = np.array([[True] * 5, [True, True, True, False, False]])
MASKS = {
    "none": None,
    "all_valid": np.ones(SHAPE[:2], dtype=bool),
    "right_padded": RIGHT_PADDED,
    "left_padded": RIGHT_PADDED[:, ::-1].copy(),
    "empty_row": np.array([[True] * 5, [False] * 5]),
    "holes": np.array([[True, False, True, True, False], [True] * 5]),
}
FUSED_MASKS = ("none", "all_valid", "right_padded")


@pytest.mark.parametrize("mask_name", list(MASKS))
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_masks_match_keras(cls, go_backwards, mask_name):
    keras = keras_or_skip()
    x, mask = random(SHAPE), MASKS[mask_name]
    kwargs = {"return_sequences": True, "return_state": True, "go_backwards": go_backwards}
    reference = getattr(keras.layers, cls.__name__)(4, **kwargs)
    expected = reference(x, mask=mask)
    layer = copy_from_keras(cls(4, **kwargs), reference, x)
    actual = layer(torch.from_numpy(x), mask=None if mask is None else torch.from_numpy(mask))
    for ours, theirs in zip(actual, expected):
        np.testing.assert_allclose(to_numpy(ours), to_numpy(theirs), atol=1e-5)


@pytest.mark.parametrize("mask_name", list(MASKS))
@pytest.mark.parametrize("zero_output_for_mask", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_fused_kernel_matches_step_loop_with_gradients(
    monkeypatch, cls, go_backwards, zero_output_for_mask, mask_name
):
    x = torch.from_numpy(random(SHAPE))
    mask = None if MASKS[mask_name] is None else torch.from_numpy(MASKS[mask_name])
    layer = cls(4, return_sequences=True, return_state=True, go_backwards=go_backwards)
    layer.zero_output_for_mask = zero_output_for_mask  # what Bidirectional sets
    layer(x)
    if mask_name in FUSED_MASKS:
        assert layer._fused_run(x, layer._initial_states(x, None), False, mask) is not None
    results = []
    for fused in (True, False):
        if not fused:
            without_fused_kernels(monkeypatch, layer)
        layer.zero_grad()
        outputs = layer(x, mask=mask)
        sum(output.square().sum() for output in outputs).backward()
        results.append(
            ([o.detach() for o in outputs], [p.grad.clone() for p in layer.parameters()])
        )
    for fused, looped in zip(*[outputs + grads for outputs, grads in results]):
        torch.testing.assert_close(fused, looped, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_stateful_layer_with_a_padded_mask_carries_the_last_valid_states(monkeypatch, cls):
    batches = [torch.from_numpy(random(SHAPE, seed)) for seed in range(2)]
    mask = torch.from_numpy(RIGHT_PADDED)
    layer = cls(4, stateful=True, return_sequences=True, batch_input_shape=SHAPE)
    layer(batches[0])
    layer.reset_state()
    fused = [layer(batch, mask=mask) for batch in batches]
    fused_states = layer._states
    layer.reset_state()
    without_fused_kernels(monkeypatch, layer)
    looped = [layer(batch, mask=mask) for batch in batches]
    for ours, reference in zip([*fused, *fused_states], [*looped, *layer._states]):
        torch.testing.assert_close(ours, reference, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_use_cudnn_and_unroll_are_accepted_and_kept(cls):
    x = torch.from_numpy(random(SHAPE))
    plain = cls(4)
    plain(x)
    layer = cls(4, use_cudnn=False, unroll=True)
    layer(x)
    layer.set_weights(plain.get_weights())
    torch.testing.assert_close(layer(x), plain(x))
    config = cls.from_config(layer.get_config()).get_config()
    assert config["unroll"] is True
    # Keras's SimpleRNN takes no use_cudnn, so its config (which Keras must read) has none.
    assert config.get("use_cudnn", "absent") == ("absent" if cls is SimpleRNN else False)


def test_a_stack_under_one_mask_reads_it_back_to_the_host_once(monkeypatch):
    from torchseq.layers import recurrent

    summaries = []
    summarise = recurrent._mask_summary
    monkeypatch.setattr(
        recurrent, "_mask_summary", lambda mask: summaries.append(1) or summarise(mask)
    )
    x, mask = torch.from_numpy(random(SHAPE)), torch.from_numpy(RIGHT_PADDED)
    first, second = LSTM(4, return_sequences=True), GRU(3)
    for _ in range(2):
        second(first(x, mask=mask), mask=mask)
    assert len(summaries) == 1
    mask[1, 4] = True  # changed in place: looked at again (now with a hole)
    assert recurrent.fused_mask_lengths(mask) == (False, None)
    assert len(summaries) == 2


def test_masked_stacked_lstm_trains_through_the_fused_kernel(monkeypatch):
    import torchseq as ts

    tokens = np.random.default_rng(0).integers(1, 20, size=(16, 7))
    tokens[::2, 4:] = 0  # right padding, as Embedding(mask_zero=True) sees it
    model = ts.Sequential(
        [
            ts.layers.Embedding(20, 8, mask_zero=True),
            LSTM(6, return_sequences=True),
            LSTM(6),
            ts.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile("adam", "binary_crossentropy")
    labels = (tokens[:, 0] > 10).astype("float32")
    model(tokens)
    monkeypatch.setattr(RNN, "_step_loop", lambda *args: pytest.fail("step loop used"))
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(tokens, labels, epochs=2, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_fused_kernel_uses_stored_weights_without_copies():
    layer = GRU(4)
    layer(torch.from_numpy(random(SHAPE)))
    cell = layer.cell
    assert cell.kernel.shape == (12, 3) and cell.kernel.is_contiguous()
    assert cell.bias.shape == (2, 12)
    assert layer._fusable(training=True)
    assert not GRU(4, reset_after=False)._fusable(training=False)
    assert not LSTM(4, recurrent_dropout=0.2)._fusable(training=True)


def test_gru_gate_order_round_trips_through_keras_layout():
    layer = GRU(2)
    layer(torch.zeros(1, 1, 3))
    weights = [
        np.arange(np.prod(w.shape), dtype="float32").reshape(w.shape) for w in layer.get_weights()
    ]
    layer.set_weights(weights)
    for ours, given in zip(layer.get_weights(), weights):
        np.testing.assert_array_equal(ours, given)
    # Keras's z gate (columns 0:2) is stored as torch's second gate (rows 2:4).
    np.testing.assert_array_equal(layer.cell.kernel[2:4].detach().numpy(), weights[0][:, 0:2].T)


def test_regularizer_and_constraint_see_keras_layout():
    layer = GRU(2, kernel_regularizer="l2", recurrent_constraint="non_neg")
    layer(torch.zeros(1, 1, 3))
    kernel = layer.get_weights()[0]
    torch.testing.assert_close(layer.losses[0], torch.tensor(0.01 * np.square(kernel).sum()))
    layer._apply_constraints()
    assert (layer.get_weights()[1] >= 0).all()


def test_dropout_is_applied_in_training_only():
    torch.manual_seed(0)
    x = torch.from_numpy(random((64, 4, 3)))
    for layer in (LSTM(4, dropout=0.5), GRU(4, dropout=0.5, recurrent_dropout=0.5)):
        inference = layer(x)
        torch.testing.assert_close(layer(x, training=False), inference)
        trained = layer(x, training=True)
        assert not torch.allclose(trained, inference)
        assert torch.isfinite(trained).all()
        assert not layer.training


def test_dropout_mask_statistics():
    torch.manual_seed(0)
    cell = LSTMCell(4, dropout=0.3)
    dropped = cell._input_dropout(torch.ones(200, 100), training=True)
    assert abs((dropped == 0).float().mean().item() - 0.3) < 0.02
    np.testing.assert_allclose(dropped[dropped != 0].unique().numpy(), [1 / 0.7], rtol=1e-6)
    # one mask per sequence: a second step reuses it
    torch.testing.assert_close(cell._input_dropout(torch.ones(200, 100), True), dropped)


@pytest.mark.parametrize("cell_cls", [SimpleRNNCell, LSTMCell, GRUCell])
def test_rnn_of_cell_matches_keras(cell_cls):
    keras = keras_or_skip()
    x = random(SHAPE)
    reference = keras.layers.RNN(getattr(keras.layers, cell_cls.__name__)(4), return_state=True)
    expected = reference(x)
    layer = copy_from_keras(RNN(cell_cls(4), return_state=True), reference, x)
    for ours, theirs in zip(layer(torch.from_numpy(x)), expected):
        np.testing.assert_allclose(to_numpy(ours), to_numpy(theirs), atol=1e-5)
    clone = RNN.from_config(layer.get_config())
    assert clone.get_config()["cell"]["config"]["units"] == 4


def test_stacked_lstm_model_summary_counts_and_fit():
    keras = keras_or_skip()
    import torchseq as ts

    def stack(lib, lstm, dense):
        return lib.Sequential(
            [
                lstm(32, return_sequences=True, input_shape=(8, 16)),
                lstm(32, return_sequences=True),
                lstm(32),
                dense(10, activation="softmax"),
            ]
        )

    with warnings.catch_warnings():  # Keras 3 warns about input_shape= in Sequential
        warnings.simplefilter("ignore", UserWarning)
        reference = stack(keras, keras.layers.LSTM, keras.layers.Dense)
    model = stack(ts, LSTM, ts.layers.Dense)
    assert [layer.count_params() for layer in model.layers] == [
        layer.count_params() for layer in reference.layers
    ]
    assert model.layers[0].compute_output_shape((None, 8, 16)) == (None, 8, 32)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    x = random((64, 8, 16))
    y = np.eye(10, dtype="float32")[np.random.default_rng(0).integers(0, 10, 64)]
    history = model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_stateful_lstm_trains_with_shuffle_false_and_resets():
    import torchseq as ts

    model = ts.Sequential(
        [
            LSTM(32, return_sequences=True, stateful=True, batch_input_shape=(32, 8, 16)),
            LSTM(32, stateful=True),
            ts.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    x = random((64, 8, 16))
    y = np.eye(10, dtype="float32")[np.random.default_rng(0).integers(0, 10, 64)]
    history = model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert model.layers[0]._states is not None
    model.reset_states()
    assert model.layers[0]._states is None


# ---------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"units": 0}, ValueError, "LSTM: units must be a positive integer, received: units=0"),
        ({"units": -3}, ValueError, "units=-3"),
        ({"units": 2.5}, TypeError, "units must be an integer"),
        ({"units": 4, "dropout": 1.5}, ValueError, r"dropout must be in \[0, 1\], received"),
        ({"units": 4, "recurrent_dropout": -0.1}, ValueError, "recurrent_dropout"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        LSTM(**kwargs)


def test_stateful_without_batch_size_is_an_error():
    layer = LSTM(4, stateful=True)
    import torchseq as ts

    with pytest.raises(ValueError, match='"lstm" is stateful, so it needs a fixed batch size'):
        layer(ts.Input((5, 3)))


def test_stateful_with_another_batch_size_is_an_error():
    layer = GRU(4, stateful=True, input_shape=(5, 3), batch_size=2)
    layer(torch.zeros(SHAPE))
    with pytest.raises(ValueError, match="fixed batch size of 2, received a batch of 3"):
        layer(torch.zeros(3, 5, 3))


def test_initial_state_of_wrong_shape_is_an_error():
    layer = LSTM(4)
    x = torch.zeros(SHAPE)
    with pytest.raises(ValueError, match=r"expected an initial state of shape \(2, 4\), received"):
        layer(x, initial_state=[torch.zeros(2, 5), torch.zeros(2, 4)])
    with pytest.raises(ValueError, match="expects 2 initial state"):
        layer(x, initial_state=[torch.zeros(2, 4)])


def test_wrong_input_rank_and_bad_cell():
    with pytest.raises(ValueError, match="lstm"):
        LSTM(4)(torch.zeros(2, 3))
    with pytest.raises(TypeError, match="state_size"):
        RNN(object())


def test_stateful_state_carries_across_predict_calls_until_reset():
    import torchseq as ts

    model = ts.Sequential([LSTM(8, stateful=True, batch_input_shape=(4, 3, 2)), ts.layers.Dense(2)])
    x = random((8, 3, 2))
    first = model.predict(x, batch_size=4, verbose=0)
    assert not np.allclose(model.predict(x, batch_size=4, verbose=0), first)
    model.reset_states()
    np.testing.assert_allclose(model.predict(x, batch_size=4, verbose=0), first, atol=1e-6)


def test_rnn_runs_a_custom_keras_style_cell():
    from torchseq.layers.layer import Layer

    class MinimalCell(Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="rec")

        def call(self, inputs, states):
            output = inputs @ self.kernel + states[0] @ self.recurrent_kernel
            return output, [output]

    x = torch.from_numpy(random(SHAPE))
    layer = RNN(MinimalCell(4), return_sequences=True)
    outputs = layer(x)
    assert outputs.shape == (2, 5, 4)
    kernel, recurrent = layer.cell.kernel, layer.cell.recurrent_kernel
    state = torch.zeros(2, 4)
    for step in range(5):
        state = x[:, step] @ kernel + state @ recurrent
    torch.testing.assert_close(outputs[:, -1], state)
    assert [w.shape for w in layer.get_weights()] == [(3, 4), (4, 4)]
