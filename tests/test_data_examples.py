"""The data examples in examples/ run: a text classifier fed strings, and an image
classifier with augmentation over a generated image folder.

Each learns its separable made-up data well above chance, and the model it leaves behind
saves to a ``.keras`` file and loads back predicting the same.
"""

import pathlib
import runpy

import numpy as np
import pytest

from torchseq import saving

pytest.importorskip("PIL")

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def run(name, capsys):
    namespace = runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    return namespace, capsys.readouterr().out


def assert_reloads(model, path, inputs, custom_objects=None):
    model.save(path)
    loaded = saving.load_model(path, custom_objects=custom_objects)
    assert type(loaded) is type(model) and loaded.name == model.name
    np.testing.assert_allclose(
        loaded.predict(inputs, verbose=0), model.predict(inputs, verbose=0), rtol=1e-5, atol=1e-6
    )


def test_text_classification(capsys, tmp_path):
    namespace, out = run("text_classification.py", capsys)

    assert "Found 240 files belonging to 2 classes." in out
    assert "Using 192 files for training." in out
    accuracy = float(out.split("End-to-end validation accuracy: ")[1].split()[0])
    assert accuracy >= 0.8
    assert "Reloaded end-to-end model predicts the same: True" in out
    model = namespace["end_to_end_model"]
    assert model.inputs[0].dtype == "string"
    reviews = np.array([["great superb film"], ["awful dull film"], ["never seen words"]])
    scores = model.predict(reviews, verbose=0)
    assert scores.shape == (3, 1) and scores[0, 0] > 0.5 > scores[1, 0]
    standardize = {"custom_standardization": namespace["custom_standardization"]}
    assert_reloads(model, tmp_path / "text.keras", reviews, standardize)


def test_image_augmentation(capsys, tmp_path):
    namespace, out = run("image_augmentation.py", capsys)

    assert "Classes: ['circles', 'squares']" in out
    assert "A batch of images: (8, 16, 16, 3) labels: (8,)" in out
    assert "Augmented batch: (8, 16, 16, 3)" in out
    accuracy = float(out.split("Validation accuracy: ")[1].split()[0])
    assert accuracy >= 0.75
    assert "Reloaded model predicts the same: True" in out
    model = namespace["model"]
    images = np.random.default_rng(0).uniform(0, 255, (4, 16, 16, 3)).astype("float32")
    first = model.predict(images, verbose=0)
    np.testing.assert_array_equal(model.predict(images, verbose=0), first)  # no augmentation
    assert_reloads(model, tmp_path / "images.keras", images)
