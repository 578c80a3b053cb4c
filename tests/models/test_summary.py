"""model.summary(): pinned by golden files, and compared with Keras 3's own table.

Each builder takes the framework module (torchseq or keras) so the very same code builds
both models. Golden files live in tests/models/golden/; regenerate them on purpose with
``TORCHSEQ_REGEN_GOLDEN=1 pytest tests/models/test_summary.py``.
"""

import os
import pathlib

import numpy as np
import pytest
import torch

import torchseq

GOLDEN = pathlib.Path(__file__).parent / "golden"


def seed_built_by_a_call(k):
    model = k.Sequential(
        [
            k.layers.Dense(2, activation="relu"),
            k.layers.Dense(3, activation="relu"),
            k.layers.Dense(4),
        ]
    )
    model(k.ops.ones((1, 4)))
    return model, {}


def seed_input_first(k):
    model = k.Sequential()
    model.add(k.Input(shape=(4,)))
    model.add(k.layers.Dense(2, activation="relu"))
    return model, {}


def _seed_conv_start(k):
    model = k.Sequential()
    model.add(k.Input(shape=(250, 250, 3)))
    model.add(k.layers.Conv2D(32, 5, strides=2, activation="relu"))
    model.add(k.layers.Conv2D(32, 3, activation="relu"))
    model.add(k.layers.MaxPooling2D(3))
    return model


def seed_conv_stack_first_summary(k):
    return _seed_conv_start(k), {}


def seed_conv_stack_second_summary(k):
    model = _seed_conv_start(k)
    model.add(k.layers.Conv2D(32, 3, activation="relu"))
    model.add(k.layers.Conv2D(32, 3, activation="relu"))
    model.add(k.layers.MaxPooling2D(3))
    model.add(k.layers.Conv2D(32, 3, activation="relu"))
    model.add(k.layers.Conv2D(32, 3, activation="relu"))
    model.add(k.layers.MaxPooling2D(2))
    return model, {}


def functional_two_inputs(k):
    text = k.Input(shape=(None,), dtype="int32", name="text")
    question = k.Input(shape=(None,), dtype="int32", name="question")
    encoded_text = k.layers.GlobalAveragePooling1D()(k.layers.Embedding(100, 8)(text))
    encoded_question = k.layers.GlobalAveragePooling1D()(k.layers.Embedding(100, 4)(question))
    merged = k.layers.concatenate([encoded_text, encoded_question], axis=-1)
    answer = k.layers.Dense(5, activation="softmax")(merged)
    return k.Model([text, question], answer), {}


def functional_chain_is_sequential_like(k):
    inputs = k.Input(shape=(64,))
    x = k.layers.Dense(32, activation="relu")(inputs)
    x = k.layers.Dense(32, activation="relu")(x)
    outputs = k.layers.Dense(10, activation="softmax")(x)
    return k.Model(inputs, outputs), {}


def nested_expanded_with_trainable_column(k):
    inner = k.Sequential(
        [k.Input(shape=(4,)), k.layers.Dense(3), k.layers.BatchNormalization()], name="inner"
    )
    outer = k.Sequential([k.Input(shape=(4,)), inner, k.layers.Dense(1)])
    inner.trainable = False
    return outer, {"expand_nested": True, "show_trainable": True}


def wide_table(k):
    model = k.Sequential(
        [k.Input(shape=(28, 28, 1)), k.layers.Flatten(), k.layers.Dense(128), k.layers.Dropout(0.2)]
    )
    return model, {"line_length": 100}


wide_table.columns = 120  # a terminal wide enough for the table (Keras wraps it otherwise)


def siamese_with_a_nested_functional(k):
    # keras.io's siamese_contrastive: the shared tower is a Functional model ("Functional" in
    # the type column); the Sequential built first takes the name "functional" in Keras.
    k.Sequential([k.Input(shape=(4,)), k.layers.Dense(3)])
    tower_input = k.Input(shape=(4,))
    tower = k.Model(tower_input, k.layers.Dense(3)(tower_input))
    left, right = k.Input(shape=(4,)), k.Input(shape=(4,))
    merged = k.layers.Subtract()([tower(left), tower(right)])
    return k.Model([left, right], k.layers.Dense(1)(merged)), {}


def attention_then_dropout(k):
    # keras.io's vision transformer: MultiHeadAttention's own dropout takes the name "dropout".
    inputs = k.Input(shape=(5, 8))
    x = k.layers.MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.1)(inputs, inputs)
    return k.Model(inputs, k.layers.Dropout(0.1)(x)), {}


def subclass_of_sequentials_after_training(k):
    # keras.io's knowledge_distillation: built Sequentials inside a subclassed model show their
    # output shapes, and a trained model's optimizer variables count in the totals.
    class Distiller(k.Model):
        def __init__(self):
            super().__init__()
            self.student = k.Sequential([k.Input(shape=(4,)), k.layers.Dense(2)], name="student")

        def call(self, x):
            return self.student(x)

    model = Distiller()
    model.compile(optimizer="adam", loss="mse")
    model.train_on_batch(np.ones((2, 4), "float32"), np.zeros((2, 2), "float32"))
    return model, {}


BUILDERS = [
    seed_built_by_a_call,
    seed_input_first,
    seed_conv_stack_first_summary,
    seed_conv_stack_second_summary,
    functional_two_inputs,
    functional_chain_is_sequential_like,
    nested_expanded_with_trainable_column,
    wide_table,
    siamese_with_a_nested_functional,
    attention_then_dropout,
    subclass_of_sequentials_after_training,
]


def summary_text(framework, builder):
    model, options = builder(framework)
    lines = []
    model.summary(print_fn=lambda text, **_: lines.append(text), **options)
    assert len(lines) == 1, "print_fn receives the whole summary at once"
    return lines[0]


@pytest.fixture(autouse=True)
def _fixed_terminal_width(monkeypatch, request):
    builder = request.node.callspec.params.get("builder") if hasattr(request.node, "callspec") else None
    monkeypatch.setenv("COLUMNS", str(getattr(builder, "columns", 80)))


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_summary_matches_golden_file(builder):
    text = summary_text(torchseq, builder)
    golden = GOLDEN / f"{builder.__name__}.txt"
    if os.environ.get("TORCHSEQ_REGEN_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_summary_matches_keras(builder):
    keras = pytest.importorskip("keras")
    keras.utils.clear_session()
    assert summary_text(torchseq, builder) == summary_text(keras, builder)


def test_seed_totals():
    texts = {b.__name__: summary_text(torchseq, b) for b in BUILDERS[:4]}
    assert " Total params: 35 (140.00 B)" in texts["seed_built_by_a_call"]
    assert " Total params: 10 (40.00 B)" in texts["seed_input_first"]
    assert "(None, 123, 123, 32)" in texts["seed_conv_stack_first_summary"]
    assert " Total params: 11,680 (45.62 KB)" in texts["seed_conv_stack_first_summary"]
    assert " Total params: 48,672 (190.12 KB)" in texts["seed_conv_stack_second_summary"]
    assert "(None, 4, 4, 32)" in texts["seed_conv_stack_second_summary"]


def test_summary_prints_to_stdout_by_default(capsys):
    model, _ = seed_input_first(torchseq)
    model.summary()
    assert capsys.readouterr().out.startswith('Model: "sequential"\n┏')


def test_unbuilt_layers_show_zero_unbuilt_in_a_subclassed_model():
    class TwoLayers(torchseq.Model):
        def __init__(self):
            super().__init__()
            self.first = torchseq.layers.Dense(3)
            self.second = torchseq.layers.Dense(1)

        def call(self, inputs):
            return self.second(self.first(inputs))

    model = TwoLayers()
    lines = []
    model.summary(print_fn=lines.append)
    assert "0 (unbuilt)" in lines[0]
    model(torch.ones(2, 5))
    lines.clear()
    model.summary(print_fn=lines.append)
    assert " Total params: 22 (88.00 B)" in lines[0]


def test_too_narrow_a_line_is_a_clear_error():
    model, _ = seed_input_first(torchseq)
    with pytest.raises(ValueError, match="line_length=10 is too small"):
        model.summary(line_length=10)


def test_optimizer_params_are_counted_once_the_optimizer_has_stepped():
    # Keras builds its optimizer at the first step and then adds its variables to the totals
    # (keras.io's collaborative filtering example prints its summary after fit).
    keras = pytest.importorskip("keras")
    keras.utils.clear_session()
    texts = []
    for lib in (torchseq, keras):
        inputs = lib.Input((3,))
        model = lib.Model(inputs, lib.layers.Dense(2)(inputs))
        model.compile(lib.optimizers.Adam(), "mse")
        before = _summary_of(model)
        assert "Optimizer params" not in before
        model.fit(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"), verbose=0)
        texts.append(_summary_of(model))
    assert texts[0] == texts[1]
    assert " Total params: 26 (104.00 B)" in texts[0]
    assert " Optimizer params: 18 (72.00 B)" in texts[0]


def _summary_of(model):
    lines = []
    model.summary(print_fn=lambda text, **_: lines.append(text))
    return lines[0]
