"""Tests for utils.timeseries_dataset_from_array: windows against numpy-built ones."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchseq as keras
from torchseq.utils import timeseries_dataset_from_array


def _expected_windows(data, length, stride, rate, start, end, positions=None):
    data = np.asarray(data)[start:end]
    count = len(data) - (length - 1) * rate
    positions = np.arange(0, count, stride) if positions is None else positions
    return np.stack([data[p : p + length * rate : rate] for p in positions]), positions


@pytest.mark.parametrize(
    ("length", "stride", "rate", "start", "end", "batch_size"),
    [
        (3, 1, 1, None, None, 4),
        (5, 2, 3, 2, 90, 7),
        (1, 3, 2, None, 50, 128),
        (4, 1, 2, 10, None, 5),
    ],
)
def test_windows_and_targets_match_numpy(length, stride, rate, start, end, batch_size):
    data = np.arange(200, dtype="float32").reshape(100, 2)
    targets = np.arange(100) * 10
    dataset = timeseries_dataset_from_array(
        data, targets, length, stride, rate, batch_size, start_index=start, end_index=end
    )
    windows = torch.cat([x for x, _ in dataset]).numpy()
    labels = torch.cat([y for _, y in dataset]).numpy()
    expected, positions = _expected_windows(data, length, stride, rate, start or 0, end)
    np.testing.assert_array_equal(windows, expected)
    np.testing.assert_array_equal(labels, targets[(start or 0) + positions])
    assert windows.dtype == np.float32
    assert len(dataset) == -(-len(expected) // batch_size)
    assert all(len(x) <= batch_size for x, _ in dataset)


def test_shuffle_uses_keras_start_position_order_then_reshuffles():
    data = np.arange(50)
    dataset = timeseries_dataset_from_array(data, None, 3, batch_size=8, shuffle=True, seed=3)
    positions = np.arange(48)
    np.random.RandomState(3).shuffle(positions)
    first = torch.cat(list(dataset)).numpy()
    np.testing.assert_array_equal(first[:, 0], positions)
    dataset.on_epoch_end()
    second = torch.cat(list(dataset)).numpy()
    assert sorted(second[:, 0].tolist()) == list(range(48))
    assert second[:, 0].tolist() != first[:, 0].tolist()


def test_unbatched_yields_single_windows_and_no_targets():
    dataset = timeseries_dataset_from_array(np.arange(10), None, 4, batch_size=None)
    assert len(dataset) == 7
    assert dataset[2].tolist() == [2, 3, 4, 5]
    with pytest.raises(IndexError, match="out of range"):
        dataset[7]


def test_targets_shorter_than_data_limit_the_windows():
    dataset = timeseries_dataset_from_array(np.arange(20), np.arange(5), 3, batch_size=None)
    assert len(dataset) == 5


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"start_index": 30}, "start_index"),
        ({"end_index": 30}, "end_index"),
        ({"start_index": 5, "end_index": 4}, "end_index > start_index"),
        ({"sampling_rate": 0}, "sampling_rate"),
        ({"sequence_stride": 20}, "sequence_stride"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        timeseries_dataset_from_array(np.arange(20), None, 3, **kwargs)


def test_fit_evaluate_predict_accept_it():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(60, 3)).astype("float32")
    targets = rng.normal(size=(60,)).astype("float32")
    dataset = timeseries_dataset_from_array(data, targets, 5, batch_size=16, shuffle=True, seed=1)
    model = keras.Sequential([keras.Input((5, 3)), keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(dataset, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert np.isfinite(model.evaluate(dataset, verbose=0))
    assert model.predict(dataset, verbose=0).shape == (56, 1)


def test_read_only_arrays_are_taken_without_a_warning():
    # pandas' `.values` are read-only (copy-on-write); keras.io's weather forecasting example
    # passes a DataFrame as targets. Warnings are errors in this suite.
    data = np.arange(20.0).reshape(10, 2)
    data.flags.writeable = False
    dataset = timeseries_dataset_from_array(data, data[:, 0], 3, batch_size=4)
    windows, targets = dataset[0]
    np.testing.assert_array_equal(windows[1].numpy(), data[1:4])
    np.testing.assert_array_equal(targets.numpy(), data[:4, 0])


def test_take_yields_the_first_batches():
    data = np.arange(30.0)
    dataset = timeseries_dataset_from_array(data, data, 3, batch_size=4)
    for windows, targets in dataset.take(1):  # the keras.io examples' look at one batch
        np.testing.assert_array_equal(windows.numpy(), dataset[0][0].numpy())
        np.testing.assert_array_equal(targets.numpy(), [0.0, 1.0, 2.0, 3.0])
    assert [len(dataset.take(n)) for n in (0, 2, 100, -1)] == [0, 2, 7, 7]
