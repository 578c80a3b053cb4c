"""What the applications' parity tests share: model structure and summaries compared with
Keras's, and random weights that make a same-weights comparison mean something."""

from __future__ import annotations

import numpy as np


def layer_signature(model):
    # torchseq's Sequential class is SequentialModel (summary() prints "Sequential").
    return [
        (layer.name, type(layer).__name__.replace("SequentialModel", "Sequential"))
        for layer in model.layers
    ]


def layer_table(model):
    return [(layer.name, type(layer).__name__, tuple(layer.output.shape)) for layer in model.layers]


def assert_same_structure(kmodel, tmodel):
    assert tmodel.name == kmodel.name
    assert layer_signature(tmodel) == layer_signature(kmodel)
    assert [tuple(layer.output.shape) for layer in tmodel.layers] == [
        tuple(layer.output.shape) for layer in kmodel.layers
    ]
    assert tmodel.count_params() == kmodel.count_params()


def summary_lines(model):
    lines = []
    model.summary(line_length=80, print_fn=lambda line, **kwargs: lines.append(line))
    return "\n".join(lines).splitlines()


def first_difference(ours, theirs):
    """The first differing pair of lines (pytest's own diff of 1,300 lines takes minutes)."""
    for pair in zip(ours, theirs):
        if pair[0] != pair[1]:
            return pair
    return None if len(ours) == len(theirs) else (len(ours), len(theirs))


def random_weights(kmodel, seed=0):
    """Kernels scaled by their fan-in, and batch norms that do something."""
    rng = np.random.default_rng(seed)
    weights = []
    for variable in kmodel.weights:
        shape = tuple(variable.shape)
        if variable.name in ("gamma", "moving_variance"):
            value = rng.uniform(0.5, 1.5, shape)
        elif len(shape) == 1:
            value = rng.normal(0.0, 0.1, shape)
        else:
            value = rng.normal(0.0, np.sqrt(2.0 / np.prod(shape[:-1])), shape)
        weights.append(value.astype("float32"))
    return weights
