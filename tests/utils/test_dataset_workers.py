"""``*_dataset_from_directory(num_workers=...)``: files decoded in worker processes.

The ``FileLoader`` must give the same batches, in the same order epoch by epoch, as the
in-process ``FileBatches`` made from the same arguments, and ``fit`` must take it.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("PIL")

import torchseq as keras
from torchseq.utils import image_dataset_from_directory, save_img, text_dataset_from_directory
from torchseq.utils.dataset_utils import FileBatches, FileLoader


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for name in ("dark", "light"):
        (root / name).mkdir()
        for i in range(5):
            pixels = rng.integers(0, 100, (6, 5, 3)) + (150 if name == "light" else 0)
            save_img(root / name / f"{i}.png", pixels, scale=False)
    return root


@pytest.fixture(scope="module")
def text_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("texts")
    for name, word in (("neg", "awful"), ("pos", "great")):
        (root / name).mkdir()
        for i in range(4):
            (root / name / f"{i}.txt").write_text(f"{word} film number {i}")
    return root


def _in_process_epochs(dataset, epochs):
    batches = []
    for _ in range(epochs):
        batches.append([dataset[i] for i in range(len(dataset))])
        dataset.on_epoch_end()
    return batches


def test_image_workers_give_the_in_process_batches_epoch_by_epoch(image_dir):
    options = {"image_size": (4, 4), "batch_size": 3, "seed": 5, "verbose": False}
    in_process = image_dataset_from_directory(image_dir, **options)
    loader = image_dataset_from_directory(image_dir, num_workers=2, **options)

    assert isinstance(loader, FileLoader) and loader.num_workers == 2
    assert loader.class_names == ["dark", "light"]
    assert loader.file_paths == in_process.file_paths
    expected = _in_process_epochs(in_process, epochs=2)
    for epoch in expected:
        actual = list(loader)
        assert len(actual) == len(epoch) == 4
        for (x, y), (x_ref, y_ref) in zip(actual, epoch):
            torch.testing.assert_close(x, x_ref, rtol=0, atol=0)
            torch.testing.assert_close(y, y_ref, rtol=0, atol=0)
    assert [y.tolist() for _, y in expected[0]] != [y.tolist() for _, y in expected[1]]


def test_text_workers_deliver_string_batches_to_a_string_model(text_dir):
    loader = text_dataset_from_directory(
        text_dir, batch_size=3, label_mode="binary", seed=1, verbose=False, num_workers=2
    )
    texts, labels = next(iter(loader))
    assert isinstance(texts, np.ndarray) and texts.dtype.kind == "U"
    assert labels.shape == (3, 1)

    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(), dtype="string")
    vectorize = keras.layers.TextVectorization(output_mode="multi_hot")
    vectorize.adapt(["awful great film number"])
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(vectorize(inputs)))
    model.compile(keras.optimizers.Adam(0.2), "binary_crossentropy", metrics=["accuracy"])
    model.fit(loader, epochs=4, verbose=0)

    assert model.evaluate(loader, verbose=0)[1] == 1.0


def test_unbatched_workers_yield_single_samples(image_dir):
    loader = image_dataset_from_directory(
        image_dir, image_size=(4, 4), batch_size=None, shuffle=False, verbose=False,
        num_workers=2,
    )
    x, y = next(iter(loader))
    assert x.shape == (4, 4, 3) and y.shape == () and int(y) == 0


def test_no_workers_keeps_the_in_process_dataset(image_dir):
    dataset = image_dataset_from_directory(image_dir, image_size=4, verbose=False, seed=1)
    assert isinstance(dataset, FileBatches)


@pytest.mark.parametrize("num_workers", [-1, 1.5, True])
def test_bad_num_workers_is_refused(image_dir, num_workers):
    with pytest.raises(ValueError, match="expected num_workers to be an int >= 0"):
        image_dataset_from_directory(image_dir, num_workers=num_workers)


def test_thread_options_with_workers_are_refused(text_dir):
    with pytest.raises(ValueError, match=r"takes \['workers'\] .* only with num_workers=0"):
        text_dataset_from_directory(text_dir, num_workers=2, workers=4)
