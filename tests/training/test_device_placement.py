"""fit's data goes where the model's weights are, also for a model moved before it is built."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchseq


def test_an_unbuilt_model_keeps_the_device_it_was_moved_to():
    model = torchseq.Sequential([torchseq.layers.Dense(3), torchseq.layers.Dense(2)])
    model.to("meta")  # stands in for "cuda" on a machine without a GPU
    assert not model.built
    assert model._data_arguments()["device"] == torch.device("meta")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_an_unbuilt_model_moved_to_cuda_trains_there():
    model = torchseq.Sequential([torchseq.layers.Dense(8, activation="relu"),
                                 torchseq.layers.Dense(1)]).to("cuda")
    model.compile("adam", "mse")
    history = model.fit(np.ones((32, 4), "float32"), np.ones((32, 1), "float32"), verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert all(w.device.type == "cuda" for w in model.weights)
