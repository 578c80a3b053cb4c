"""Small Functional and Sequential models, built by the same code in torchseq and in Keras.

Each builder takes the framework module (``torchseq`` or ``keras``), so layer names, layer
order and node indices agree by construction. ``CASES`` maps a case name to its builder.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def lists(k: Any) -> Any:
    """Two inputs and two outputs as lists; a merge layer takes a list argument."""
    a, b = k.Input((3,), name="a"), k.Input((2,), name="b")
    joined = k.layers.Concatenate(name="cat")([a, b])
    hidden = k.layers.Dense(4, activation="relu", name="hidden")(joined)
    return k.Model([a, b], [hidden, k.layers.Dense(1, name="head")(hidden)], name="lists")


def dicts(k: Any) -> Any:
    """Inputs and outputs as dicts; a layer shared by three calls (node indices 0, 1, 2)."""
    x, y = k.Input((3,), name="x"), k.Input((3,), name="y")
    shared = k.layers.Dense(3, name="shared")
    added = k.layers.Add(name="add")([shared(x), shared(y)])
    return k.Model({"x": x, "y": y}, {"sum": added, "again": shared(added)}, name="dicts")


def shared_at_two_depths(k: Any) -> Any:
    """d(e(d(x))): loading must defer d's second call until e has run."""
    x = k.Input((3,), name="x")
    d, e = k.layers.Dense(3, name="d"), k.layers.Dense(3, activation="tanh", name="e")
    return k.Model(x, d(e(d(x))), name="two_depths")


def nested(k: Any) -> Any:
    """A Sequential and a Functional model used as layers, the Functional one twice."""
    inner_seq = k.Sequential(
        [k.Input((3,), name="seq_in"), k.layers.Dense(2, name="seq_dense")], name="inner_seq"
    )
    inner_in = k.Input((2,), name="fn_in")
    inner_fn = k.Model(inner_in, k.layers.Dense(2, name="fn_dense")(inner_in), name="inner_fn")
    x = k.Input((3,), name="x")
    once = inner_fn(inner_seq(x))
    return k.Model(x, [once, inner_fn(once)], name="nested")


def call_kwargs(k: Any) -> Any:
    """Keyword arguments in nodes: an attention layer on [query, value], training=False."""
    query, value = k.Input((4, 2), name="query"), k.Input((5, 2), name="value")
    attended = k.layers.Attention(name="att")([query, value], use_causal_mask=True)
    dropped = k.layers.Dropout(0.5, name="drop")(attended, training=False)
    joined = k.layers.Concatenate(axis=-1, name="cc")([dropped, query])
    return k.Model([query, value], joined, name="call_kwargs")


def sequential(k: Any) -> Any:
    return k.Sequential(
        [k.Input((3,), name="seq_in"), k.layers.Dense(4, activation="relu", name="d1"),
         k.layers.Dense(2, name="d2")],
        name="seq",
    )


CASES = {
    "lists": lists,
    "dicts": dicts,
    "shared_at_two_depths": shared_at_two_depths,
    "nested": nested,
    "call_kwargs": call_kwargs,
    "sequential": sequential,
}


def sample_inputs(model: Any, batch: int = 2) -> Any:
    """Random inputs in the structure of ``model.input`` (a dict, a list or one array)."""
    rng = np.random.default_rng(0)

    def sample(tensor: Any) -> np.ndarray:
        return rng.random((batch, *tuple(tensor.shape)[1:])).astype("float32")

    try:
        inputs = model.input
    except AttributeError:  # Keras's Sequential has only `inputs`, and one of them
        inputs = model.inputs[0]
    if isinstance(inputs, dict):
        return {name: sample(tensor) for name, tensor in inputs.items()}
    if isinstance(inputs, (list, tuple)):
        return [sample(tensor) for tensor in inputs]
    return sample(inputs)


def as_arrays(outputs: Any) -> list[np.ndarray]:
    """Outputs (a tensor, list or dict, torch or Keras) as numpy arrays, dicts by key."""
    if isinstance(outputs, dict):
        return [leaf for key in sorted(outputs) for leaf in as_arrays(outputs[key])]
    if isinstance(outputs, (list, tuple)):
        return [leaf for value in outputs for leaf in as_arrays(value)]
    return [np.asarray(outputs.detach().cpu() if hasattr(outputs, "detach") else outputs)]
