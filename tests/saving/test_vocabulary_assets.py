"""Adapted vocabularies travel in a ``.keras`` archive's ``assets/``, as Keras keeps them.

Keras writes an adapted lookup layer's vocabulary to ``assets/<layer path>/vocabulary.txt``
(``save_assets``) and leaves ``vocabulary`` out of its config. Keras 3 runs its lookup
layers only on TensorFlow, which is not installed, so the Keras-written archive here is
made by Keras's own saving code around a stand-in layer that writes its assets as Keras's
``StringLookup`` does; the config then names the real ``StringLookup``.
"""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest

import torchseq

_VOCABULARY = ["[UNK]", "movie", "good", "film"]
# StringLookup's config as Keras 3 writes it for an adapted layer (vocabulary in assets).
_KERAS_LOOKUP_CONFIG = {
    "trainable": True,
    "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "int64"},
              "registered_name": None},
    "invert": False,
    "max_tokens": None,
    "num_oov_indices": 1,
    "oov_token": "[UNK]",
    "mask_token": None,
    "output_mode": "int",
    "sparse": False,
    "pad_to_max_tokens": False,
    "idf_weights": None,
    "vocabulary": None,
    "vocabulary_size": len(_VOCABULARY),
    "oov_method": "floormod",
    "salt": None,
    "encoding": "utf-8",
}


def _keras_lookup_archive(keras, path):
    """A Keras-written ``.keras`` file: string Input -> adapted StringLookup -> Embedding."""

    class StringLookup(keras.layers.Layer):
        def call(self, inputs):
            return inputs

        def compute_output_spec(self, inputs):
            return keras.KerasTensor(inputs.shape, dtype="int64")

        def save_assets(self, dir_path):  # as keras.layers.StringLookup writes an adapted one
            with open(os.path.join(dir_path, "vocabulary.txt"), "w") as file:
                file.write("\n".join(_VOCABULARY))

        def get_config(self):
            return {**super().get_config(), **_KERAS_LOOKUP_CONFIG}

    inputs = keras.Input(shape=(2,), dtype="string")
    outputs = keras.layers.Embedding(len(_VOCABULARY), 3)(StringLookup()(inputs))
    model = keras.Model(inputs, outputs)
    model.layers[-1].set_weights([np.arange(12, dtype="float32").reshape(4, 3)])
    written = path.with_name("written.keras")
    model.save(written)
    with zipfile.ZipFile(written) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "config.json":
                data = json.dumps(_as_builtin_lookup(json.loads(data))).encode()
            target.writestr(info, data)
    return model


def _as_builtin_lookup(config):
    for layer in config["config"]["layers"]:
        if layer["class_name"] == "StringLookup":
            layer["module"], layer["registered_name"] = "keras.layers", None
    return config


def test_keras_archive_vocabulary_is_read_from_assets(keras, tmp_path):
    _keras_lookup_archive(keras, tmp_path / "keras_lookup.keras")
    with zipfile.ZipFile(tmp_path / "keras_lookup.keras") as archive:
        assert "assets/layers/string_lookup/vocabulary.txt" in archive.namelist()

    model = torchseq.models.load_model(tmp_path / "keras_lookup.keras")

    lookup = model.layers[1]
    assert lookup.get_vocabulary() == _VOCABULARY
    embeddings = np.arange(12, dtype="float32").reshape(4, 3)
    outputs = model.predict(np.array([["good", "film"], ["movie", "other"]]), verbose=0)
    np.testing.assert_array_equal(outputs, embeddings[[[2, 3], [1, 0]]])


def test_torchseq_archive_has_keras_asset_layout(keras, tmp_path):
    from keras.src.saving.saving_lib import DiskIOStore

    inputs = torchseq.Input(shape=(2,), dtype="string")
    lookup = torchseq.layers.StringLookup()
    lookup.adapt(["movie", "movie", "movie", "good", "good", "film"])
    model = torchseq.Model(inputs, torchseq.layers.Embedding(4, 3)(lookup(inputs)))
    model.save(tmp_path / "ours.keras")

    with zipfile.ZipFile(tmp_path / "ours.keras") as archive:
        store = DiskIOStore("assets", archive=archive, mode="r")
        try:
            directory = store.get("layers/string_lookup")
            with open(os.path.join(directory, "vocabulary.txt")) as file:
                assert file.read().splitlines() == _VOCABULARY
        finally:
            store.close()


def test_vocabulary_from_assets_survives_a_second_save(keras, tmp_path):
    _keras_lookup_archive(keras, tmp_path / "keras_lookup.keras")
    model = torchseq.models.load_model(tmp_path / "keras_lookup.keras")
    model.save(tmp_path / "again.keras")

    again = torchseq.models.load_model(tmp_path / "again.keras")

    strings = np.array([["good", "film"], ["movie", "x"]])
    np.testing.assert_array_equal(again.predict(strings, verbose=0), model.predict(strings, verbose=0))


@pytest.mark.parametrize(
    ("make", "data", "probe"),
    [
        (lambda: torchseq.layers.StringLookup(), ["b", "a", "b"], ["a", "b", "z"]),
        (lambda: torchseq.layers.IntegerLookup(), [7, 3, 7], [3, 7, 9]),
        (lambda: torchseq.layers.TextVectorization(), ["b a b"], ["a b z"]),
    ],
)
def test_adapted_layers_write_their_vocabulary_and_read_it_back(tmp_path, make, data, probe):
    layer = make()
    layer.adapt(data)
    layer.save_assets(str(tmp_path))

    fresh = make()
    fresh.load_assets(str(tmp_path))

    assert fresh.get_vocabulary() == layer.get_vocabulary()
    np.testing.assert_array_equal(fresh(probe), layer(probe))


def test_given_vocabulary_stays_in_the_config_not_in_assets(tmp_path):
    layer = torchseq.layers.StringLookup(vocabulary=["a", "b"])
    layer.save_assets(str(tmp_path))

    assert os.listdir(tmp_path) == []


def test_tf_idf_vocabulary_from_assets_is_refused(tmp_path):
    (tmp_path / "vocabulary.txt").write_text("[UNK]\na")
    layer = torchseq.layers.StringLookup(output_mode="tf_idf")

    with pytest.raises(ValueError, match="output_mode='tf_idf' from a .keras archive"):
        layer.load_assets(str(tmp_path))


def test_integer_vocabulary_file_with_text_is_refused(tmp_path):
    (tmp_path / "vocabulary.txt").write_text("-1\nseven")

    with pytest.raises(ValueError, match="must hold one integer a line"):
        torchseq.layers.IntegerLookup().load_assets(str(tmp_path))


def _lowercase(strings):
    return np.char.lower(strings)


def test_text_vectorization_function_option_is_stored_by_name(tmp_path):
    inputs = torchseq.Input(shape=(), dtype="string")
    vectorize = torchseq.layers.TextVectorization(standardize=_lowercase, split=None)
    vectorize.adapt(["Cat", "dog", "cat"])
    model = torchseq.Model(inputs, vectorize(inputs))

    assert vectorize.get_config()["standardize"] == {
        "module": __name__, "class_name": "function", "config": "_lowercase",
        "registered_name": "_lowercase",
    }
    model.save(tmp_path / "standardize.keras")
    loaded = torchseq.models.load_model(
        tmp_path / "standardize.keras", custom_objects={"_lowercase": _lowercase}
    )
    np.testing.assert_array_equal(
        loaded.predict(np.array(["CAT", "Dog", "bird"]), verbose=0), [2, 3, 1]
    )
