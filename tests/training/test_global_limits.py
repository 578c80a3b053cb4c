"""``config.set_max_epochs`` / ``set_max_steps_per_epoch`` cap fit, evaluate and predict,
with Keras's warning."""

import numpy as np
import pytest

import torchseq as keras

X = np.random.default_rng(0).random((64, 3)).astype("float32")
Y = X.sum(axis=1, keepdims=True)


@pytest.fixture
def model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    yield model
    keras.config.set_max_epochs(None)
    keras.config.set_max_steps_per_epoch(None)


def test_max_epochs_caps_fit(model):
    keras.config.set_max_epochs(2)
    with pytest.warns(UserWarning, match="Limiting epochs to 2"):
        history = model.fit(X, Y, epochs=5, verbose=0)
    assert len(history.history["loss"]) == 2


def test_max_steps_per_epoch_caps_every_loop(model):
    keras.config.set_max_steps_per_epoch(2)
    batches = []
    counter = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: batches.append(batch))
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 2"):
        model.fit(X, Y, batch_size=8, epochs=1, callbacks=[counter], verbose=0)
    assert batches == [0, 1]
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 2"):
        assert model.predict(X, batch_size=8, verbose=0).shape == (16, 1)
