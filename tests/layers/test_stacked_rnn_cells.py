"""StackedRNNCells and RNN([cell, ...]): Keras parity with copied weights, states, masks, config,
training and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.layers.harness import to_numpy
from torchseq.layers.layer import Layer
from torchseq.layers.recurrent_cells import GRUCell, LSTMCell, SimpleRNNCell
from torchseq.layers.rnn_base import RNN
from torchseq.layers.serialization import deserialize_layer, serialize_layer
from torchseq.layers.stacked_rnn_cells import StackedRNNCells, nest_states
from torchseq.utils import tree

SHAPE = (2, 5, 3)

# (cell class name, constructor arguments) per cell of a stack, bottom first.
STACKS = {
    "lstm-gru-simple": [
        ("LSTMCell", {"units": 4}),
        ("GRUCell", {"units": 5}),
        ("SimpleRNNCell", {"units": 6}),
    ],
    "gru-lstm": [("GRUCell", {"units": 4, "reset_after": False}), ("LSTMCell", {"units": 3})],
    "one-lstm": [("LSTMCell", {"units": 4, "use_bias": False})],
    "simple-gru": [
        ("SimpleRNNCell", {"units": 4, "activation": "relu"}),
        ("GRUCell", {"units": 2}),
    ],
}
OPTIONS = [
    {},
    {"return_sequences": True},
    {"return_state": True},
    {"go_backwards": True, "return_sequences": True, "return_state": True},
]


def keras_or_skip():
    return pytest.importorskip("keras")


def random(shape: tuple, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def make_cells(lib, spec):
    cells = lib.layers if hasattr(lib, "layers") else lib
    return [getattr(cells, name)(**kwargs) for name, kwargs in spec]


def torch_cells(spec):
    classes = {"LSTMCell": LSTMCell, "GRUCell": GRUCell, "SimpleRNNCell": SimpleRNNCell}
    return [classes[name](**kwargs) for name, kwargs in spec]


def copy_from_keras(layer, reference, inputs: np.ndarray):
    layer(torch.from_numpy(inputs))
    assert [w.shape for w in layer.get_weights()] == [
        tuple(w.shape) for w in reference.get_weights()
    ]
    layer.set_weights(reference.get_weights())
    return layer


def assert_same_leaves(ours, theirs, atol: float = 1e-5):
    ours, theirs = tree.flatten(ours), tree.flatten(theirs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), atol=atol, rtol=1e-5)


def shapes_of(structure):
    if isinstance(structure, (list, tuple)):
        return [shapes_of(item) for item in structure]
    return tuple(structure.shape)


# ---------------------------------------------------------------------- Keras parity


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(o) or "default")
@pytest.mark.parametrize("stack", list(STACKS), ids=str)
@pytest.mark.parametrize("wrapped", [True, False], ids=["StackedRNNCells", "list"])
def test_rnn_of_stacked_cells_matches_keras(stack, options, wrapped):
    keras = keras_or_skip()
    x = random(SHAPE)
    spec = STACKS[stack]
    keras_cell = make_cells(keras, spec)
    our_cell = torch_cells(spec)
    if wrapped:
        keras_cell = keras.layers.StackedRNNCells(keras_cell)
        our_cell = StackedRNNCells(our_cell)
    reference = keras.layers.RNN(keras_cell, **options)
    expected = reference(x)
    layer = copy_from_keras(RNN(our_cell, **options), reference, x)
    assert layer.count_params() == reference.count_params()
    assert_same_leaves(layer(torch.from_numpy(x)), expected)
    assert_same_leaves(layer(torch.from_numpy(x), training=False), expected)
    # The shapes Keras declares, the states nested per cell as Keras nests them.
    expected_shape = reference.compute_output_shape((None, *SHAPE[1:]))
    if options.get("return_state"):
        expected_shape = list(expected_shape)
    assert layer.compute_output_shape((None, *SHAPE[1:])) == expected_shape


def test_state_size_and_output_size_match_keras():
    keras = keras_or_skip()
    spec = STACKS["lstm-gru-simple"]
    reference = keras.layers.StackedRNNCells(make_cells(keras, spec))
    cells = StackedRNNCells(torch_cells(spec))
    assert cells.state_size == reference.state_size == [[4, 4], 5, 6]
    assert cells.output_size == reference.output_size == 6
    assert RNN(cells).state_sizes == [4, 4, 5, 6]
    initial = cells.get_initial_state(batch_size=2)
    assert shapes_of(initial) == [[(2, 4), (2, 4)], (2, 5), (2, 6)]


def test_cell_call_takes_and_returns_flat_states_in_keras_order():
    keras = keras_or_skip()
    spec = STACKS["lstm-gru-simple"]
    x = random((2, 3))
    states = [random((2, size), seed) for seed, size in enumerate([4, 4, 5, 6], start=1)]
    reference = keras.layers.StackedRNNCells(make_cells(keras, spec))
    expected_output, expected_states = reference(x, [states[:2], states[2], states[3]])
    cells = StackedRNNCells(torch_cells(spec))
    cells.build((2, 3))
    cells.set_weights(reference.get_weights())
    output, new_states = cells.call(torch.from_numpy(x), [torch.from_numpy(s) for s in states])
    assert len(new_states) == 4
    assert_same_leaves([output, new_states], [expected_output, expected_states])


def test_each_cell_is_built_on_the_previous_output_size():
    cells = StackedRNNCells([LSTMCell(4), GRUCell(5), SimpleRNNCell(6)])
    RNN(cells)(torch.zeros(SHAPE))
    assert [w.shape for w in cells.get_weights()] == [
        (3, 16),
        (4, 16),
        (16,),
        (4, 15),
        (5, 15),
        (2, 15),
        (5, 6),
        (6, 6),
        (6,),
    ]


def test_nested_stack_matches_keras():
    keras = keras_or_skip()
    x = random(SHAPE)
    inner = [("LSTMCell", {"units": 4}), ("GRUCell", {"units": 3})]
    reference = keras.layers.RNN(
        [keras.layers.StackedRNNCells(make_cells(keras, inner)), keras.layers.SimpleRNNCell(2)],
        return_state=True,
    )
    expected = reference(x)
    layer = RNN([StackedRNNCells(torch_cells(inner)), SimpleRNNCell(2)], return_state=True)
    copy_from_keras(layer, reference, x)
    assert layer.cell.state_size == [[[4, 4], 3], 2]
    assert_same_leaves(layer(torch.from_numpy(x)), expected)


def test_initial_state_nested_like_keras_or_flat():
    keras = keras_or_skip()
    x = random(SHAPE)
    spec = STACKS["lstm-gru-simple"]
    states = [random((2, size), seed) for seed, size in enumerate([4, 4, 5, 6], start=1)]
    nested = [states[:2], states[2], states[3]]
    reference = keras.layers.RNN(make_cells(keras, spec), return_sequences=True)
    expected = reference(x, initial_state=nested)
    layer = copy_from_keras(RNN(torch_cells(spec), return_sequences=True), reference, x)
    tensors = [torch.from_numpy(s) for s in states]
    assert_same_leaves(
        layer(torch.from_numpy(x), initial_state=nest_states(layer.cell.state_size, tensors)),
        expected,
    )
    assert_same_leaves(layer(torch.from_numpy(x), initial_state=tensors), expected)
    with pytest.raises(ValueError, match="expects 4 initial state"):
        layer(torch.from_numpy(x), initial_state=tensors[:3])


def test_mask_matches_keras():
    keras = keras_or_skip()
    x = random(SHAPE)
    mask = np.array([[True] * 5, [True, False, True, True, False]])
    spec = STACKS["lstm-gru-simple"]
    options = {"return_sequences": True, "return_state": True}
    reference = keras.layers.RNN(make_cells(keras, spec), **options)
    expected = reference(x, mask=mask)
    layer = copy_from_keras(RNN(torch_cells(spec), **options), reference, x)
    assert_same_leaves(layer(torch.from_numpy(x), mask=torch.from_numpy(mask)), expected)


def test_embedding_mask_zero_model_matches_keras():
    keras = keras_or_skip()
    import torchseq as ts

    tokens = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2]], dtype="int64")

    def build(lib, cells):
        return lib.Sequential(
            [
                lib.Input((5,), dtype="int64"),
                lib.layers.Embedding(10, 3, mask_zero=True),
                lib.layers.RNN(cells, return_sequences=True),
                lib.layers.Dense(2),
            ]
        )

    spec = STACKS["gru-lstm"]
    reference = build(keras, make_cells(keras, spec))
    model = build(ts, torch_cells(spec))
    model.set_weights(reference.get_weights())
    assert_same_leaves(model(torch.from_numpy(tokens)), reference(tokens))


def test_stateful_with_reset_state_matches_keras():
    keras = keras_or_skip()
    first, second = random(SHAPE, 0), random(SHAPE, 1)
    spec = STACKS["lstm-gru-simple"]
    reference = keras.layers.RNN(make_cells(keras, spec), stateful=True)
    reference.build(SHAPE)
    expected = [to_numpy(reference(first)), to_numpy(reference(second))]
    layer = RNN(torch_cells(spec), stateful=True, batch_input_shape=SHAPE)
    copy_from_keras(layer, reference, first)
    layer.reset_state()
    assert_same_leaves([layer(torch.from_numpy(first)), layer(torch.from_numpy(second))], expected)
    assert [tuple(s.shape) for s in layer._states] == [(2, 4), (2, 4), (2, 5), (2, 6)]
    layer.reset_state()
    assert_same_leaves(layer(torch.from_numpy(first)), expected[0])


def test_training_mode_without_dropout_matches_keras():
    keras = keras_or_skip()
    x = random(SHAPE)
    spec = [("LSTMCell", {"units": 4, "dropout": 0.0}), ("GRUCell", {"units": 3})]
    reference = keras.layers.RNN(make_cells(keras, spec), return_sequences=True)
    expected = reference(x, training=True)
    layer = copy_from_keras(RNN(torch_cells(spec), return_sequences=True), reference, x)
    assert_same_leaves(layer(torch.from_numpy(x), training=True), expected)
    assert not layer.training and not layer.cell.cells[0].training


def test_dropout_reaches_the_cells_in_training_only():
    torch.manual_seed(0)
    x = torch.from_numpy(random((16, 4, 3)))
    layer = RNN([LSTMCell(4, dropout=0.5), GRUCell(4, recurrent_dropout=0.5)])
    inference = layer(x)
    torch.testing.assert_close(layer(x, training=False), inference)
    trained = layer(x, training=True)
    assert torch.isfinite(trained).all()
    assert not torch.allclose(trained, inference)
    assert layer.cell.cells[0]._dropout_mask is not None
    assert layer.cell.cells[1]._recurrent_dropout_mask is not None
    # Each call draws new masks: the stack resets every cell's masks.
    assert not torch.allclose(layer(x, training=True), trained)


class _TrainingRecorder(Layer):
    """A cell whose call takes ``training`` and records it."""

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.state_size = units
        self.seen: list = []

    def call(self, inputs, states, training=None):
        self.seen.append(training)
        return inputs[:, : self.state_size] + states[0], [inputs[:, : self.state_size]]


class _NoTrainingCell(Layer):
    """A cell whose call takes no ``training`` argument."""

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.state_size = [units, units]
        self.output_size = units

    def call(self, inputs, states):
        return inputs * 2.0, [states[0] + 1.0, states[1] - 1.0]


def test_training_flag_goes_to_cells_that_take_it_only():
    recorder = _TrainingRecorder(2)
    layer = RNN([_NoTrainingCell(3), recorder], return_state=True)
    x = torch.ones(2, 4, 3)
    output, (h, c), state = layer(x, training=True)  # states grouped per cell, as in Keras
    assert set(recorder.seen) == {True}
    assert output.shape == (2, 2) and h.shape == c.shape == (2, 3) and state.shape == (2, 2)
    torch.testing.assert_close(h, torch.full((2, 3), 4.0))
    torch.testing.assert_close(c, torch.full((2, 3), -4.0))
    recorder.seen.clear()
    layer(x)
    assert set(recorder.seen) == {False}


def test_functional_model_unpacks_states_per_cell_like_keras():
    keras = keras_or_skip()
    import torchseq as ts

    spec = STACKS["lstm-gru-simple"]
    x = random(SHAPE)

    def build(lib, cells):
        inputs = lib.Input(SHAPE[1:])
        output, (h, c), gru_state, simple_state = lib.layers.RNN(cells, return_state=True)(inputs)
        return lib.Model(inputs, [output, h, c, gru_state, simple_state])

    reference = build(keras, make_cells(keras, spec))
    model = build(ts, torch_cells(spec))
    assert [tuple(t.shape) for t in model.outputs] == [tuple(t.shape) for t in reference.outputs]
    model.set_weights(reference.get_weights())
    assert_same_leaves(model(torch.from_numpy(x)), reference(x))


# ---------------------------------------------------------------------- config, summary, fit


def test_config_round_trip():
    layer = RNN(
        StackedRNNCells([LSTMCell(4, dropout=0.1), GRUCell(3, reset_after=False)], name="cells"),
        return_sequences=True,
    )
    config = layer.get_config()
    assert config["cell"]["class_name"] == "StackedRNNCells"
    cell_configs = config["cell"]["config"]["cells"]
    assert [c["class_name"] for c in cell_configs] == ["LSTMCell", "GRUCell"]
    clone = RNN.from_config(config)
    assert isinstance(clone.cell, StackedRNNCells)
    assert clone.get_config() == config
    assert [type(c) for c in clone.cell.cells] == [LSTMCell, GRUCell]
    assert clone.cell.cells[1].reset_after is False
    stacked = layer.cell
    rebuilt = deserialize_layer(serialize_layer(stacked))
    assert rebuilt.get_config() == stacked.get_config()
    assert RNN([LSTMCell(2), GRUCell(2)]).cell.name.startswith("stacked_rnn_cells")


def test_config_round_trip_keeps_the_numbers():
    x = torch.from_numpy(random(SHAPE))
    layer = RNN([LSTMCell(4), SimpleRNNCell(3)], return_sequences=True)
    expected = layer(x)
    clone = RNN.from_config(layer.get_config())
    clone(x)
    clone.set_weights(layer.get_weights())
    torch.testing.assert_close(clone(x), expected)
    second = RNN.from_config(layer.get_config())
    second(x)
    second.load_state_dict(layer.state_dict())
    torch.testing.assert_close(second(x), expected)


def test_summary_param_count_matches_keras():
    keras = keras_or_skip()
    import torchseq as ts

    spec = STACKS["lstm-gru-simple"]

    def build(lib, cells):
        return lib.Sequential([lib.Input(SHAPE[1:]), lib.layers.RNN(cells), lib.layers.Dense(2)])

    reference = build(keras, make_cells(keras, spec))
    model = build(ts, torch_cells(spec))
    assert model.count_params() == reference.count_params() == 365 + 14
    lines: list[str] = []
    model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
    text = "\n".join(lines)
    assert "RNN" in text and "365" in text and "379" in text


def test_sequential_model_fits_and_updates_the_weights():
    import torchseq as ts

    model = ts.Sequential(
        [
            ts.Input((4, 3)),
            ts.layers.RNN([LSTMCell(8), GRUCell(4, dropout=0.2)], return_sequences=True),
            ts.layers.RNN([SimpleRNNCell(4)]),
            ts.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    x = random((16, 4, 3))
    y = np.eye(2, dtype="float32")[np.random.default_rng(0).integers(0, 2, 16)]
    before = model.get_weights()
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    after = model.get_weights()
    assert all(not np.array_equal(a, b) for a, b in zip(before, after))


# ---------------------------------------------------------------------- bad input


def test_empty_list_of_cells_is_an_error():
    with pytest.raises(ValueError, match=r"StackedRNNCells: cells must hold at least one cell"):
        StackedRNNCells([])
    with pytest.raises(ValueError, match="at least one cell"):
        RNN([])


@pytest.mark.parametrize(
    ("cells", "match"),
    [
        ([LSTMCell(2), object()], r"StackedRNNCells: every cell must be a layer .*cells\[1\]"),
        ([LSTMCell(2), "lstm"], r"received: cells\[1\]='lstm' of type str"),
        ([_NoTrainingCell(2), Layer()], r"cells\[1\]=.* with state_size=None"),
    ],
)
def test_non_cell_element_is_a_type_error(cells, match):
    with pytest.raises(TypeError, match=match):
        StackedRNNCells(cells)
    with pytest.raises(TypeError, match="StackedRNNCells"):
        RNN(cells)


def test_cells_not_a_list_is_a_type_error():
    with pytest.raises(
        TypeError, match="cells must be a list of RNN cells, received: cells=.* of type LSTMCell"
    ):
        StackedRNNCells(LSTMCell(2))


def test_wrong_step_shape_names_the_layer():
    cells = StackedRNNCells([LSTMCell(2)], name="stack")
    with pytest.raises(ValueError, match=r'"stack" \(StackedRNNCells\) expects the shape of one'):
        cells.build((2, 5, 3))


def test_masked_functional_model_with_grouped_states_matches_keras():
    keras = keras_or_skip()
    import torchseq as ts

    def build(lib):
        tokens = lib.Input((6,), dtype="int32")
        embedded = lib.layers.Embedding(20, 4, mask_zero=True)(tokens)
        cells = [lib.layers.LSTMCell(3), lib.layers.GRUCell(2)]
        sequences, (h, c), g = lib.layers.RNN(cells, return_state=True, return_sequences=True)(
            embedded
        )
        return lib.Model(tokens, [lib.layers.LSTM(2)(sequences), h, c, g])

    reference, model = build(keras), build(ts)
    model.set_weights([to_numpy(w) for w in reference.get_weights()])
    tokens = np.array([[1, 2, 3, 0, 0, 0], [4, 5, 6, 7, 8, 9]])
    for ours, theirs in zip(model.predict(tokens, verbose=0), reference.predict(tokens, verbose=0)):
        np.testing.assert_allclose(ours, theirs, atol=1e-5)
