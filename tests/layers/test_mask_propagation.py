"""Eager mask propagation as in Keras 3: masks ride on tensors as ``_keras_mask``."""

import numpy as np
import pytest
import torch

import torchseq
from torchseq import layers

keras = pytest.importorskip("keras")

# (class name, constructor arguments): layers whose `supports_masking` must match Keras's.
SUPPORTS_MASKING_CASES = [
    ("Dense", {"units": 2}),
    ("Activation", {"activation": "relu"}),
    ("Dropout", {"rate": 0.5}),
    ("SpatialDropout1D", {"rate": 0.5}),
    ("GaussianNoise", {"stddev": 0.1}),
    ("GaussianDropout", {"rate": 0.1}),
    ("AlphaDropout", {"rate": 0.1}),
    ("ActivityRegularization", {}),
    ("ReLU", {}),
    ("LeakyReLU", {}),
    ("ELU", {}),
    ("Softmax", {}),
    ("PReLU", {}),
    ("Identity", {}),
    ("Masking", {}),
    ("LayerNormalization", {}),
    ("BatchNormalization", {}),
    ("UnitNormalization", {}),
    ("GroupNormalization", {"groups": 1}),
    ("Add", {}),
    ("Concatenate", {}),
    ("Dot", {"axes": 1}),
    ("GlobalAveragePooling1D", {}),
    ("Rescaling", {"scale": 2.0}),
    ("Embedding", {"input_dim": 5, "output_dim": 2}),
    ("Embedding", {"input_dim": 5, "output_dim": 2, "mask_zero": True}),
    ("LSTM", {"units": 2}),
    ("Conv1D", {"filters": 2, "kernel_size": 1}),
    ("Flatten", {}),
    ("GlobalMaxPooling1D", {}),
    ("Lambda", {"function": abs}),
]


@pytest.mark.parametrize(
    ("name", "kwargs"), SUPPORTS_MASKING_CASES, ids=[f"{n}{sorted(k)}" for n, k in SUPPORTS_MASKING_CASES]
)
def test_supports_masking_matches_keras(name, kwargs):
    ours = getattr(layers, name)(**kwargs)
    reference = getattr(keras.layers, name)(**kwargs)
    assert ours.supports_masking == reference.supports_masking


def padded_tokens():
    tokens = np.array([[3, 1, 4, 0, 0], [2, 7, 0, 0, 0]], dtype="int64")
    return tokens


def test_an_embedding_output_carries_its_mask():
    tokens = torch.as_tensor(padded_tokens())
    outputs = layers.Embedding(10, 3, mask_zero=True)(tokens)
    np.testing.assert_array_equal(outputs._keras_mask.numpy(), padded_tokens() != 0)


def test_a_pass_through_layer_carries_the_mask_on():
    embedded = layers.Embedding(10, 3, mask_zero=True)(torch.as_tensor(padded_tokens()))
    for layer in (layers.Dense(4), layers.Dropout(0.5), layers.Activation("tanh")):
        outputs = layer(embedded)
        assert outputs._keras_mask is embedded._keras_mask
    assert not hasattr(layers.Conv1D(2, 1)(embedded), "_keras_mask")


def test_an_eager_lstm_uses_the_mask_its_input_carries():
    keras.utils.clear_session()
    tokens = padded_tokens()
    reference_embedding = keras.layers.Embedding(10, 3, mask_zero=True)
    reference_lstm = keras.layers.LSTM(4, return_sequences=True)
    expected = reference_lstm(reference_embedding(tokens))
    embedding = layers.Embedding(10, 3, mask_zero=True)
    lstm = layers.LSTM(4, return_sequences=True)
    embedded = embedding(torch.as_tensor(tokens))
    lstm(embedded)
    embedding.set_weights(reference_embedding.get_weights())
    lstm.set_weights(reference_lstm.get_weights())
    actual = lstm(embedding(torch.as_tensor(tokens)))
    np.testing.assert_allclose(actual.detach().numpy(), expected.detach().cpu().numpy(), atol=1e-6)
    np.testing.assert_array_equal(actual._keras_mask.numpy(), tokens != 0)
    last = layers.LSTM(4)(embedded)
    assert not hasattr(last, "_keras_mask")  # the time axis is gone, and its mask with it


def test_an_explicit_mask_wins_over_the_carried_one():
    values = torch.ones(1, 3, 2)
    values._keras_mask = torch.tensor([[True, True, True]])
    explicit = torch.tensor([[True, False, False]])
    outputs = layers.GlobalAveragePooling1D()(values * torch.tensor([[[1.0], [2.0], [3.0]]]), mask=explicit)
    np.testing.assert_allclose(outputs.numpy(), [[1.0, 1.0]])


MERGE_MASK_CASES = [
    ("Add", {}, [(2, 3, 2), (2, 3, 2)]),
    ("Concatenate", {}, [(2, 3, 2), (2, 3, 4)]),
    ("Concatenate", {"axis": 1}, [(2, 3, 2), (2, 3, 2)]),
]


@pytest.mark.parametrize(("name", "kwargs", "shapes"), MERGE_MASK_CASES)
def test_merge_masks_match_keras(name, kwargs, shapes):
    arrays = [np.ones(shape, dtype="float32") for shape in shapes]
    mask_arrays = [
        np.array([[True, False, True], [False, False, True]]),
        np.array([[True, True, False], [False, False, False]]),
    ]
    expected = getattr(keras.layers, name)(**kwargs).compute_mask(arrays, mask_arrays)
    ours = getattr(layers, name)(**kwargs)
    inputs = [torch.as_tensor(array) for array in arrays]
    masks = [torch.as_tensor(mask) for mask in mask_arrays]
    actual = ours.compute_mask(inputs, masks)
    np.testing.assert_array_equal(actual.numpy(), np.asarray(expected.cpu()))
    for tensor, mask in zip(inputs, masks):
        tensor._keras_mask = mask
    np.testing.assert_array_equal(ours(inputs)._keras_mask.numpy(), actual.numpy())
    partly = [masks[0], None]
    expected_partly = getattr(keras.layers, name)(**kwargs).compute_mask(arrays, [mask_arrays[0], None])
    if expected_partly is None:
        assert ours.compute_mask(inputs, partly) is None
    else:
        np.testing.assert_array_equal(
            ours.compute_mask(inputs, partly).numpy(), np.asarray(expected_partly.cpu())
        )


def test_a_merge_layer_names_the_expected_masks():
    with pytest.raises(ValueError, match=r"one mask \(or None\) per input, a list of 2"):
        layers.Add().compute_mask([torch.ones(1, 2), torch.ones(1, 2)], torch.ones(1, 2))


def test_a_custom_compute_mask_opts_in_to_masking():
    class Halve(torchseq.layers.Layer):
        def call(self, inputs):
            return inputs / 2

        def compute_mask(self, inputs, mask=None):
            return inputs[..., 0] > 0

    layer = Halve()
    assert layer.supports_masking and layer.produces_masks
    assert not layers.Dense(2).produces_masks and not layers.LSTM(2).produces_masks
    outputs = layer(torch.tensor([[[1.0], [-1.0]]]))
    np.testing.assert_array_equal(outputs._keras_mask.numpy(), [[True, False]])


def test_the_callers_tensor_keeps_no_mask_from_a_model_mask_argument():
    model = torchseq.Sequential([torchseq.Input((3, 2)), layers.LSTM(2, return_sequences=True)])
    values = torch.ones(1, 3, 2)
    outputs = model(values, mask=torch.tensor([[True, True, False]]))
    assert not hasattr(values, "_keras_mask")
    np.testing.assert_array_equal(outputs._keras_mask.numpy(), [[True, True, False]])
