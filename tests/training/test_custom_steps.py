"""Keras 3's override points on torch: train_step(data), test_step(data), predict_step(data),
compute_loss, compute_metrics and a metrics property of your own."""

import numpy as np
import pytest
import torch

import torchseq

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(0)
X = RNG.random((64, 4)).astype("float32")
Y = RNG.random((64, 1)).astype("float32")


def custom_model_class(k):
    """The keras.io guide's first CustomModel, for either library ``k``."""

    class CustomModel(k.Model):
        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            loss.backward()
            weights = list(self.trainable_weights)
            with torch.no_grad():
                self.optimizer.apply([w.value.grad for w in weights], weights)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    return CustomModel


def build(k, cls):
    inputs = k.Input((4,))
    return cls(inputs, k.layers.Dense(1)(inputs))


def test_a_custom_train_step_trains_as_keras_does():
    ours = build(torchseq, custom_model_class(torchseq))
    theirs = build(keras, custom_model_class(keras))
    ours.set_weights(theirs.get_weights())
    for model, k in ((ours, torchseq), (theirs, keras)):
        model.compile(optimizer=k.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    ours_history = ours.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    theirs_history = theirs.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    for ours_weight, theirs_weight in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(ours_weight, theirs_weight, rtol=1e-5, atol=1e-6)
    assert sorted(ours_history) == sorted(theirs_history) == ["loss", "mae"]
    np.testing.assert_allclose(ours_history["loss"], theirs_history["loss"], rtol=1e-5)


def test_the_step_sees_the_data_as_fit_received_it():
    seen = []

    class Recorder(torchseq.Model):
        def train_step(self, data):
            seen.append(tuple(type(part).__name__ for part in data) if isinstance(data, tuple) else type(data).__name__)
            return {"steps": torch.tensor(float(len(seen)))}

    model = build(torchseq, Recorder)
    model.compile(optimizer="sgd")  # no loss: the step computes its own
    model.fit(X, Y, batch_size=64, verbose=0)
    model.fit(X, Y, sample_weight=np.ones(64), batch_size=64, verbose=0)
    history = model.fit(X, batch_size=32, epochs=2, verbose=0)
    assert seen == [("Tensor", "Tensor"), ("Tensor", "Tensor", "Tensor"), "Tensor", "Tensor", "Tensor", "Tensor"]
    assert history.history["steps"] == [4.0, 6.0]  # the epoch's logs are its last step's


def test_own_metrics_are_reset_each_epoch_and_evaluate_uses_test_step():
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

        def predict_step(self, data):
            (x,) = data
            return self(x) * 0 + 7

    model = build(torchseq, Counting)
    model.compile(optimizer="sgd")
    history = model.fit(X, Y, batch_size=16, epochs=2, validation_data=(X, Y), verbose=0)
    assert history.history["seen"] == [64.0, 64.0]
    assert history.history["val_seen"] == [-64.0, -64.0]
    assert model.evaluate(X, Y, batch_size=16, verbose=0, return_dict=True) == {"seen": -64.0}
    np.testing.assert_array_equal(model.predict(X, verbose=0), np.full((64, 1), 7.0, "float32"))


def test_the_default_steps_take_data_and_return_logs():
    model = build(torchseq, torchseq.Model)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    model.fit(X, Y, epochs=1, verbose=0)
    logs = model.train_step((torch.as_tensor(X), torch.as_tensor(Y)))
    assert sorted(logs) == ["loss", "mae"]
    y_pred = model.predict_step((torch.as_tensor(X),))
    loss = model.compute_loss(y=torch.as_tensor(Y), y_pred=y_pred)
    torch.testing.assert_close(loss, torch.mean((y_pred - torch.as_tensor(Y)) ** 2))


def test_a_step_that_returns_no_dict_is_told_so():
    class Wrong(torchseq.Model):
        def train_step(self, data):
            return 1.0

    model = build(torchseq, Wrong)
    model.compile(optimizer="sgd")
    with pytest.raises(TypeError, match="must return a dict of logs, received: float"):
        model.fit(X, Y, verbose=1)
