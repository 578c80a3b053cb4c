"""Loading never runs code from a file: hostile archives are refused, nothing executes.

Each archive is a real ``.keras`` file of a tiny model whose ``config.json`` was edited to
name something dangerous. The sentinel proves nothing ran: the named callables would create
a file, and ``os.system`` / ``subprocess`` / ``eval`` are patched to fail the test if called.
"""

from __future__ import annotations

import builtins
import json
import os
import pickle
import subprocess
import zipfile

import numpy as np
import pytest

import torchseq
from torchseq import layers, saving
from torchseq.saving import saving_lib


@pytest.fixture
def archive(tmp_path):
    model = torchseq.Sequential([torchseq.Input((3,)), layers.Dense(2)])
    path = tmp_path / "model.keras"
    saving.save_model(model, path)
    return path


@pytest.fixture(autouse=True)
def _nothing_runs(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"code from a file ran: {args!r}")

    monkeypatch.setattr(os, "system", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)


def _rewrite(path, edit, extra_members=()):
    """Rewrite ``path`` with its config edited by ``edit(config)`` and extra members added."""
    with zipfile.ZipFile(path) as source:
        members = {name: source.read(name) for name in source.namelist()}
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config).encode()
    members.update(extra_members)
    with zipfile.ZipFile(path, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)


def _dense(config):
    return config["config"]["layers"][1]


# (edit of config.json, the name the refusal must mention)
HOSTILE_EDITS = {
    "layer from os": (lambda c: _dense(c).update(module="os", class_name="system"), "system"),
    "layer from subprocess": (
        lambda c: _dense(c).update(module="subprocess", class_name="Popen"), "Popen"
    ),
    "builtins.eval as activation": (
        lambda c: _dense(c)["config"].update(
            activation={"module": "builtins", "class_name": "function", "config": "eval",
                        "registered_name": "eval"}
        ),
        "eval",
    ),
    "os.system as initializer": (
        lambda c: _dense(c)["config"].update(
            kernel_initializer={"module": "os", "class_name": "function", "config": "system",
                                "registered_name": None}
        ),
        "system",
    ),
    "model class from subprocess": (
        lambda c: c.update(module="subprocess", class_name="Popen"), "Popen"
    ),
    "keras module naming a non-public name": (
        lambda c: _dense(c).update(class_name="importlib"), "importlib"
    ),
    "registered name pointing elsewhere": (
        lambda c: _dense(c).update(module="os", class_name="system", registered_name="os>system"),
        "system",
    ),
}


@pytest.mark.parametrize(("edit", "name"), HOSTILE_EDITS.values(), ids=HOSTILE_EDITS.keys())
def test_configs_naming_other_modules_are_refused(archive, edit, name):
    _rewrite(archive, edit)
    with pytest.raises(ValueError, match=f"'{name}'"):
        saving.load_model(archive)


def test_lambda_needs_safe_mode_off(archive):
    lambda_config = {
        "module": "keras.layers", "class_name": "Lambda",
        "config": {"name": "double", "trainable": True, "dtype": "float32",
                   "function": saving.serialize_keras_object(lambda x: x * 2),
                   "arguments": {}},
        "registered_name": None,
    }
    _rewrite(archive, lambda c: c["config"]["layers"].append(lambda_config))
    with pytest.raises(ValueError, match="safe_mode=False"):
        saving.load_model(archive)
    model = saving.load_model(archive, safe_mode=False)
    x = np.ones((1, 3), dtype=np.float32)
    dense = model.layers[0]
    np.testing.assert_allclose(model.predict(x, verbose=0), 2 * dense(x).detach().numpy(), rtol=1e-6)


def test_pickled_member_is_refused_and_never_read(archive):
    payload = b"cos\nsystem\n(S'touch /tmp/torchseq-pwned'\ntR."
    _rewrite(archive, lambda c: None, {"model.pkl": payload})
    with pytest.raises(ValueError, match="unexpected member.*model.pkl"):
        saving.load_model(archive)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: p.write_bytes(b"not a zip at all"), "not a .keras archive"),
        (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "not a .keras archive"),
        (lambda p: _rewrite(p, lambda c: c.clear()), "does not describe a model"),
    ],
    ids=["foreign", "truncated", "empty config"],
)
def test_damaged_archives_name_the_path(archive, damage, message):
    damage(archive)
    with pytest.raises(ValueError, match=message) as raised:
        saving.load_model(archive)
    assert str(archive) in str(raised.value) or "config" in str(raised.value)


def test_missing_member_and_missing_file(archive, tmp_path):
    with zipfile.ZipFile(archive) as source:
        config = source.read("config.json")
    with zipfile.ZipFile(archive, "w") as target:
        target.writestr("config.json", config)
    with pytest.raises(ValueError, match="has no 'model.weights.h5'"):
        saving.load_model(archive)
    with pytest.raises(ValueError, match="file not found"):
        saving.load_model(tmp_path / "absent.keras")


def test_damaged_config_json(archive):
    with zipfile.ZipFile(archive) as source:
        members = {name: source.read(name) for name in source.namelist()}
    members["config.json"] = b"{not json"
    with zipfile.ZipFile(archive, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)
    with pytest.raises(ValueError, match="damaged config.json"):
        saving.load_model(archive)


def test_zip_bomb_is_refused(archive, monkeypatch):
    monkeypatch.setattr(saving_lib, "_BOMB_FLOOR_BYTES", 2**20)  # instead of writing 64 MiB
    with zipfile.ZipFile(archive) as source:
        members = {name: source.read(name) for name in source.namelist()}
    members["model.weights.h5"] += bytes(4 * 2**20)
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)
    with pytest.raises(ValueError, match="decompression bomb"):
        saving.load_model(archive)


def test_enable_unsafe_deserialization_allows_lambdas_everywhere(archive, monkeypatch):
    lambda_config = {
        "module": "keras.layers", "class_name": "Lambda",
        "config": {"name": "triple", "function": saving.serialize_keras_object(lambda x: x * 3),
                   "arguments": {}},
        "registered_name": None,
    }
    _rewrite(archive, lambda c: c["config"]["layers"].append(lambda_config))
    monkeypatch.setattr(torchseq.config, "_UNSAFE_DESERIALIZATION", False)
    torchseq.config.enable_unsafe_deserialization()
    assert saving.load_model(archive).layers[-1].name == "triple"
