"""Bidirectional: Keras parity for every merge mode and inner layer, states, masks, config, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.layers.harness import (
    LayerCase,
    check_config_round_trip,
    check_output_shape,
    check_state_dict_round_trip,
    to_numpy,
    without_fused_kernels,
)
from torchseq.layers.bidirectional import Bidirectional
from torchseq.layers.recurrent import GRU, LSTM, SimpleRNN

SHAPE = (2, 5, 3)
INNER = {"SimpleRNN": SimpleRNN, "LSTM": LSTM, "GRU": GRU}

# (inner class name, inner kwargs, Bidirectional kwargs)
CASES = [
    *[
        (inner, {"units": 4, "return_sequences": seq}, {"merge_mode": mode})
        for inner in ("SimpleRNN", "LSTM", "GRU")
        for mode in ("concat", "sum", "mul", "ave", None)
        for seq in (False, True)
    ],
    ("LSTM", {"units": 4, "return_state": True}, {}),
    ("LSTM", {"units": 4, "return_state": True, "return_sequences": True}, {"merge_mode": None}),
    ("GRU", {"units": 4, "return_state": True, "return_sequences": True}, {"merge_mode": "sum"}),
    ("SimpleRNN", {"units": 4, "return_state": True}, {"merge_mode": "ave"}),
    ("GRU", {"units": 4, "reset_after": False, "return_sequences": True}, {}),
    ("LSTM", {"units": 4, "activation": "relu", "return_sequences": True}, {}),  # step loop
    ("LSTM", {"units": 4, "use_bias": False}, {"merge_mode": "mul"}),
]


def case_id(case: tuple) -> str:
    inner, inner_kwargs, kwargs = case
    args = ",".join(f"{k}={v}" for k, v in {**inner_kwargs, **kwargs}.items())
    return f"{inner}({args})"


def random(shape: tuple, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def pair(inner: str, inner_kwargs: dict, kwargs: dict, backward: tuple | None = None):
    """The Keras layer and ours, ours built and holding the Keras layer's weights."""
    keras = pytest.importorskip("keras")
    keras_kwargs, our_kwargs = dict(kwargs), dict(kwargs)
    if backward is not None:
        keras_kwargs["backward_layer"] = getattr(keras.layers, backward[0])(**backward[1])
        our_kwargs["backward_layer"] = INNER[backward[0]](**backward[1])
    reference = keras.layers.Bidirectional(
        getattr(keras.layers, inner)(**inner_kwargs), **keras_kwargs
    )
    layer = Bidirectional(INNER[inner](**inner_kwargs), **our_kwargs)
    inputs = random(SHAPE)
    reference(inputs)
    layer(torch.from_numpy(inputs))
    assert [w.shape for w in layer.get_weights()] == [
        tuple(w.shape) for w in reference.get_weights()
    ]
    layer.set_weights([to_numpy(w) for w in reference.get_weights()])
    assert layer.count_params() == reference.count_params()
    return reference, layer, inputs


def assert_same(actual, expected, atol: float = 1e-5) -> None:
    actual, expected = to_numpy(actual), to_numpy(expected)
    if isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected)
        for a, e in zip(actual, expected):
            np.testing.assert_allclose(a, e, atol=atol, rtol=1e-5)
    else:
        np.testing.assert_allclose(actual, expected, atol=atol, rtol=1e-5)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_keras_parity(case):
    reference, layer, inputs = pair(*case)
    assert_same(layer(torch.from_numpy(inputs)), reference(inputs, training=False))
    assert_same(layer(torch.from_numpy(inputs), training=True), reference(inputs, training=True))


@pytest.mark.parametrize("case", CASES[::4] + CASES[-7:], ids=case_id)
def test_harness_checks(case):
    inner, inner_kwargs, kwargs = case
    layer_case = LayerCase(Bidirectional, {"layer": INNER[inner](**inner_kwargs), **kwargs}, SHAPE)
    check_output_shape(layer_case)
    check_config_round_trip(layer_case)
    if isinstance(layer_case.kwargs["layer"].compute_output_shape(SHAPE), tuple):
        check_state_dict_round_trip(layer_case)
    else:  # several outputs of different shapes: compare them one by one
        inputs = torch.from_numpy(random(SHAPE))
        first, second = (Bidirectional(**layer_case.kwargs) for _ in range(2))
        first(inputs), second(inputs)
        second.load_state_dict(first.state_dict())
        assert_same(second(inputs), first(inputs))


@pytest.mark.parametrize(
    "backward",
    [
        (
            "LSTM",
            {"units": 4, "activation": "relu", "go_backwards": True, "return_sequences": True},
        ),
        ("GRU", {"units": 3, "go_backwards": True, "return_sequences": True}),
    ],
    ids=["lstm_relu", "gru"],
)
def test_custom_backward_layer_parity(backward):
    inner_kwargs = {"units": 4, "return_sequences": True}
    reference, layer, inputs = pair("LSTM", inner_kwargs, {}, backward=backward)
    assert_same(layer(torch.from_numpy(inputs)), reference(inputs))
    assert not layer.backward_layer.name.startswith("backward_")  # used as given, like Keras
    assert layer.compute_output_shape((None, 5, 3)) == (None, 5, 4 + backward[1]["units"])
    clone = Bidirectional.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert isinstance(clone.backward_layer, INNER[backward[0]])


def test_initial_state_is_split_between_directions():
    reference, layer, inputs = pair("LSTM", {"units": 4, "return_sequences": True}, {})
    states = [random((2, 4), seed) for seed in range(1, 5)]
    expected = reference(inputs, initial_state=states)
    actual = layer(torch.from_numpy(inputs), initial_state=[torch.from_numpy(s) for s in states])
    assert_same(actual, expected)
    fresh = layer(torch.from_numpy(inputs))
    assert not torch.allclose(actual, fresh)


@pytest.mark.parametrize("padding", ["right", "left"])
@pytest.mark.parametrize(
    "inner, merge_mode, return_sequences",
    [("GRU", "concat", True), ("GRU", None, True), ("GRU", "sum", False), ("LSTM", "concat", True)],
)
def test_mask_parity(inner, merge_mode, return_sequences, padding):
    reference, layer, inputs = pair(
        inner,
        {"units": 4, "return_sequences": return_sequences, "return_state": inner == "LSTM"},
        {"merge_mode": merge_mode},
    )
    mask = np.ones(SHAPE[:2], dtype=bool)
    mask[0, 3:] = False
    if padding == "left":
        mask = mask[:, ::-1].copy()
    expected = reference(inputs, mask=mask)
    actual = layer(torch.from_numpy(inputs), mask=torch.from_numpy(mask))
    assert_same(actual, expected)
    if inner == "LSTM":
        return
    output_mask = layer.compute_mask(None, torch.from_numpy(mask))
    if not return_sequences:
        assert output_mask is None
        return
    masks = output_mask if merge_mode is None else [output_mask]
    assert all(torch.equal(m, torch.from_numpy(mask)) for m in masks)


@pytest.mark.parametrize("inner", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("merge_mode", ["concat", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("padded", [False, True])
def test_fused_kernel_matches_the_two_step_loops(
    monkeypatch, inner, merge_mode, return_sequences, padded
):
    layer = Bidirectional(
        INNER[inner](3, return_sequences=return_sequences, return_state=True),
        merge_mode=merge_mode,
    )
    inputs = torch.from_numpy(random(SHAPE)).requires_grad_()
    mask = torch.ones(SHAPE[:2], dtype=torch.bool)
    if padded:
        mask[1, 2:] = False
    count = 4 if inner == "LSTM" else 2
    states = [torch.from_numpy(random((2, 3), seed)) for seed in range(1, count + 1)]
    assert layer._fused_kernel(training=True) is not None
    fused = layer(inputs, initial_state=states, mask=mask, training=True)
    without_fused_kernels(monkeypatch, layer)
    looped = layer(inputs, initial_state=states, mask=mask, training=True)
    assert_same(fused, looped)
    (fused_grad,) = torch.autograd.grad(sum(t.sum() for t in fused), inputs)
    (loop_grad,) = torch.autograd.grad(sum(t.sum() for t in looped), inputs)
    torch.testing.assert_close(fused_grad, loop_grad, atol=1e-5, rtol=1e-5)


def test_input_dropout_in_training_uses_the_two_layers():
    layer = Bidirectional(LSTM(4, dropout=0.5, return_sequences=True))
    inputs = torch.from_numpy(random(SHAPE))
    assert layer._fused_kernel(training=False) is not None
    assert layer._fused_kernel(training=True) is None
    output = layer(inputs, training=True)
    assert output.shape == (2, 5, 8) and torch.isfinite(output).all()


def test_names_weights_order_and_fresh_weights():
    inner = LSTM(4, name="encoder")
    inner(torch.zeros(SHAPE))
    layer = Bidirectional(inner)
    assert layer.forward_layer.name == "forward_encoder"
    assert layer.backward_layer.name == "backward_encoder"
    assert layer.forward_layer is not inner and not layer.forward_layer.built
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    layer(torch.zeros(SHAPE))
    forward, backward = layer.forward_layer.weights, layer.backward_layer.weights
    assert [id(w) for w in layer.weights] == [id(w) for w in forward + backward]
    assert Bidirectional.from_config(layer.get_config()).forward_layer.name == "forward_encoder"


def test_weights_argument_sets_both_directions():
    source = Bidirectional(GRU(3))
    source(torch.zeros(SHAPE))
    values = [w + 0.5 for w in source.get_weights()]
    layer = Bidirectional(GRU(3), weights=values)
    layer(torch.zeros(SHAPE))
    for ours, given in zip(layer.get_weights(), values):
        np.testing.assert_array_equal(ours, given)


def test_symbolic_call_and_output_shapes():
    from torchseq.layers.input_layer import Input

    layer = Bidirectional(LSTM(4, return_sequences=True, return_state=True), merge_mode=None)
    outputs = layer(Input(shape=(5, 3)))
    assert [t.shape for t in outputs] == [(None, 5, 4)] * 2 + [(None, 4)] * 4
    mask = torch.ones(2, 5, dtype=torch.bool)
    assert layer.compute_mask(None, mask)[:2] == [mask, mask]
    assert layer.compute_mask(None, mask)[2:] == [None] * 4
    assert Bidirectional(SimpleRNN(2)).compute_output_shape((None, None, 3)) == (None, 4)


def test_stateful_carries_and_resets_both_directions():
    layer = Bidirectional(LSTM(4, stateful=True), batch_input_shape=(2, 5, 3))
    assert layer.stateful
    inputs = torch.from_numpy(random(SHAPE))
    first = layer(inputs)
    second = layer(inputs)
    assert not torch.allclose(first, second)
    assert layer.forward_layer._states is not None and layer.backward_layer._states is not None
    layer.reset_state()
    assert layer.forward_layer._states is None and layer.backward_layer._states is None
    torch.testing.assert_close(layer(inputs), first)
    Bidirectional(LSTM(2)).reset_states()  # not stateful: nothing to forget, no error


def test_sequential_model_trains_one_epoch():
    from torchseq.layers.core import Dense
    from torchseq.layers.input_layer import Input
    from torchseq.models.sequential import Sequential

    model = Sequential(
        [
            Input(shape=(5, 3)),
            Bidirectional(LSTM(4, return_sequences=True)),
            Bidirectional(GRU(3), merge_mode="sum"),
            Dense(1),
        ]
    )
    assert model.output_shape == (None, 1)
    x, y = random((16, 5, 3)), random((16, 1), seed=1)
    model.compile(optimizer="adam", loss="mse")
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1 and np.isfinite(history.history["loss"][0])
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_trainable_false_freezes_both_directions():
    layer = Bidirectional(LSTM(2), trainable=False)
    layer(torch.zeros(SHAPE))
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 6


# ---------------------------------------------------------------------- errors


def test_unknown_merge_mode_lists_choices():
    with pytest.raises(
        ValueError,
        match=r"merge_mode must be one of \['concat', 'sum', 'mul', "
        r"'ave', None\], received: merge_mode='max'",
    ):
        Bidirectional(LSTM(2), merge_mode="max")


@pytest.mark.parametrize(
    "backward, message",
    [
        (
            LSTM(2),
            (
                r"different go_backwards values, received forward go_backwards=False and "
                r"backward_layer go_backwards=False"
            ),
        ),
        (
            LSTM(2, go_backwards=True, return_sequences=True),
            (
                r"same return_sequences, received forward return_sequences=False and "
                r"backward_layer return_sequences=True"
            ),
        ),
        (LSTM(2, go_backwards=True, return_state=True), r"same return_state"),
        (LSTM(2, go_backwards=True, stateful=True), r"same stateful"),
    ],
    ids=["go_backwards", "return_sequences", "return_state", "stateful"],
)
def test_mismatched_backward_layer(backward, message):
    with pytest.raises(ValueError, match=message):
        Bidirectional(LSTM(2), backward_layer=backward)


def test_backwards_layer_without_backward_layer():
    # Keras makes the backward copy with go_backwards=True, whatever the layer's own value.
    with pytest.raises(ValueError, match=r"received forward go_backwards=True and backward_layer"):
        Bidirectional(LSTM(2, go_backwards=True))
    layer = Bidirectional(LSTM(2, go_backwards=True), backward_layer=LSTM(2))
    assert layer(torch.zeros(SHAPE)).shape == (2, 4)


def test_layer_must_be_a_recurrent_layer():
    from torchseq.layers.core import Dense

    with pytest.raises(
        TypeError, match=r"layer must be a torchseq Layer .* wrap a plain torch.nn.Module"
    ):
        Bidirectional(torch.nn.LSTM(2, 2))
    with pytest.raises(TypeError, match=r"backward_layer must be a recurrent layer .*lacks"):
        Bidirectional(LSTM(2), backward_layer=Dense(2))
    with pytest.raises(TypeError, match=r"layer must be a torchseq Layer instance.*str"):
        Bidirectional("lstm")


def test_odd_initial_state_count():
    layer = Bidirectional(LSTM(2))
    with pytest.raises(ValueError, match=r"initial_state must be a list .* received 3 tensor"):
        layer(torch.zeros(SHAPE), initial_state=[torch.zeros(2, 2)] * 3)


def test_wrong_initial_state_shape_names_the_direction():
    layer = Bidirectional(GRU(2))
    with pytest.raises(ValueError, match=r"backward_gru.*expected an initial state of shape"):
        layer(torch.zeros(SHAPE), initial_state=[torch.zeros(2, 2), torch.zeros(2, 3)])
