"""``dataset.take(count)`` on the datasets torchseq's utilities return (tf.data's ``take``)."""

from __future__ import annotations

import numpy as np
import pytest

import torchseq as keras
from torchseq.utils import text_dataset_from_directory, timeseries_dataset_from_array


def _windows(shuffle: bool = False):
    data = np.arange(40.0, dtype="float32").reshape(20, 2)
    return timeseries_dataset_from_array(
        data, data[:, 0], 4, batch_size=3, shuffle=shuffle, seed=2
    )


def test_batches_are_the_sources_first():
    dataset = _windows()
    taken = dataset.take(2)
    assert len(taken) == 2
    assert [b[1].tolist() for b in taken] == [dataset[0][1].tolist(), dataset[1][1].tolist()]
    assert taken[-1][1].tolist() == dataset[1][1].tolist()
    with pytest.raises(IndexError, match="out of range: 2 for 2 batches"):
        taken[2]
    assert len(taken.take(1)) == 1


def test_fit_takes_it_and_the_source_reshuffles_each_epoch():
    dataset = _windows(shuffle=True)
    taken = dataset.take(2)
    first = taken[0][1].tolist()
    model = keras.Sequential([keras.Input((4, 2)), keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(taken, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert taken[0][1].tolist() != first


def test_directory_datasets_and_their_maps_take_it(tmp_path):
    for name in ("neg", "pos"):
        (tmp_path / name).mkdir()
        for i in range(3):
            (tmp_path / name / f"{i}.txt").write_text(f"{name} {i}", encoding="utf-8")
    dataset = text_dataset_from_directory(tmp_path, batch_size=2, shuffle=False, verbose=False)
    texts, labels = next(iter(dataset.take(1)))
    assert list(texts) == ["neg 0", "neg 1"] and labels.tolist() == [0, 0]
    mapped = dataset.map(lambda x, y: (x, y + 1)).take(5)
    assert len(mapped) == 3 and mapped.class_names == ["neg", "pos"]


@pytest.mark.parametrize(
    "count, error, match",
    [(-2, ValueError, "count >= 0, or -1 .* received: count=-2"),
     (1.5, TypeError, "int count, received: count=1.5 of type float")],
)
def test_bad_counts(count, error, match):
    with pytest.raises(error, match=match):
        _windows().take(count)
