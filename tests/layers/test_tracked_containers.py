"""Sub-layers kept in lists, tuples and dicts are the owner's, as in Keras: weights, training,
``state_dict``, copies; the weight files' layout is checked in tests/saving."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch

import torchseq


def _tower_class(lib):
    """keras.io's pattern: blocks in a list, more appended in ``__init__``, one in a dict."""

    class Tower(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.blocks = [lib.layers.Dense(3), lib.layers.Dense(3)]
            self.extra = []
            self.extra.append(lib.layers.Dense(3))
            self.heads = {"out": lib.layers.Dense(1)}

        def call(self, x):
            for block in [*self.blocks, *self.extra]:
                x = block(x)
            return self.heads["out"](x)

    return Tower


TorchseqTower = _tower_class(torchseq)
TorchseqTower.__qualname__ = "TorchseqTower"  # picklable by name


def _tower(lib):
    return TorchseqTower() if lib is torchseq else _tower_class(lib)()


def test_weights_are_the_owners_in_keras_order():
    keras = pytest.importorskip("keras")
    x = np.ones((2, 4), "float32")
    theirs, ours = _tower(keras), _tower(torchseq)
    theirs(x), ours(torch.from_numpy(x))
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert len(ours.weights) == 8
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    np.testing.assert_allclose(
        ours(torch.from_numpy(x)).detach().numpy(),
        keras.ops.convert_to_numpy(theirs(x)),
        rtol=1e-6,
    )


def test_fit_trains_them():
    inputs = torchseq.Input((4,))
    model = torchseq.Model(inputs, _tower(torchseq)(inputs))
    model.compile("sgd", "mse")
    before = [w.copy() for w in model.get_weights()]
    model.fit(np.ones((8, 4), "float32"), np.zeros((8, 1), "float32"), verbose=0)
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_state_dict_copies_and_reassignment():
    tower = _tower(torchseq)
    tower(torch.ones(1, 4))
    assert isinstance(tower.blocks, list) and isinstance(tower.heads, dict)
    assert "blocks.1.kernel" in tower.state_dict() and "heads.0.kernel" in tower.state_dict()
    for clone in (copy.deepcopy(tower), pickle.loads(pickle.dumps(tower))):
        assert len(clone.weights) == 8
        torch.testing.assert_close(clone(torch.ones(1, 4)), tower(torch.ones(1, 4)))
    tower.extra = None
    assert len(tower.weights) == 6
    tower.blocks.pop()
    assert len(tower.weights) == 4
