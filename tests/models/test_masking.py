"""Masks flow through models as in Keras: Embedding(mask_zero=True) or Masking feed the RNNs."""

import numpy as np
import pytest

import torchseq

keras = pytest.importorskip("keras")


def embedding_lstm(k):
    return k.Sequential(
        [
            k.Input(shape=(7,), dtype="int32"),
            k.layers.Embedding(20, 4, mask_zero=True),
            k.layers.Dropout(0.1),
            k.layers.LSTM(5, return_sequences=True),
            k.layers.GRU(3),
            k.layers.Dense(2),
        ]
    )


def masking_functional(k):
    inputs = k.Input(shape=(6, 3))
    masked = k.layers.Masking(mask_value=0.0)(inputs)
    sequences = k.layers.SimpleRNN(4, return_sequences=True)(masked)
    return k.Model(inputs, k.layers.LSTM(2)(sequences))


def right_padded_tokens():
    tokens = np.random.default_rng(0).integers(1, 20, size=(4, 7)).astype("int32")
    for row, length in enumerate((7, 5, 3, 1)):
        tokens[row, length:] = 0
    return tokens


def right_padded_sequences():
    values = np.random.default_rng(1).standard_normal((3, 6, 3)).astype("float32")
    values[0, 4:] = 0.0
    values[1, 2:] = 0.0
    return values


@pytest.mark.parametrize(
    ("builder", "make_inputs"),
    [(embedding_lstm, right_padded_tokens), (masking_functional, right_padded_sequences)],
    ids=["embedding_mask_zero_sequential", "masking_functional"],
)
def test_masked_models_match_keras(builder, make_inputs):
    keras.utils.clear_session()
    reference = builder(keras)
    ours = builder(torchseq)
    ours.set_weights(reference.get_weights())
    inputs = make_inputs()
    expected = reference(inputs, training=False).detach().cpu().numpy()
    actual = ours(inputs).detach().numpy()
    np.testing.assert_allclose(actual, expected, atol=1e-5, rtol=1e-5)


def test_the_padding_does_not_change_the_result():
    model = embedding_lstm(torchseq)
    tokens = right_padded_tokens()
    longer = np.concatenate([tokens, np.zeros((4, 3), dtype="int32")], axis=1)
    longer_model = torchseq.Sequential(
        [torchseq.Input(shape=(10,), dtype="int32"), *model.layers]
    )
    np.testing.assert_allclose(
        longer_model(longer).detach().numpy(), model(tokens).detach().numpy(), atol=1e-6
    )


def test_a_masked_model_trains():
    model = embedding_lstm(torchseq)
    model.compile(optimizer="adam", loss="mse")
    tokens = right_padded_tokens()
    history = model.fit(tokens, np.ones((4, 2), dtype="float32"), epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
