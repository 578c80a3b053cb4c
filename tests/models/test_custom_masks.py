"""Custom masking layers in models, as keras.io's "Understanding masking & padding" writes them.

The same layer code runs on Keras and on torchseq (``k`` is either module); outputs are
compared with the same weights.
"""

import numpy as np
import pytest

import torchseq

keras = pytest.importorskip("keras")

# Keras warns that TemporalSoftmax, which does not support masking, drops the mask.
pytestmark = pytest.mark.filterwarnings("ignore:Layer 'temporal_softmax'")


def masking_layers(k):
    """The guide's layers: one that creates a mask, one that transforms it, one that passes
    it on by opting in, and one that consumes it."""

    class CustomEmbedding(k.layers.Layer):
        def __init__(self, input_dim, output_dim, mask_zero=False, **kwargs):
            super().__init__(**kwargs)
            self.input_dim = input_dim
            self.output_dim = output_dim
            self.mask_zero = mask_zero

        def build(self, input_shape):
            self.embeddings = self.add_weight(
                shape=(self.input_dim, self.output_dim), initializer="random_normal"
            )

        def call(self, inputs):
            inputs = k.ops.cast(inputs, "int32")
            return k.ops.take(self.embeddings, inputs, axis=0)

        def compute_mask(self, inputs, mask=None):
            if not self.mask_zero:
                return None
            return k.ops.not_equal(inputs, 0)

    class TemporalSplit(k.layers.Layer):
        def call(self, inputs):
            return k.ops.split(inputs, 2, axis=1)

        def compute_mask(self, inputs, mask=None):
            if mask is None:
                return None
            return k.ops.split(mask, 2, axis=1)

    class MyActivation(k.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs):
            return k.ops.relu(inputs)

    class TemporalSoftmax(k.layers.Layer):
        def call(self, inputs, mask=None):
            broadcast_float_mask = k.ops.expand_dims(k.ops.cast(mask, "float32"), -1)
            inputs_exp = k.ops.exp(inputs) * broadcast_float_mask
            inputs_sum = k.ops.sum(inputs_exp * broadcast_float_mask, axis=-1, keepdims=True)
            return inputs_exp / inputs_sum

    return CustomEmbedding, TemporalSplit, MyActivation, TemporalSoftmax


def sequential_model(k):
    embedding, _, activation, softmax = masking_layers(k)
    return k.Sequential(
        [
            k.Input(shape=(8,), dtype="int32"),
            embedding(20, 4, mask_zero=True),
            activation(),
            k.layers.Dense(6),
            k.layers.LSTM(5, return_sequences=True),
            softmax(),
        ]
    )


def functional_model(k):
    embedding, split, activation, _ = masking_layers(k)
    inputs = k.Input(shape=(8,), dtype="int32")
    embedded = activation()(embedding(20, 4, mask_zero=True)(inputs))
    first, second = split()(embedded)
    merged = k.layers.Concatenate()([k.layers.LSTM(3)(first), k.layers.GRU(3)(second)])
    return k.Model(inputs, k.layers.Dense(2)(merged))


def padded_tokens():
    tokens = np.random.default_rng(0).integers(1, 20, size=(4, 8)).astype("int32")
    for row, length in enumerate((8, 6, 3, 1)):
        tokens[row, length:] = 0
    return tokens


@pytest.mark.parametrize("builder", [sequential_model, functional_model])
def test_custom_masking_layers_match_keras(builder):
    keras.utils.clear_session()
    reference = builder(keras)
    ours = builder(torchseq)
    ours.set_weights(reference.get_weights())
    tokens = padded_tokens()
    expected = reference(tokens, training=False)
    actual = ours(tokens)
    np.testing.assert_allclose(
        actual.detach().numpy(), expected.detach().cpu().numpy(), atol=1e-5, rtol=1e-5
    )


def test_the_sequential_output_carries_the_mask_as_in_keras():
    keras.utils.clear_session()
    tokens = padded_tokens()
    reference, ours = sequential_model(keras), sequential_model(torchseq)
    reference.pop()  # TemporalSoftmax does not support masking: the mask would end there
    ours.pop()
    expected = reference(tokens)._keras_mask.cpu().numpy()
    actual = ours(tokens)._keras_mask.numpy()
    np.testing.assert_array_equal(actual, expected)


def test_a_custom_mask_reaches_the_lstm_in_a_sequential_model():
    """Padding after the valid steps changes nothing when the mask reaches the LSTM."""
    model = sequential_model(torchseq)
    assert model.produces_masks
    short = padded_tokens()[:, :6]
    longer = torchseq.Sequential([torchseq.Input((8,), dtype="int32"), *model.layers])
    padded = np.concatenate([short, np.zeros((4, 2), dtype="int32")], axis=1)
    shorter = torchseq.Sequential([torchseq.Input((6,), dtype="int32"), *model.layers])
    np.testing.assert_allclose(
        longer(padded).detach().numpy()[:, :6], shorter(short).detach().numpy(), atol=1e-6
    )


def test_a_model_without_mask_producing_layers_stays_off_the_mask_path():
    model = torchseq.Sequential(
        [torchseq.Input((4,)), torchseq.layers.Dense(3), torchseq.layers.Dropout(0.5)]
    )
    assert not model.produces_masks
    inputs = torchseq.Input((4,))
    functional = torchseq.Model(inputs, torchseq.layers.Dense(2)(inputs))
    assert not functional.produces_masks
