"""``save_weights`` / ``load_weights``: suffixes, mismatches, atomic writes."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

import torchseq
from torchseq import layers, saving


def _model(units=2, extra=False):
    stack = [torchseq.Input((3,)), layers.Dense(4, activation="relu"), layers.Dense(units)]
    if extra:
        stack.append(layers.Dense(1))
    return torchseq.Sequential(stack)


def _snapshot(model):
    return [w.copy() for w in model.get_weights()]


def _assert_unchanged(model, before):
    for now, then in zip(model.get_weights(), before):
        np.testing.assert_array_equal(now, then)


def test_round_trip_restores_every_weight(tmp_path):
    source, target = _model(), _model()
    saving.save_weights(source, tmp_path / "m.weights.h5")
    saving.load_weights(target, tmp_path / "m.weights.h5")
    for a, b in zip(source.get_weights(), target.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["m.h5", "m.weights", "m.keras", "m.pt"])
def test_save_weights_needs_the_weights_suffix(tmp_path, name):
    with pytest.raises(ValueError, match=r"must end in \.weights\.h5.*received"):
        saving.save_weights(_model(), tmp_path / name)
    assert not os.listdir(tmp_path)


def test_shape_mismatch_names_the_weight_and_changes_nothing(tmp_path):
    saving.save_weights(_model(units=5), tmp_path / "m.weights.h5")
    model = _model(units=2)
    before = _snapshot(model)
    with pytest.raises(ValueError, match=r"'dense_\d+/kernel'.*\(4, 2\) in the model.*\(4, 5\)"):
        saving.load_weights(model, tmp_path / "m.weights.h5")
    _assert_unchanged(model, before)


def test_skip_mismatch_loads_the_rest_and_names_the_skipped(tmp_path):
    source = _model(units=5)
    saving.save_weights(source, tmp_path / "m.weights.h5")
    model = _model(units=2)
    last = _snapshot(model)[2:]
    with pytest.warns(UserWarning, match=r"skipped layers.*'dense_\d+'"):
        saving.load_weights(model, tmp_path / "m.weights.h5", skip_mismatch=True)
    for a, b in zip(model.get_weights()[:2], source.get_weights()[:2]):
        np.testing.assert_array_equal(a, b)
    _assert_unchanged(model.layers[1], last)


def test_weights_of_another_architecture_are_refused(tmp_path):
    saving.save_weights(_model(extra=True), tmp_path / "m.weights.h5")
    model = _model()
    before = _snapshot(model)
    with pytest.raises(ValueError, match="different architecture"):
        saving.load_weights(model, tmp_path / "m.weights.h5")
    _assert_unchanged(model, before)


def test_unbuilt_model_is_told_to_build(tmp_path):
    saving.save_weights(_model(), tmp_path / "m.weights.h5")
    unbuilt = torchseq.Sequential([layers.Dense(4), layers.Dense(2)])
    with pytest.raises(ValueError, match="not built yet"):
        saving.load_weights(unbuilt, tmp_path / "m.weights.h5")


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"garbage", "not an HDF5 weights file"), (None, "file not found")],
)
def test_unreadable_weights_file(tmp_path, content, message):
    path = tmp_path / "m.weights.h5"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        saving.load_weights(_model(), path)


def test_truncated_weights_file(tmp_path):
    path = tmp_path / "m.weights.h5"
    saving.save_weights(_model(), path)
    path.write_bytes(path.read_bytes()[:1000])
    model = _model()
    before = _snapshot(model)
    with pytest.raises(ValueError, match=str(path)):
        saving.load_weights(model, path)
    _assert_unchanged(model, before)


def test_a_crash_mid_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "m.weights.h5"
    saving.save_weights(_model(), path)
    previous = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        saving.save_weights(_model(), path)
    assert path.read_bytes() == previous
    assert os.listdir(tmp_path) == ["m.weights.h5"]


def test_temporary_files_of_a_dead_process_are_removed(tmp_path):
    stale = tmp_path / ".torchseq-tmp-999999999-abc"
    stale.mkdir()
    (stale / "m.weights.h5").write_bytes(b"half")
    saving.save_weights(_model(), tmp_path / "m.weights.h5")
    assert os.listdir(tmp_path) == ["m.weights.h5"]


def test_state_dict_still_round_trips_through_torch_save(tmp_path):
    model = _model()
    model.compile("adam", "mse")
    torch.save(model.state_dict(), tmp_path / "m.pt")
    copy = _model()
    copy.load_state_dict(torch.load(tmp_path / "m.pt", weights_only=True))
    assert copy.state_dict().keys() == model.state_dict().keys()
    for key, value in model.state_dict().items():
        torch.testing.assert_close(copy.state_dict()[key], value, rtol=0, atol=0)


def test_loaded_model_is_a_module_with_the_saved_state_dict(tmp_path):
    model = _model()
    saving.save_model(model, tmp_path / "m.keras")
    loaded = saving.load_model(tmp_path / "m.keras")
    assert isinstance(loaded, torch.nn.Module)
    assert loaded.state_dict().keys() == model.state_dict().keys()
    for key, value in model.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[key], value, rtol=0, atol=0)


@pytest.mark.parametrize(
    ("name", "message"),
    [("m.h5", r"must end in \.keras \(Keras 2's \.h5 format is read by load_model, not written\)"),
     ("m.weights.h5", r"must end in \.keras"), ("m", r"must end in \.keras")],
)
def test_save_model_needs_the_keras_suffix(tmp_path, name, message):
    with pytest.raises(ValueError, match=message):
        _model().save(tmp_path / name)
    assert not os.listdir(tmp_path)


def test_overwrite_false_keeps_the_existing_file(tmp_path):
    path = tmp_path / "m.keras"
    path.write_bytes(b"previous")
    with pytest.raises(ValueError, match="exists and overwrite=False"):
        _model().save(path, overwrite=False)
    assert path.read_bytes() == b"previous"
    weights = tmp_path / "m.weights.h5"
    weights.write_bytes(b"previous")
    with pytest.raises(ValueError, match="exists and overwrite=False"):
        _model().save_weights(weights, overwrite=False)
    assert weights.read_bytes() == b"previous"


def _subclassed(lib):
    # Keras walks a subclassed model's public attributes by name, its `layers` property among
    # them: `alpha`, `blocks` and `extra` sort before it, `mid` and `zeta` are saved under it.
    class Net(lib.Model):
        def __init__(self):
            super().__init__()
            self.zeta = lib.layers.Dense(2)
            self.alpha = lib.layers.Dense(3)
            self.blocks = [lib.layers.Dense(2), lib.layers.Dense(2)]
            self.mid = lib.layers.Dense(2)
            self.extra = []
            self.extra.append(lib.layers.Dense(2))

        def call(self, x):
            x = self.zeta(self.alpha(x))
            return self.extra[0](self.mid(self.blocks[1](self.blocks[0](x))))

    return Net()


def _variable_groups(path):
    import h5py

    found = []
    with h5py.File(path, "r") as f:
        f.visit(lambda name: found.append(name) if name.endswith("vars") else None)
    return found


def test_subclassed_model_files_have_keras_layout_both_ways(tmp_path):
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(0).random((3, 4), dtype=np.float32)
    theirs, ours = _subclassed(keras), _subclassed(torchseq)
    theirs(x), ours(torch.from_numpy(x))
    theirs.save_weights(tmp_path / "theirs.weights.h5")
    ours.save_weights(tmp_path / "ours.weights.h5")
    assert _variable_groups(tmp_path / "ours.weights.h5") == _variable_groups(
        tmp_path / "theirs.weights.h5"
    )
    assert "layers/dense_4/vars" in _variable_groups(tmp_path / "ours.weights.h5")
    ours.load_weights(tmp_path / "theirs.weights.h5")
    expected = keras.ops.convert_to_numpy(theirs(x))
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-6)
    other = _subclassed(torchseq)
    other(torch.from_numpy(x))
    other.save_weights(tmp_path / "other.weights.h5")
    theirs.load_weights(tmp_path / "other.weights.h5")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(theirs(x)), other.predict(x, verbose=0), rtol=1e-6
    )
