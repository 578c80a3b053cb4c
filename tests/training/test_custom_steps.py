"""Keras 3's override points on torch: train_step(data), test_step(data), predict_step(data),
compute_loss, compute_metrics, metrics of your own, and Keras 2's compiled_loss /
compiled_metrics. Each custom model runs on torchseq and on Keras from the same weights."""

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import torchseq

keras = pytest.importorskip("keras")

# Keras's *_on_batch hand the step numpy targets, which `tensor - array` warns about.
pytestmark = pytest.mark.filterwarnings("ignore:__array_wrap__ must accept context")

RNG = np.random.default_rng(0)
X = RNG.random((64, 4)).astype("float32")
Y = RNG.random((64, 1)).astype("float32")
SAMPLE_WEIGHT = RNG.random((64,)).astype("float32")
FIT = {"batch_size": 16, "epochs": 2, "shuffle": False, "verbose": 0}


def apply_gradients(model, loss):
    """The guide's update: backward, then optimizer.apply on the weights' gradients."""
    loss.backward()
    weights = list(model.trainable_weights)
    with torch.no_grad():
        model.optimizer.apply([w.value.grad for w in weights], weights)


def guide_train_step(self, data):
    """The keras.io guide's first train_step."""
    x, y = data
    self.zero_grad()
    y_pred = self(x, training=True)
    loss = self.compute_loss(y=y, y_pred=y_pred)
    apply_gradients(self, loss)
    for metric in self.metrics:
        if metric.name == "loss":
            metric.update_state(loss)
        else:
            metric.update_state(y, y_pred)
    return {m.name: m.result() for m in self.metrics}


def build(k, cls, outputs=1):
    inputs = k.Input((4,))
    if outputs == 1:
        return cls(inputs, k.layers.Dense(1)(inputs))
    hidden = k.layers.Dense(2)(inputs)
    return cls(inputs, [k.layers.Dense(1, name=name)(hidden) for name in "ab"])


def pair(make_class, outputs=1, **compile_kwargs):
    """(ours, Keras's): the same custom model class, weights and compile arguments."""
    keras.utils.clear_session()
    theirs = build(keras, make_class(keras), outputs)
    ours = build(torchseq, make_class(torchseq), outputs)
    ours.set_weights(theirs.get_weights())
    for model, k in ((ours, torchseq), (theirs, keras)):
        model.compile(optimizer=k.optimizers.SGD(0.1), **compile_kwargs)
    return ours, theirs


def assert_same(ours, theirs):
    """Nested logs / results / weights equal to float32 precision."""
    if isinstance(theirs, dict):
        assert sorted(ours) == sorted(theirs)
        for key in theirs:
            assert_same(ours[key], theirs[key])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b)
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def assert_trains_as_keras(ours, theirs, *args, **kwargs):
    histories = [m.fit(*args, **{**FIT, **kwargs}).history for m in (ours, theirs)]
    assert_same(*histories)
    assert_same(ours.get_weights(), theirs.get_weights())
    return histories[0]


def test_the_guides_train_step_trains_as_keras_does():
    ours, theirs = pair(
        lambda k: type("CustomModel", (k.Model,), {"train_step": guide_train_step}),
        loss="mse",
        metrics=["mae"],
    )
    assert sorted(assert_trains_as_keras(ours, theirs, X, Y)) == ["loss", "mae"]


def returning(make_logs):
    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        apply_gradients(self, loss)
        return make_logs(self, x, y, y_pred, loss)

    return lambda k: type("Custom", (k.Model,), {"train_step": train_step})


@pytest.mark.parametrize(
    "make_logs",
    [
        lambda self, x, y, y_pred, loss: {"loss": float(loss.detach()), "constant": 3},
        lambda self, x, y, y_pred, loss: self.compute_metrics(x, y, y_pred),
        lambda self, x, y, y_pred, loss: {
            **self.compute_metrics(x, y, y_pred),
            "my_loss": loss.detach(),
        },
    ],
    ids=["floats", "compute_metrics", "extra_keys"],
)
def test_the_logs_a_train_step_returns_are_the_history(make_logs):
    ours, theirs = pair(returning(make_logs), loss="mse", metrics=["mae"])
    assert_trains_as_keras(ours, theirs, X, Y)


def test_keras2_compiled_loss_and_compiled_metrics_train_as_keras_default_step():
    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
        loss.backward()
        weights = self.trainable_weights
        self.optimizer.apply_gradients(zip([w.grad for w in weights], weights))
        self.compiled_metrics.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    ours, theirs = pair(
        lambda k: type("Keras2", (k.Model,), {"train_step": train_step})
        if k is torchseq
        else k.Model,
        loss="mse",
        metrics=["mae"],
    )
    assert_trains_as_keras(ours, theirs, X, Y)


def with_compute_loss(variant):
    def make(k):
        class CustomLoss(k.Model):
            if variant == "with_super":

                def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                                 training=True):
                    loss = super().compute_loss(x, y, y_pred, sample_weight, training=training)
                    return loss + 0.5 * torch.mean(y_pred**2)

            elif variant == "own":

                def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                                 training=True):
                    return 2 * torch.mean(torch.abs(y_pred - y))

            else:  # written before Keras 3.3 gave it a training argument

                def compute_loss(self, x, y, y_pred, sample_weight=None):
                    return torch.mean(torch.abs(y_pred - y))

        return CustomLoss

    return make


@pytest.mark.parametrize(
    "variant, loss",
    [
        ("with_super", "mse"),
        ("own", "mse"),
        ("own", None),
        ("no_training_argument", "mse"),
        ("no_training_argument", None),
    ],
)
def test_fit_and_evaluate_go_through_an_overridden_compute_loss(variant, loss):
    ours, theirs = pair(with_compute_loss(variant), loss=loss, metrics=["mae"])
    history = assert_trains_as_keras(ours, theirs, X, Y, validation_data=(X, Y))
    assert sorted(history) == ["loss", "mae", "val_loss", "val_mae"]
    assert_same(ours.evaluate(X, Y, verbose=0), theirs.evaluate(X, Y, verbose=0))
    assert_same(ours.test_on_batch(X, Y), theirs.test_on_batch(X, Y))


def test_compute_losss_super_without_a_loss_says_so():
    ours, _ = pair(with_compute_loss("with_super"))
    with pytest.raises(ValueError, match="No loss to minimise: compile\\(\\) was given no loss"):
        ours.fit(X, Y, verbose=0)


def test_fit_goes_through_an_overridden_compute_metrics():
    def make(k):
        class CustomMetrics(k.Model):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.mean_prediction = k.metrics.Mean(name="mean_prediction")

            def compute_metrics(self, x, y, y_pred, sample_weight=None):
                results = super().compute_metrics(x, y, y_pred, sample_weight)
                self.mean_prediction.update_state(y_pred)
                results["mean_prediction"] = self.mean_prediction.result()
                return results

        return CustomMetrics

    ours, theirs = pair(make, loss="mse", metrics=["mae"])
    history = assert_trains_as_keras(ours, theirs, X, Y, validation_data=(X, Y))
    assert "val_mean_prediction" in history
    assert_same(
        ours.evaluate(X, Y, verbose=0, return_dict=True),
        theirs.evaluate(X, Y, verbose=0, return_dict=True),
    )


@pytest.mark.parametrize("own_step", [True, False])
def test_metrics_held_as_attributes_are_the_models_and_reset_each_epoch(own_step):
    def make(k):
        class Tracking(k.Model):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.loss_tracker = k.metrics.Mean(name="my_loss")

            def train_step(self, data):
                x, y = data
                self.zero_grad()
                loss = self.compute_loss(y=y, y_pred=self(x, training=True))
                apply_gradients(self, loss)
                self.loss_tracker.update_state(loss)
                return {"my_loss": self.loss_tracker.result()}

        if not own_step:  # the default steps log it too (never updated: 0.0)
            del Tracking.train_step
        return Tracking

    ours, theirs = pair(make, loss="mse")
    assert_trains_as_keras(ours, theirs, X, Y)
    assert [m.name for m in ours.metrics] == [m.name for m in theirs.metrics]
    assert_same(ours.evaluate(X, Y, verbose=0), theirs.evaluate(X, Y, verbose=0))


def test_a_metrics_property_of_yours_names_what_evaluate_returns():
    def make(k):
        class Own(k.Model):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.loss_tracker = k.metrics.Mean(name="loss")
                self.mae_metric = k.metrics.MeanAbsoluteError(name="mae")

            @property
            def metrics(self):
                return [self.loss_tracker, self.mae_metric]

            def train_step(self, data):
                x, y = data
                self.zero_grad()
                y_pred = self(x, training=True)
                loss = torch.mean((y_pred - y) ** 2)
                apply_gradients(self, loss)
                return self.test_step_update(loss, y, y_pred)

            def test_step(self, data):
                x, y = data
                y_pred = self(x, training=False)
                return self.test_step_update(torch.mean((y_pred - y) ** 2), y, y_pred)

            def test_step_update(self, loss, y, y_pred):
                self.loss_tracker.update_state(loss)
                self.mae_metric.update_state(y, y_pred)
                return {m.name: m.result() for m in self.metrics}

        return Own

    ours, theirs = pair(make)  # no loss compiled
    assert_trains_as_keras(ours, theirs, X, Y, validation_data=(X, Y))
    assert ours.metrics_names == theirs.metrics_names == ["loss", "mae"]
    assert_same(ours.evaluate(X, Y, verbose=0), theirs.evaluate(X, Y, verbose=0))


def test_a_test_step_of_yours_serves_evaluate_and_validation_without_gradients():
    def test_step(self, data):
        x, y = data
        y_pred = self(x)
        return {
            "zz": torch.mean(y_pred),
            "aa": torch.mean(y),
            "mae": torch.mean(torch.abs(y_pred - y)),
            "grad_enabled": float(torch.is_grad_enabled()),
        }

    ours, theirs = pair(
        lambda k: type("OwnTest", (k.Model,), {"test_step": test_step}),
        loss="mse",
        metrics=["mae"],
    )
    history = assert_trains_as_keras(ours, theirs, X, Y, validation_data=(X, Y))
    assert history["val_grad_enabled"] == [0.0, 0.0]
    for return_dict in (False, True):  # the list: metrics_names' order, then the rest sorted
        assert_same(
            ours.evaluate(X, Y, batch_size=16, verbose=0, return_dict=return_dict),
            theirs.evaluate(X, Y, batch_size=16, verbose=0, return_dict=return_dict),
        )


def test_train_and_test_on_batch_run_your_steps():
    def train_step(self, data):
        x, y = data[:2]
        self.zero_grad()
        loss = self.compute_loss(y=y, y_pred=self(x, training=True))
        apply_gradients(self, loss)
        return {"custom": loss, "z": torch.tensor(1.0)}

    def test_step(self, data):
        x, y = data[:2]
        return {"test_custom": torch.mean(self(x) - y), "a": torch.tensor(2.0)}

    steps = {"train_step": train_step, "test_step": test_step}
    ours, theirs = pair(lambda k: type("OnBatch", (k.Model,), steps), loss="mse")
    results = [
        [
            model.train_on_batch(X, Y),
            model.train_on_batch(X, Y, return_dict=True),
            model.test_on_batch(X, Y),
            model.test_on_batch(X, Y, return_dict=True),
        ]
        for model in (ours, theirs)
    ]
    assert_same(*results)
    assert_same(ours.get_weights(), theirs.get_weights())


@pytest.mark.parametrize("kind", ["tuple", "dict"])
def test_predict_step_outputs_are_joined_in_their_structure(kind):
    def predict_step(self, data):
        y_pred = self(data[0] if isinstance(data, tuple) else data)
        return (y_pred, 2 * y_pred) if kind == "tuple" else {"a": y_pred, "b": 2 * y_pred}

    ours, theirs = pair(lambda k: type("OwnPredict", (k.Model,), {"predict_step": predict_step}))
    assert_same(
        ours.predict(X, batch_size=16, verbose=0), theirs.predict(X, batch_size=16, verbose=0)
    )
    assert_same(ours.predict_on_batch(X[:5]), theirs.predict_on_batch(X[:5]))


def test_the_steps_see_the_data_as_keras_gives_it():
    def recording(k):
        def train_step(self, data):
            self.seen.append(type(data).__name__ + str(len(data) if type(data) is tuple else ""))
            return {"steps": torch.tensor(float(len(self.seen)))}

        def predict_step(self, data):
            self.seen.append(type(data).__name__ + str(len(data) if type(data) is tuple else ""))
            return self(data[0] if isinstance(data, tuple) else data)

        methods = {"train_step": train_step, "predict_step": predict_step, "seen": []}
        return type("Recorder", (k.Model,), methods)

    ours, theirs = pair(recording, loss="mse")  # a loss, but the step decides what y is
    for model in (ours, theirs):
        model.fit(X, Y, batch_size=64, verbose=0)
        model.fit(X, Y, sample_weight=SAMPLE_WEIGHT, batch_size=64, verbose=0)
        model.history_of_x_only = model.fit(X, batch_size=32, epochs=2, verbose=0).history
        model.predict(X, batch_size=64, verbose=0)
        model.predict_on_batch(X[:4])
    assert ours.seen == theirs.seen
    assert ours.seen == ["tuple2", "tuple3", "Tensor", "Tensor", "Tensor", "Tensor", "Tensor", "tuple1"]
    assert ours.history_of_x_only == {"steps": [4.0, 6.0]}  # an epoch logs its last step's
    # A DataLoader's lists arrive as tuples (Keras passes them on as lists).
    loader = DataLoader(TensorDataset(torch.as_tensor(X), torch.as_tensor(Y)), batch_size=32)
    ours.fit(loader, verbose=0)
    assert ours.seen[-2:] == ["tuple2", "tuple2"]


def test_a_multi_output_step_updates_the_per_output_loss_trackers_as_keras():
    def logs(self, x, y, y_pred, loss):
        self.metrics[0].update_state(loss)  # the total's tracker is the step's to update
        return self.compute_metrics(x, y, y_pred)

    ours, theirs = pair(
        returning(logs),
        outputs=2,
        loss=["mse", "mae"],
        metrics=[["mae"], ["mse"]],
    )
    history = assert_trains_as_keras(ours, theirs, X, [Y, 2 * Y])
    assert sorted(history) == ["a_loss", "a_mae", "b_loss", "b_mse", "loss"]


def test_a_custom_step_under_jit_compile_trains_as_the_eager_one():
    # Keras 3 torch.compiles the whole step, backward included, and logs a loss of 0.0.
    make = lambda k: type("CustomModel", (k.Model,), {"train_step": guide_train_step})
    eager, _ = pair(make, loss="mse")
    compiled = build(torchseq, make(torchseq))
    compiled.set_weights(eager.get_weights())
    compiled.compile(optimizer=torchseq.optimizers.SGD(0.1), loss="mse", jit_compile=True)
    histories = [m.fit(X, Y, **FIT).history for m in (eager, compiled)]
    assert_same(*histories)
    assert_same(eager.get_weights(), compiled.get_weights())


def test_own_metrics_are_reset_each_epoch_with_steps_per_execution():
    class Counting(torchseq.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.seen = torchseq.metrics.Sum(name="seen")

        @property
        def metrics(self):
            return [self.seen]

        def train_step(self, data):
            x, _ = data
            self.seen.update_state(float(x.shape[0]))
            return {"seen": self.seen.result()}

        def test_step(self, data):
            x, _ = data
            self.seen.update_state(-float(x.shape[0]))
            return {"seen": self.seen.result()}

    model = build(torchseq, Counting)
    model.compile(optimizer="sgd", steps_per_execution=3)  # Keras refuses > 1 on torch
    history = model.fit(X, Y, batch_size=16, epochs=2, validation_data=(X, Y), verbose=0)
    assert history.history == {"seen": [64.0, 64.0], "val_seen": [-64.0, -64.0]}
    assert model.evaluate(X, Y, batch_size=16, verbose=0) == -64.0


@pytest.mark.parametrize("returned", [1.0, [1.0], None])
def test_a_step_that_returns_no_dict_is_told_so(returned):
    # Keras fails later, in a callback: 'float' object has no attribute 'items'.
    model = build(torchseq, type("Wrong", (torchseq.Model,), {"train_step": lambda s, d: returned}))
    model.compile(optimizer="sgd")
    kind = type(returned).__name__
    with pytest.raises(TypeError, match=f"must return a dict of logs, received: {kind}"):
        model.fit(X, Y, verbose=1)


def test_a_compiled_metric_held_as_an_attribute_is_listed_once():
    class Holder(torchseq.Model):
        def __init__(self):
            super().__init__()
            self.dense = torchseq.layers.Dense(1)
            self.error = torchseq.metrics.MeanAbsoluteError(name="mae")

        def call(self, x):
            return self.dense(x)

    model = Holder()
    model.compile("sgd", "mse", metrics=[model.error])
    history = model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=2, verbose=0)
    assert model.metrics_names == ["loss", "mae"]
    assert sorted(history.history) == ["loss", "mae"]
