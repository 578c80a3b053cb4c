"""Custom layers as the Keras guide writes them: losses of the last call, configs of
constructors without ``**kwargs``, models with nothing to train."""

import numpy as np
import pytest

import torchseq as keras
from torchseq import ops


class Penalty(keras.layers.Layer):
    def __init__(self, rate=0.5):
        super().__init__()  # takes no name, no **kwargs
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.sum(inputs))
        return inputs


class Outer(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.penalty = Penalty()

    def call(self, inputs):
        return self.penalty(inputs)


def test_losses_hold_the_last_outermost_call_only():
    layer = Outer()
    assert layer.losses == []
    layer(ops.ones((1, 2)))
    layer(ops.ones((1, 2)) * 3)
    assert [float(loss) for loss in layer.losses] == [3.0]
    assert [float(loss) for loss in layer.penalty.losses] == [3.0]


def test_a_constructor_without_name_still_round_trips_its_config():
    layer = Penalty(0.25)
    layer.name, layer.trainable = "my_penalty", False
    rebuilt = Penalty.from_config(layer.get_config())
    assert (rebuilt.rate, rebuilt.name, rebuilt.trainable) == (0.25, "my_penalty", False)


def test_a_model_without_trainable_weights_fits_and_warns():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, Penalty(0.1)(inputs))
    model.compile(optimizer="adam", loss="mse")
    x = np.ones((4, 3), "float32")
    with pytest.warns(UserWarning, match="has no trainable weights"):
        history = model.fit(x, np.zeros((4, 3), "float32"), epochs=1, verbose=0)
    assert history.history["loss"][0] == pytest.approx(1.0 + 0.1 * 12, rel=1e-5)  # mse + sum


class Linear(keras.layers.Layer):
    """The guide's layer: no get_config of its own."""

    def __init__(self, units=32, activation=None):
        super().__init__()
        self.units, self.activation = units, activation

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")

    def call(self, inputs):
        return ops.matmul(inputs, self.w)


def test_a_layer_without_get_config_is_described_by_its_arguments(tmp_path):
    assert Linear(64, activation="relu").get_config()["units"] == 64
    inputs = keras.Input((3,))
    model = keras.Model(inputs, Linear(5)(inputs))
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", custom_objects={"Linear": Linear})
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_layer_made_with_an_object_must_write_its_own_config():
    class Wrap(keras.layers.Layer):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

    with pytest.raises(NotImplementedError, match=r"Layer Wrap cannot write its config: .*inner="):
        Wrap(keras.layers.Dense(2)).get_config()


def custom_classes(k):
    """The subclassing guide's Linear and the RNN API's minimal cell, for library ``k``."""

    class Linear(k.layers.Layer):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
            self.b = self.add_weight(shape=(self.units,), initializer="random_normal")

        def call(self, inputs):
            return k.ops.matmul(inputs, self.w) + self.b

        def compute_output_shape(self, input_shape):  # Keras's TimeDistributed needs it
            return (*input_shape[:-1], self.units)

    class MinimalRNNCell(k.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="uniform")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="uniform")

        def call(self, inputs, states):
            output = k.ops.matmul(inputs, self.kernel) + k.ops.matmul(states[0], self.recurrent_kernel)
            return output, [output]

    return Linear, MinimalRNNCell


@pytest.mark.parametrize("wrapping", ["time_distributed", "bidirectional_rnn"])
def test_custom_layers_inside_wrappers_match_keras(wrapping):
    reference = pytest.importorskip("keras")
    outputs = []
    for k in (keras, reference):
        linear, cell = custom_classes(k)
        inputs = k.Input((5, 4))
        if wrapping == "time_distributed":
            layer = k.layers.TimeDistributed(linear(3))
        else:
            if k is reference:  # Keras copies the layer through its config: it must find the cell
                cell = reference.saving.register_keras_serializable("torchseq_tests")(cell)
            layer = k.layers.Bidirectional(k.layers.RNN(cell(3), return_sequences=True))
        outputs.append(k.Model(inputs, layer(inputs)))
    ours, theirs = outputs
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(0).random((2, 5, 4)).astype("float32")
    assert tuple(ours.output.shape) == tuple(theirs.output.shape)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


class Endpoint(keras.layers.Layer):
    """keras.io's LogisticEndpoint: a metric updated in call, inputs given by keyword."""

    def __init__(self):
        super().__init__()
        self.accuracy_metric = keras.metrics.BinaryAccuracy(name="accuracy")

    def call(self, logits, targets=None):
        if targets is not None:
            self.accuracy_metric.update_state(targets, logits)
        return ops.sigmoid(logits)


def test_a_call_given_its_first_argument_by_keyword_takes_it_as_inputs():
    layer = Endpoint()
    logits, targets = np.ones((4, 1), "float32"), np.ones((4, 1), "float32")
    outputs = layer(logits=logits, targets=targets)
    assert tuple(outputs.shape) == (4, 1)
    assert float(layer.accuracy_metric.result()) == 1.0
    symbolic = layer(logits=keras.Input((1,)), targets=keras.Input((1,)))
    assert symbolic.shape == (None, 1)
