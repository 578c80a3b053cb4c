"""Shared checks for layers: Keras parity with the same weights, config and state-dict round trips.

Usage in a test module::

    CASES = [LayerCase(layers.Dense, {"units": 3}, (2, 4)), ...]

    @pytest.mark.parametrize("case", CASES, ids=str)
    def test_parity(case):
        check_layer(case)
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

os.environ.setdefault("KERAS_BACKEND", "torch")


@dataclasses.dataclass
class LayerCase:
    """One layer configuration to check.

    Args:
        layer_cls: The torchseq layer class.
        kwargs: Constructor arguments, the same for torchseq and Keras.
        input_shape: Full input shape (batch first), or a list of shapes for several inputs.
        keras_name: Keras class name when it differs from ``layer_cls.__name__``.
        training: Also compare in training mode (deterministic layers only, e.g. BatchNormalization).
        input_dtype: "float32" or an integer dtype name (indices for Embedding).
        keras_kwargs: Extra arguments for the Keras layer only.
        make_input: Optional function ``(rng, shape) -> np.ndarray`` for the inputs.
        atol: Absolute tolerance for output comparisons.
    """

    layer_cls: type
    kwargs: dict[str, Any]
    input_shape: Any
    keras_name: str | None = None
    training: bool = False
    input_dtype: str = "float32"
    keras_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    make_input: Callable[[np.random.Generator, tuple], np.ndarray] | None = None
    atol: float = 1e-5

    def __str__(self) -> str:
        args = ",".join(f"{k}={v}" for k, v in self.kwargs.items())
        return f"{self.layer_cls.__name__}({args})@{self.input_shape}"


def make_inputs(case: LayerCase, seed: int = 0) -> Any:
    rng = np.random.default_rng(seed)

    def one(shape: tuple) -> np.ndarray:
        if case.make_input is not None:
            return case.make_input(rng, shape)
        if "int" in case.input_dtype:
            return rng.integers(0, 10, size=shape).astype(case.input_dtype)
        return rng.standard_normal(shape).astype(case.input_dtype)

    if isinstance(case.input_shape, list):
        return [one(tuple(shape)) for shape in case.input_shape]
    return one(tuple(case.input_shape))


def to_torch(value: Any) -> Any:
    if isinstance(value, list):
        return [torch.from_numpy(v) for v in value]
    return torch.from_numpy(value)


def to_numpy(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [to_numpy(v) for v in value]
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def keras_layer(case: LayerCase) -> Any:
    keras = pytest.importorskip("keras")
    name = case.keras_name or case.layer_cls.__name__
    return getattr(keras.layers, name)(**case.kwargs, **case.keras_kwargs)


def check_parity(case: LayerCase) -> Any:
    """Same weights (copied from Keras) give the same outputs, shapes and parameter counts.

    Returns the Keras layer, for the checks that follow to reuse.
    """
    reference = keras_layer(case)
    inputs = make_inputs(case)
    expected = to_numpy(reference(inputs, training=False))
    layer = case.layer_cls(**case.kwargs)
    layer(to_torch(inputs))  # build
    assert [w.shape for w in layer.get_weights()] == [
        tuple(w.shape) for w in reference.get_weights()
    ]
    layer.set_weights(reference.get_weights())
    assert layer.count_params() == reference.count_params()
    actual = to_numpy(layer(to_torch(inputs)))
    np.testing.assert_allclose(actual, expected, atol=case.atol, rtol=1e-5)
    np.testing.assert_allclose(
        to_numpy(layer(to_torch(inputs), training=False)), expected, atol=case.atol, rtol=1e-5
    )
    if case.training:
        expected_train = to_numpy(reference(inputs, training=True))
        actual_train = to_numpy(layer(to_torch(inputs), training=True))
        np.testing.assert_allclose(actual_train, expected_train, atol=case.atol, rtol=1e-5)
        for ours, theirs in zip(layer.get_weights(), reference.get_weights()):
            np.testing.assert_allclose(ours, to_numpy(theirs), atol=1e-5, rtol=1e-5)
    return reference


def check_output_shape(case: LayerCase) -> None:
    """compute_output_shape with an unknown batch matches the real output and Keras."""
    layer = case.layer_cls(**case.kwargs)
    inputs = to_torch(make_inputs(case))
    output = layer(inputs)
    if isinstance(case.input_shape, list):
        symbolic_shape = [(None, *s[1:]) for s in case.input_shape]
    else:
        symbolic_shape = (None, *case.input_shape[1:])
    predicted = layer.compute_output_shape(symbolic_shape)
    outputs = output if isinstance(output, (list, tuple)) else [output]
    shapes = predicted if isinstance(output, (list, tuple)) else [predicted]
    for out, shape in zip(outputs, shapes):
        assert tuple(shape)[1:] == tuple(out.shape)[1:]
        assert shape[0] is None


def check_config_round_trip(case: LayerCase) -> None:
    layer = case.layer_cls(**case.kwargs)
    config = layer.get_config()
    clone = case.layer_cls.from_config(config)
    assert clone.get_config() == config


def check_state_dict_round_trip(case: LayerCase) -> None:
    """A second, identically built layer takes the first one's state dict and agrees with it."""
    inputs = to_torch(make_inputs(case))
    first = case.layer_cls(**case.kwargs)
    second = case.layer_cls(**case.kwargs)
    first(inputs)
    second(inputs)
    second.load_state_dict(first.state_dict())
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(to_numpy(first(inputs)), to_numpy(second(inputs)), atol=1e-6)


def as_stored(serialized: dict[str, Any]) -> dict[str, Any]:
    """A serialized layer as a ``.keras`` file holds it: through JSON (tuples become lists)."""
    return json.loads(json.dumps(serialized))


def check_keras_config_exchange(case: LayerCase, reference: Any = None) -> None:
    """Configs move both ways between Keras and torchseq; see :func:`check_exchange`.

    ``reference`` is the Keras layer of :func:`check_parity`, if at hand (it saves a build).
    """
    reference = keras_layer(case) if reference is None else reference
    check_exchange(reference, case.layer_cls, (make_inputs(case),), atol=case.atol)


def check_exchange(reference: Any, layer_cls: type, args: tuple, atol: float = 1e-5) -> None:
    """Keras's stored config makes a torchseq layer, whose stored config makes a Keras layer.

    ``reference`` is a Keras layer, built or not, called on ``args`` (numpy arrays). Each rebuilt
    layer is built from the stored build config alone (as a loader builds it), takes the
    other side's weights, and must give the other side's outputs.
    """
    keras = pytest.importorskip("keras")
    from torchseq import layers

    expected = to_numpy(reference(*args, training=False))
    stored = as_stored(keras.saving.serialize_keras_object(reference))
    ours = layer_cls.from_config(stored["config"])
    _build_like(ours, stored, args)
    _weights_from_keras(reference, ours)
    actual = to_numpy(ours(*(to_torch(a) for a in args), training=False))
    assert_all_close(actual, expected, atol)

    stored = as_stored(layers.serialize(ours))
    theirs = keras.saving.deserialize_keras_object(stored)  # built from our build config
    assert theirs.built
    _weights_to_keras(ours, theirs)
    assert_all_close(actual, to_numpy(theirs(*args, training=False)), atol)


def _weights_from_keras(reference: Any, layer: Any) -> None:
    """Keras writes the layer's weights file section; torchseq reads it."""
    import h5py
    from keras.src.saving import saving_lib as keras_saving

    from torchseq.saving.weights_file import read_weights

    buffer = io.BytesIO()
    store = keras_saving.H5IOStore(buffer, mode="w")
    keras_saving._save_state(reference, store, None, inner_path="", visited_saveables=set())
    store.close()
    with h5py.File(buffer, "r") as root:
        read_weights(root, layer, source="keras")


def _weights_to_keras(layer: Any, reference: Any) -> None:
    """torchseq writes the layer's weights file section; Keras reads it."""
    import h5py
    from keras.src.saving import saving_lib as keras_saving

    from torchseq.saving.weights_file import write_weights

    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as root:
        write_weights(root, layer)
    store = keras_saving.H5IOStore(buffer, mode="r")
    keras_saving._load_state(reference, store, None, inner_path="", visited_saveables=set())
    store.close()


def assert_all_close(actual: Any, expected: Any, atol: float = 1e-5) -> None:
    """Outputs agree, one by one when there are several."""
    if isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected)
        for ours, theirs in zip(actual, expected):
            assert_all_close(ours, theirs, atol)
    else:
        np.testing.assert_allclose(actual, expected, atol=atol, rtol=1e-5)


def _build_like(layer: Any, stored: dict[str, Any], args: tuple) -> None:
    """Build from the stored build config, as a loader does; call on data when there is none."""
    if stored.get("build_config"):
        layer.build_from_config(stored["build_config"])
        assert layer.built
    else:
        layer(*(to_torch(a) for a in args))


def check_layer(case: LayerCase) -> None:
    """All of the above."""
    check_output_shape(case)
    check_config_round_trip(case)
    check_state_dict_round_trip(case)
    check_keras_config_exchange(case, check_parity(case))


def without_fused_kernels(monkeypatch: pytest.MonkeyPatch, layer: Any) -> None:
    """Make ``layer`` and its sublayers run recurrent step loops instead of torch's kernels."""
    for module in layer.modules():
        for method in ("_fused_run", "_fused_call"):
            if hasattr(module, method):
                monkeypatch.setattr(module, method, lambda *args, **kwargs: None)
