"""compile / fit / evaluate / predict: Keras parity, logs, hooks, bad input, interrupts."""

from unittest import mock

import numpy as np
import pytest
import torch

import torchseq
from torchseq import callbacks, layers

keras = pytest.importorskip("keras")

pytestmark = pytest.mark.filterwarnings("ignore:Do not pass an `input_shape`:UserWarning")


def mlp(k, activation="softmax", classes=10):
    return k.Sequential(
        [
            k.Input(shape=(20,)),
            k.layers.Dense(16, activation="relu"),
            k.layers.Dense(16, activation="tanh"),
            k.layers.Dense(classes, activation=activation),
        ]
    )


def data(samples=96, classes=10, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((samples, 20)).astype("float32")
    labels = rng.integers(0, classes, size=(samples, 1))
    return x, labels, np.eye(classes, dtype="float32")[labels[:, 0]]


def pair(builder, **compile_kwargs):
    keras.utils.clear_session()
    reference = builder(keras)
    ours = builder(torchseq)
    ours.set_weights(reference.get_weights())
    optimizer = compile_kwargs.pop("optimizer")
    reference.compile(optimizer=optimizer(keras), **compile_kwargs)
    ours.compile(optimizer=optimizer(torchseq), **compile_kwargs)
    return ours, reference


def assert_history_close(ours, theirs, atol=2e-5):
    assert sorted(ours.history) == sorted(theirs.history)
    for key in theirs.history:
        np.testing.assert_allclose(ours.history[key], theirs.history[key], atol=atol, rtol=1e-4)


OPTIMIZERS = {
    "sgd_nesterov": lambda k: k.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    "rmsprop": lambda k: k.optimizers.RMSprop(),
    "adam": lambda k: k.optimizers.Adam(learning_rate=0.01),
    "adagrad": lambda k: k.optimizers.Adagrad(learning_rate=0.1),
}


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=str)
def test_fit_matches_keras_epoch_by_epoch(optimizer):
    x, _, y = data()
    ours, reference = pair(
        mlp, optimizer=OPTIMIZERS[optimizer], loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    kwargs = {"epochs": 3, "batch_size": 16, "shuffle": False, "verbose": 0, "validation_split": 0.25}
    assert_history_close(ours.fit(x, y, **kwargs), reference.fit(x, y, **kwargs))
    for a, b in zip(ours.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-4)
    np.testing.assert_allclose(
        ours.evaluate(x, y, verbose=0), reference.evaluate(x, y, verbose=0), rtol=1e-5
    )
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), reference.predict(x, verbose=0), atol=1e-6
    )


def test_sparse_labels_binary_and_a_metric_function():
    x, labels, _ = data()

    def mean_pred(y_true, y_pred):  # seed 004's metric; both frameworks hand it torch tensors
        return torchseq.backend.mean(y_pred)

    ours, reference = pair(
        lambda k: mlp(k, activation="sigmoid", classes=1),
        optimizer=OPTIMIZERS["rmsprop"], loss="binary_crossentropy",
        metrics=["accuracy", mean_pred],
    )
    binary = (labels > 4).astype("float32")
    kwargs = {"epochs": 2, "batch_size": 32, "shuffle": False, "verbose": 0}
    assert_history_close(ours.fit(x, binary, **kwargs), reference.fit(x, binary, **kwargs))
    assert ours.metrics_names == ["loss", "accuracy", "mean_pred"]
    assert ours.evaluate(x, binary, verbose=0, return_dict=True).keys() == {
        "loss", "accuracy", "mean_pred"
    }


def test_multi_output_losses_weights_and_metrics_match_keras():
    def model(k):
        inputs = k.Input(shape=(20,))
        hidden = k.layers.Dense(8, activation="relu")(inputs)
        age = k.layers.Dense(1, name="age")(hidden)
        income = k.layers.Dense(3, activation="softmax", name="income")(hidden)
        return k.Model(inputs, [age, income])

    x, labels, _ = data(classes=3)
    age = x[:, :1] * 3
    income = np.eye(3, dtype="float32")[labels[:, 0]]
    ours, reference = pair(
        model, optimizer=OPTIMIZERS["rmsprop"],
        loss={"age": "mse", "income": "categorical_crossentropy"},
        loss_weights={"age": 0.25, "income": 1.0}, metrics={"age": ["mae"], "income": ["accuracy"]},
    )
    kwargs = {"epochs": 2, "batch_size": 32, "shuffle": False, "verbose": 0}
    theirs = reference.fit(x, {"age": age, "income": income}, **kwargs)
    mine = ours.fit(x, {"age": age, "income": income}, **kwargs)
    assert_history_close(mine, theirs)
    assert ours.metrics_names == ["loss", "age_loss", "income_loss", "age_mae", "income_accuracy"]


def test_evaluate_returns_the_loss_alone_without_metrics():
    x, _, y = data()
    model = mlp(torchseq)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    assert isinstance(model.evaluate(x, y, verbose=0), float)
    assert model.metrics_names == ["loss"]


@pytest.mark.parametrize(
    "validation",
    [
        {"validation_freq": 2},
        {"validation_freq": [1, 3]},
        {"validation_steps": 1},  # each validation starts again at the first batch
        {"validation_steps": 2, "validation_batch_size": 8},
    ],
    ids=["every_second", "listed_epochs", "one_step", "two_small_steps"],
)
def test_validation_schedule_matches_keras(validation):
    x, _, y = data()
    ours, reference = pair(mlp, optimizer=OPTIMIZERS["adam"], loss="categorical_crossentropy",
                           metrics=["accuracy"])
    kwargs = dict(epochs=4, batch_size=16, shuffle=False, verbose=0, **validation)
    expected = reference.fit(x[:64], y[:64], validation_data=(x[64:], y[64:]), **kwargs)
    actual = ours.fit(x[:64], y[:64], validation_data=(x[64:], y[64:]), **kwargs)
    assert {k: len(v) for k, v in actual.history.items()} == {
        k: len(v) for k, v in expected.history.items()
    }
    assert_history_close(actual, expected)


def test_reset_metrics_zeroes_the_loss_tracker_and_the_metrics():
    x, _, y = data()
    model = mlp(torchseq)
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    model.evaluate(x, y, verbose=0)
    assert [float(metric.result()) > 0 for metric in model.metrics] == [True, True]
    model.reset_metrics()
    assert [metric.name for metric in model.metrics] == ["loss", "accuracy"]
    assert [float(metric.result()) for metric in model.metrics] == [0.0, 0.0]


def test_history_params_and_epochs():
    x, _, y = data()
    model = mlp(torchseq)
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["acc"])
    history = model.fit(x, y, epochs=3, initial_epoch=1, batch_size=32, verbose=0)
    assert history.epoch == [1, 2]
    assert list(history.history) == ["acc", "loss"]
    assert history.params["epochs"] == 3 and history.params["steps"] == 3
    assert model.history is history


def test_on_batch_methods_and_keras2_aliases():
    x, _, y = data()
    model = mlp(torchseq)
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    loss, accuracy = model.train_on_batch(x[:16], y[:16])
    assert loss > 0 and 0 <= accuracy <= 1
    assert len(model.test_on_batch(x[:16], y[:16])) == 2
    assert model.predict_on_batch(x[:5]).shape == (5, 10)

    def batches():
        while True:
            yield x[:16], y[:16]

    history = model.fit_generator(batches(), steps_per_epoch=3, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert len(model.evaluate_generator(batches(), steps=2, verbose=0)) == 2
    assert model.predict_generator((x[i:i + 8] for i in range(0, 32, 8)), verbose=0).shape == (32, 10)


def test_a_torch_dataloader_and_torch_native_objects():
    x, labels, _ = data()
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(labels[:, 0]))
    model = mlp(torchseq, activation="linear")
    model.compile(optimizer=torch.optim.Adam, loss=torch.nn.CrossEntropyLoss())
    before = model.evaluate(torch.utils.data.DataLoader(dataset, batch_size=32), verbose=0)
    model.fit(torch.utils.data.DataLoader(dataset, batch_size=16, shuffle=True), epochs=5, verbose=0)
    after = model.evaluate(torch.utils.data.DataLoader(dataset, batch_size=32), verbose=0)
    assert after < before


def test_frozen_layers_are_not_updated_until_recompiled():
    x, _, y = data()
    model = mlp(torchseq)
    model.layers[0].trainable = False
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    frozen = model.layers[0].get_weights()
    trained = model.layers[1].get_weights()
    model.fit(x, y, epochs=1, verbose=0)
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], frozen[0])
    assert not np.array_equal(model.layers[1].get_weights()[0], trained[0])


# ---------------------------------------------------------------------- hooks and interrupts


def test_the_hook_order_is_keras_s():
    x, _, y = data(samples=8)
    model = mlp(torchseq)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    spy = mock.MagicMock(spec=callbacks.Callback)
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[spy],
              validation_data=(x[:4], y[:4]))
    names = [call[0] for call in spy.mock_calls if call[0].startswith("on_")]
    epoch = [
        "on_epoch_begin",
        "on_train_batch_begin", "on_train_batch_end",
        "on_train_batch_begin", "on_train_batch_end",
        "on_test_begin", "on_test_batch_begin", "on_test_batch_end", "on_test_end",
        "on_epoch_end",
    ]
    assert names == ["on_train_begin", *epoch, *epoch, "on_train_end"]


def test_a_keyboard_interrupt_stops_at_a_step_boundary():
    x, _, y = data()
    model = mlp(torchseq)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    ended = []

    class Interrupt(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                raise KeyboardInterrupt

        def on_train_end(self, logs=None):
            ended.append(True)

    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=[Interrupt()])
    assert ended == [True]
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert model.training is False


def test_stop_training_from_a_callback():
    x, _, y = data()
    model = mlp(torchseq)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    stopper = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: setattr(model, "stop_training", epoch == 1)
    )
    history = model.fit(x, y, epochs=10, verbose=0, callbacks=[stopper])
    assert history.epoch == [0, 1]


# ---------------------------------------------------------------------- bad input


def unchanged(model, before):
    return all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda m, x, y: m.fit(x, y[:50], verbose=0), ValueError, "96.*50|50.*96"),
        (lambda m, x, y: m.fit(x, y, batch_size=0, verbose=0), ValueError, "batch_size"),
        (lambda m, x, y: m.fit(x, y, validation_split=1.5, verbose=0), ValueError,
         "validation_split"),
        (lambda m, x, y: m.fit(x, np.argmax(y, 1), verbose=0), ValueError,
         "sparse_categorical_crossentropy"),
        (lambda m, x, y: m.fit(x, {"nope": y}, verbose=0), ValueError, "nope"),
        (lambda m, x, y: m.fit(x, y, validation_split=0.2, validation_freq=0, verbose=0),
         ValueError, "validation_freq must be at least 1.*received: validation_freq=0"),
        (lambda m, x, y: m.fit(x, y, validation_split=0.2, validation_freq="2", verbose=0),
         TypeError, "validation_freq must be an int or a list of ints"),
    ],
    ids=["lengths", "batch_size", "validation_split", "integer_labels", "unknown_output",
         "validation_freq_zero", "validation_freq_string"],
)
def test_bad_fit_arguments_change_nothing(call, error, match):
    x, _, y = data()
    model = mlp(torchseq)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    before = model.get_weights()
    with pytest.raises(error, match=match):
        call(model, x, y)
    assert unchanged(model, before)


def test_fit_before_compile():
    x, _, y = data()
    with pytest.raises(ValueError, match="compile\\(\\) before fit"):
        mlp(torchseq).fit(x, y)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"optimizer": "adamm", "loss": "mse"}, "adam"),
        ({"optimizer": "sgd", "loss": "msee"}, "mse"),
        ({"optimizer": "sgd", "loss": "mse", "metrics": ["accuracyy"]}, "accuracy"),
    ],
)
def test_unknown_names_list_the_valid_ones(kwargs, match):
    x, _, y = data()
    model = mlp(torchseq)
    with pytest.raises(ValueError, match=match):
        model.compile(**kwargs)
        model.fit(x, y, verbose=0)


def test_class_weight_with_a_dataloader_is_rejected():
    x, labels, _ = data()
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(labels[:, 0])),
        batch_size=8,
    )
    model = mlp(torchseq)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="class_weight"):
        model.fit(loader, class_weight={0: 2.0}, verbose=0)


def test_training_leaves_the_layers_in_inference_mode():
    x, _, y = data()
    model = torchseq.Sequential([torchseq.Input(shape=(20,)), layers.Dense(4), layers.Dropout(0.5),
                                 layers.Dense(10, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    assert not any(module.training for module in model.modules())
    torch.testing.assert_close(model(torch.from_numpy(x)), model(torch.from_numpy(x)))


def test_a_real_ctrl_c_between_steps_stops_fit_and_restores_the_handler():
    import os
    import signal

    x, _, y = data()
    model = mlp(torchseq)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    seen = []

    class CtrlC(callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(batch)
            if batch == 2:
                os.kill(os.getpid(), signal.SIGINT)  # between steps: it interrupts at once

    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[CtrlC()])
    assert seen == [0, 1, 2]  # batch 3 never began
    assert len(model.history.history) == 0 or all(
        len(values) == 0 for values in model.history.history.values()
    )
    assert signal.getsignal(signal.SIGINT) is before


def test_a_finite_generator_trains_on_every_batch():
    x, _, y = data()
    model = mlp(torchseq)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    counted = []
    counter = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: counted.append(batch))
    batches = ((x[i:i + 32], y[i:i + 32]) for i in range(0, 96, 32))
    model.fit(batches, steps_per_epoch=3, epochs=1, verbose=0, callbacks=[counter])
    assert counted == [0, 1, 2]


@pytest.mark.parametrize(
    ("target", "expected"),
    [("one_hot", "categorical_crossentropy"), ("labels", "sparse_categorical_crossentropy")],
)
def test_crossentropy_is_chosen_from_the_shapes(target, expected):
    x, labels, one_hot = data()
    model = mlp(torchseq)
    model.compile(optimizer="sgd", loss="crossentropy", metrics=["mse", "mse"])
    model.fit(x, one_hot if target == "one_hot" else labels, epochs=1, verbose=0)
    assert model._compile_state.loss.entries[0][1].fn.__name__ == expected
    assert model.metrics_names == ["loss", "mse", "mse_1"]


def test_temporal_sample_weights_match_keras():
    def model(k):
        inputs = k.Input(shape=(5, 3))
        return k.Model(inputs, k.layers.TimeDistributed(k.layers.Dense(2, activation="softmax"))(inputs))

    rng = np.random.default_rng(1)
    x = rng.random((32, 5, 3)).astype("float32")
    y = np.eye(2, dtype="float32")[rng.integers(0, 2, size=(32, 5))]
    weights = rng.random((32, 5)).astype("float32")
    keras.utils.clear_session()
    reference = model(keras)
    ours = model(torchseq)
    ours.set_weights(reference.get_weights())
    reference.compile(optimizer=keras.optimizers.SGD(0.1), loss="categorical_crossentropy")
    ours.compile(optimizer=torchseq.optimizers.SGD(0.1), loss="categorical_crossentropy",
                 sample_weight_mode="temporal")
    kwargs = {"epochs": 2, "batch_size": 8, "shuffle": False, "verbose": 0, "sample_weight": weights}
    assert_history_close(ours.fit(x, y, **kwargs), reference.fit(x, y, **kwargs))


def test_losses_added_in_call_and_by_regularizers_join_the_training_loss():
    class Penalty(torchseq.Layer):
        def call(self, inputs):
            self.add_loss(torch.tensor(10.0))
            return inputs

    x, _, y = data()
    plain = torchseq.Sequential([torchseq.Input(shape=(20,)), layers.Dense(10, activation="softmax")])
    penalised = torchseq.Sequential(
        [torchseq.Input(shape=(20,)), Penalty(), layers.Dense(10, activation="softmax")]
    )
    regularised = torchseq.Sequential(
        [torchseq.Input(shape=(20,)),
         layers.Dense(10, activation="softmax", kernel_regularizer=torchseq.regularizers.l2(1.0))]
    )
    penalised.set_weights(plain.get_weights())
    regularised.set_weights(plain.get_weights())
    for model in (plain, penalised, regularised):
        model.compile(optimizer=torchseq.optimizers.SGD(0.0), loss="categorical_crossentropy")
    base = plain.evaluate(x, y, verbose=0)
    assert penalised.evaluate(x, y, verbose=0) == pytest.approx(base + 10.0, rel=1e-5)
    l2 = float((plain.layers[0].kernel.detach() ** 2).sum())
    assert regularised.evaluate(x, y, verbose=0) == pytest.approx(base + l2, rel=1e-5)
    history = penalised.fit(x, y, epochs=1, verbose=0)
    assert history.history["loss"][0] == pytest.approx(base + 10.0, rel=1e-4)


def test_several_weighted_metrics_on_a_single_output():
    x, _, y = data()
    model = mlp(torchseq)
    model.compile(optimizer="sgd", loss="categorical_crossentropy",
                  weighted_metrics=["accuracy", "mse"])
    weights = np.linspace(0.1, 1.0, len(x)).astype("float32")
    result = model.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True)
    assert set(result) == {"loss", "accuracy", "mse"}
    probabilities = model.predict(x, verbose=0)
    hits = (probabilities.argmax(1) == y.argmax(1)).astype("float32")
    assert result["accuracy"] == pytest.approx((hits * weights).sum() / weights.sum(), rel=1e-5)


def test_the_compile_attributes_keras_programs_read_and_set():
    x, _, onehot = data(32)
    model = mlp(torchseq)
    theirs = mlp(keras)
    for m in (model, theirs):
        assert (m.loss, m.jit_compile, m.run_eagerly) == (None, False, False)
        m.run_eagerly = True  # kept until compile sets it again
        assert m.run_eagerly
    loss = torch.nn.CrossEntropyLoss()
    model.compile("adam", loss)
    assert model.loss is loss and "loss" not in dict(model.named_modules())
    assert model.trainable_variables == model.trainable_weights
    assert model.non_trainable_variables == model.non_trainable_weights == []
    model.compile("adam")  # no loss: the attribute stays, as in Keras
    assert model.loss is loss
    model.compile("adam", "categorical_crossentropy", jit_compile=True)
    theirs.compile("adam", "categorical_crossentropy", jit_compile=True)
    assert model.loss == theirs.loss == "categorical_crossentropy"
    model.run_eagerly = True  # Keras's debugging switch overrides jit_compile
    model.fit(x, onehot, verbose=0)
    assert type(model._runner()).__name__ == "StepRunner"
    model.run_eagerly = False
    assert type(model._runner()).__name__ == "CompiledStepRunner"  # compiles when it runs
    model.jit_compile = False
    assert type(model._runner()).__name__ == "StepRunner"
    assert model.get_compile_config()["jit_compile"] is False
    with pytest.raises(TypeError, match="jit_compile must be True or False, received: 'yes'"):
        model.jit_compile = "yes"
    with pytest.warns(UserWarning, match="run_eagerly=True turns jit_compile=True off"):
        model.compile("adam", "mse", jit_compile=True, run_eagerly=True)
    assert (model.jit_compile, model.run_eagerly) == (False, True)


def test_a_loss_attribute_of_yours_is_not_hidden():
    class Holder(torchseq.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)
            self.loss = torch.nn.MSELoss()  # a torch module: kept in _modules

        def call(self, x):
            return self.dense(x)

    model = Holder()
    assert isinstance(model.loss, torch.nn.MSELoss)
    model.compile("sgd")
    assert isinstance(model.loss, torch.nn.MSELoss)
    model.compile("sgd", "mae")
    assert model.loss == "mae"


def test_callbacks_read_log_values_as_python_floats_as_in_keras():
    # keras.io's callbacks guide compares logs["loss"] with np.less and formats it.
    seen = []

    class Types(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(("batch", {type(v) for v in logs.values()}))

        def on_epoch_end(self, epoch, logs=None):
            seen.append(("epoch", {type(v) for v in logs.values()}))

        def on_test_end(self, logs=None):
            seen.append(("test", {type(v) for v in logs.values()}))

    model = torchseq.Sequential([layers.Dense(1)])
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mean_absolute_error"])
    x, y = np.zeros((8, 3), "float32"), np.ones((8, 1), "float32")
    model.fit(x, y, batch_size=4, epochs=1, validation_split=0.5, verbose=0, callbacks=[Types()])
    model.evaluate(x, y, verbose=0, callbacks=[Types()])
    assert {kind for kind, _ in seen} == {"batch", "epoch", "test"}
    assert all(types == {float} for _, types in seen), seen
