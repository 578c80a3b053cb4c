"""Tests for torchseq.models.layer_list: what ``model.layers`` returns."""

import numpy as np

import torchseq as keras


def test_a_slice_is_a_plain_list_that_a_sequential_takes():
    # keras.io's serialization guide: extract the layers of a pretrained model, add a head.
    inputs = keras.Input((4,), name="digits")
    hidden = keras.layers.Dense(3, name="dense_1")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2, name="predictions")(hidden))
    extracted = model.layers[:-1]
    assert type(extracted) is list and extracted == list(model.layers)[:-1]
    extracted.append(keras.layers.Dense(5, name="dense_3"))
    head = keras.Sequential(extracted)
    assert tuple(head(np.zeros((2, 4), "float32")).shape) == (2, 5)
    assert head.count_params() == 15 + 20
    assert head.get_layer("dense_1") is model.get_layer("dense_1")
    assert model.layers[1] is model.get_layer("dense_1"), "an index still gives the layer"
