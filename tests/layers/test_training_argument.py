"""A ``call(..., training=None)`` of the user's gets the mode the layer runs in, as Keras
passes the training flag down to nested calls."""

import numpy as np

import torchseq as keras

X = np.ones((4, 2), "float32")


class Shift(keras.layers.Layer):
    """Adds 100 in training only, like a hand-written dropout or noise layer."""

    def call(self, x, training=False):
        return x + 100.0 if training else x


class Recorder(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.seen = []

    def call(self, x, training=None):
        self.seen.append(training)
        return x


def test_an_explicit_training_flag_reaches_nested_layers():
    inputs = keras.Input((2,))
    model = keras.Model(inputs, Shift()(inputs))
    assert model(X)[0, 0].item() == 1.0
    assert model(X, training=True)[0, 0].item() == 101.0
    assert model.predict(X, verbose=0)[0, 0] == 1.0


def test_fit_passes_true_and_evaluate_and_predict_pass_false():
    recorder = Recorder()
    model = keras.Sequential([keras.Input((2,)), recorder, keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(X, X[:, :1], epochs=1, batch_size=4, verbose=0)  # first fit checks targets
    recorder.seen.clear()
    model.fit(X, X[:, :1], epochs=2, batch_size=4, verbose=0)
    assert recorder.seen == [True, True]
    recorder.seen.clear()
    model.evaluate(X, X[:, :1], batch_size=4, verbose=0)
    model.predict(X, batch_size=4, verbose=0)
    assert recorder.seen == [False, False]


def test_a_subclassed_model_receives_the_flag_too():
    class Model(keras.Model):
        def __init__(self):
            super().__init__()
            self.shift = Shift()

        def call(self, x, training=False):
            return self.shift(x, training=training)

    model = Model()
    assert model(X)[0, 0].item() == 1.0
    assert model(X, training=True)[0, 0].item() == 101.0
