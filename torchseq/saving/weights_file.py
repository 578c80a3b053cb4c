"""A model's weights (and optimizer variables) in Keras's HDF5 layout.

The same layout is the ``.weights.h5`` file and the ``model.weights.h5`` member of a
``.keras`` archive: groups per object (``object_tree``), datasets ``vars/0``, ``vars/1``...
in Keras's shapes. Loading reads and checks every array before it copies the first one,
so a file that does not fit leaves the model as it was.
"""

from __future__ import annotations

import warnings
from typing import Any

import h5py
import numpy as np
import torch

from torchseq.layers.layer import Layer
from torchseq.saving.object_tree import state_entries
from torchseq.utils import layouts

__all__ = ["open_h5", "read_weights", "write_weights"]

_OPTIMIZER = "optimizer"


def open_h5(source: Any, name: str) -> h5py.File:
    """``source`` (a path or a file object) opened for reading as HDF5.

    Raises:
        ValueError: It is not HDF5, or it is truncated or damaged (naming ``name``).
    """
    try:
        return h5py.File(source, "r")
    except OSError as error:
        raise ValueError(
            f"Cannot read {name!r}: it is not an HDF5 weights file, or it is truncated or "
            f"damaged ({error})"
        ) from error


def write_weights(root: h5py.Group, model: Layer, *, include_optimizer: bool = True) -> None:
    """Write every weight of ``model`` (and its optimizer's variables) under ``root``."""
    for entry in state_entries(model):
        group = root.require_group(_join(entry.path, "vars"))
        group.attrs["name"] = entry.name
        for key, tensor, layout in entry.variables:
            group.create_dataset(key, data=_array_for_file(tensor, layout))
    optimizer = _keras_optimizer(model) if include_optimizer else None
    if optimizer is not None:
        _write_optimizer(root, _OPTIMIZER, optimizer, optimizer_arrays(model, optimizer))
        inner = getattr(optimizer, "inner_optimizer", None)
        if inner is not None:  # Keras also keeps a LossScaleOptimizer's inner one apart
            path = f"{_OPTIMIZER}/inner_optimizer"
            _write_optimizer(root, path, inner, optimizer_arrays(model, inner))


def _write_optimizer(root: h5py.Group, path: str, optimizer: Any, arrays: list) -> None:
    group = root.require_group(f"{path}/vars")
    group.attrs["name"] = optimizer.name
    for index, array in enumerate(arrays):
        group.create_dataset(str(index), data=array)


def read_weights(
    root: h5py.Group,
    model: Layer,
    *,
    source: str,
    skip_mismatch: bool = False,
    load_optimizer: bool = True,
) -> None:
    """Copy the weights under ``root`` into ``model``, after checking all of them.

    Args:
        root: The file's root group.
        model: The model to load into; its layers must be built.
        source: The file's path, for messages.
        skip_mismatch: Skip (with a warning naming them) the layers whose weights differ
            in number or shape, instead of raising.
        load_optimizer: Also restore the optimizer's variables when the file has them and
            the model is compiled with a torchseq optimizer.

    Raises:
        ValueError: Naming the first weight that does not fit (its path, the expected and
            the received shape), an unbuilt layer, or weights in the file that the model
            has no place for. Nothing is copied then.
    """
    plan: list[tuple[torch.Tensor, Any, np.ndarray]] = []
    skipped: list[str] = []
    read_groups = set()
    for entry in state_entries(model):
        if entry.unbuilt:
            raise ValueError(
                f"Cannot load weights into layer {entry.owner.name!r}: it is not built yet "
                f"(weights {entry.unbuilt} have no shape). Build the model first: call it on "
                "data, call model.build(input_shape), or start it with keras.Input(...)."
            )
        vars_path = _join(entry.path, "vars")
        stored = _group(root, vars_path, source)
        read_groups.add(vars_path)
        arrays, problem = _read_entry(entry, stored, vars_path, source)
        if problem is not None:
            if not skip_mismatch:
                raise ValueError(problem)
            skipped.append(f"{entry.owner.name!r} ({problem})")
            continue
        plan += [(tensor, layout, arrays[key]) for key, tensor, layout in entry.variables]
    extra = [path for path in _variable_groups(root) if path not in read_groups]
    extra = [path for path in extra if path.split("/")[0] != _OPTIMIZER]
    if extra and not skip_mismatch:
        raise ValueError(
            f"The weights file {source!r} holds weights at {extra} for which model "
            f"{model.name!r} has no layer: the file was written by a different architecture."
        )
    if skipped:
        warnings.warn(
            f"Loading {source!r}: skipped layers whose weights do not match (skip_mismatch=True): "
            + "; ".join(skipped),
            stacklevel=3,
        )
    if load_optimizer:
        _load_optimizer(root, model, source)  # checks all, then copies; may raise
    with torch.no_grad():
        for tensor, layout, array in plan:
            value = torch.from_numpy(np.asarray(array, order="C"))
            tensor.copy_(layouts.to_stored(value.to(tensor.dtype), layout))


def _array_for_file(tensor: torch.Tensor, layout: Any) -> np.ndarray:
    """The weight in Keras's layout, without a copy when the view is already contiguous
    (h5py writes straight from it); bfloat16, which numpy lacks, as float32."""
    value = layouts.to_keras(tensor.detach(), layout)
    if value.dtype == torch.bfloat16:
        value = value.float()
    return value.cpu().numpy()


def _read_entry(
    entry: Any, stored: h5py.Group | None, vars_path: str, source: str
) -> tuple[dict[str, np.ndarray], str | None]:
    """The entry's arrays from the file, or a description of why they do not fit."""
    expected = [key for key, _, _ in entry.variables]
    found = sorted(stored.keys(), key=_numeric_first) if stored is not None else []
    if sorted(expected, key=_numeric_first) != found:
        return {}, (
            f"layer {entry.owner.name!r} expects {len(expected)} weight(s) at "
            f"{vars_path!r}, the file {source!r} has {len(found)}"
            + (f" ({found})" if found and len(found) < 10 else "")
        )
    arrays = {}
    for key, tensor, layout in entry.variables:
        dataset = stored[key]
        expected_shape = tuple(layouts.to_keras(tensor, layout).shape)
        if tuple(dataset.shape) != tuple(expected_shape):
            weight = getattr(tensor, "path", f"{entry.owner.name}/{key}")
            return {}, (
                f"weight {weight!r} ({vars_path}/{key} in {source!r}) has shape "
                f"{tuple(expected_shape)} in the model, but the file holds shape "
                f"{tuple(dataset.shape)}"
            )
        arrays[key] = _read_dataset(dataset, f"{vars_path}/{key}", source)
    return arrays, None


def _read_dataset(dataset: h5py.Dataset, path: str, source: str) -> np.ndarray:
    try:
        return np.asarray(dataset[()])
    except (OSError, KeyError, ValueError, TypeError) as error:
        raise ValueError(f"Cannot read {path!r} from {source!r}: the file is damaged ({error})") from error


def _group(root: h5py.Group, path: str, source: str) -> h5py.Group | None:
    try:
        found = root.get(path)
    except (OSError, KeyError, ValueError) as error:
        raise ValueError(f"Cannot read {path!r} from {source!r}: the file is damaged ({error})") from error
    if found is not None and not isinstance(found, h5py.Group):
        raise ValueError(f"{source!r} is not a Keras weights file: {path!r} is not a group")
    return found


def _variable_groups(root: h5py.Group) -> list[str]:
    """Paths of the ``vars`` groups that hold at least one dataset."""
    found = []

    def visit(name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Group) and name.split("/")[-1] == "vars" and len(obj):
            found.append(name)

    root.visititems(visit)
    return found


def _numeric_first(key: str) -> tuple[int, Any]:
    return (0, int(key)) if key.isdigit() else (1, key)


def _join(path: str, name: str) -> str:
    return f"{path}/{name}" if path else name


# ---------------------------------------------------------------------- optimizer


def _keras_optimizer(model: Layer) -> Any:
    """The model's torchseq optimizer, if it has one (a plain torch optimizer has no Keras
    layout, and is not saved)."""
    from torchseq.optimizers import Optimizer

    optimizer = getattr(model, "optimizer", None)
    inner = getattr(optimizer, "inner_optimizer", optimizer)  # a LossScaleOptimizer's
    return optimizer if isinstance(optimizer, Optimizer) and isinstance(inner, Optimizer) else None


def optimizer_arrays(model: Layer, optimizer: Any) -> list[np.ndarray]:
    """The optimizer's variables in Keras's order and layouts."""
    return optimizer.keras_variables(_trainable_with_layouts(model))


def _trainable_with_layouts(model: Layer) -> list[tuple[torch.Tensor, Any]]:
    layouts = {id(tensor): layout for tensor, layout in model._weight_entries()}
    return [(tensor, layouts.get(id(tensor))) for tensor in model.trainable_weights]


def _load_optimizer(root: h5py.Group, model: Layer, source: str) -> None:
    """Restore the stored optimizer variables, if the file and the model both have some.

    As Keras, a different number of variables (an optimizer saved before its first step,
    or of another kind) is skipped with a warning; a wrong shape raises.
    """
    optimizer = _keras_optimizer(model)
    stored = _group(root, f"{_OPTIMIZER}/vars", source)
    if optimizer is None or stored is None or not len(stored):
        return
    keys = sorted(stored.keys(), key=_numeric_first)
    arrays = [_read_dataset(stored[key], f"{_OPTIMIZER}/vars/{key}", source) for key in keys]
    weights = _trainable_with_layouts(model)
    expected = len(optimizer.keras_variables(weights))
    if expected != len(arrays):
        warnings.warn(
            f"Loading {source!r}: skipped the optimizer's variables: optimizer "
            f"{optimizer.name!r} has {expected} variables, the file has {len(arrays)}. The "
            "optimizer starts afresh.",
            stacklevel=4,
        )
        return
    optimizer.load_keras_variables(arrays, weights)
