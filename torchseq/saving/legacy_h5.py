"""Keras 2's HDF5 weights (``.h5`` / ``.hdf5``), read the way Keras 3 still reads them.

A legacy file lists its layers in the root attribute ``layer_names`` (or does so in the
group ``model_weights`` of a whole-model file); each layer's group lists its arrays in the
attribute ``weight_names``, in the legacy order: the layer's trainable weights, then its
non-trainable ones. Arrays are in Keras's layouts. As Keras 3
(``keras/src/legacy/saving/legacy_h5_format.py``):

- topological loading matches the model's layers that have weights, in order, to the
  file's layers that have weights; the layer counts and each layer's weight count must
  agree, whatever ``skip_mismatch`` says;
- ``by_name=True`` matches the file's layers to the model's top-level layers of the same
  name, and leaves the others alone;
- ``skip_mismatch=True`` leaves a weight whose shape differs as it was (and, by name, a
  layer whose weight count differs), with a warning;
- the group ``top_level_model_weights`` holds the model's own weights (a subclassed
  model's ``add_weight``).

Unlike Keras, every array is read and checked before the first weight changes, so a file
that does not fit leaves the model as it was. Nothing is unpickled or imported: only
attributes and numeric datasets are read.

A whole-model file also holds ``model_config`` (and ``training_config``) as JSON in Keras 2's
``class_name`` / ``config`` form; ``keras3_config`` adapts it for the ``.keras`` deserializer,
which then resolves every class as it does for a ``.keras`` file (safe mode included).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable
from typing import Any

import h5py
import numpy as np
import torch
from torch import nn
from torch.nn.parameter import is_lazy

from torchseq.layers.layer import Layer
from torchseq.saving import serialization_lib
from torchseq.saving.weights_file import open_h5
from torchseq.utils import layouts

__all__ = ["keras3_config", "load_legacy_model", "load_legacy_weights"]

_MODEL_WEIGHTS = "model_weights"
_TOP_LEVEL = "top_level_model_weights"

Entry = tuple[torch.Tensor, Any]  # (tensor, layout)


def load_legacy_weights(
    model: Layer, path: str, *, by_name: bool = False, skip_mismatch: bool = False
) -> None:
    """Load the weights of a Keras 2 ``.h5`` / ``.hdf5`` file into ``model``.

    Args:
        model: A built model.
        path: A legacy weights file, or a legacy whole-model file (its ``model_weights``).
        by_name: Match layers by name instead of by position.
        skip_mismatch: Skip, with a warning, weights whose shape differs (by name also
            layers whose weight count differs) instead of raising.

    Raises:
        ValueError: For an unbuilt model, a file that is not a legacy weights file, or
            layer counts, weight counts or shapes that differ (naming the layers and what
            was expected and received). Nothing is changed then.
    """
    _check_built(model)
    with open_h5(path, path) as file:
        group = _weights_group(file, path)
        loader = _Loader(group, path, skip_mismatch)
        if by_name:
            loader.plan_by_name(model)
        else:
            loader.plan_topological(model)
        loader.plan_top_level(model, strict_count=not by_name)
    loader.apply(stacklevel=5)


def load_legacy_model(
    path: str, *, custom_objects: dict[str, Any] | None, compile: bool, safe_mode: bool
) -> Layer:
    """A model from a Keras 2 whole-model ``.h5`` file: its ``model_config`` (Keras 2's
    ``class_name`` / ``config`` dicts), its ``model_weights`` and, with ``compile``, its
    ``training_config``. The optimizer's saved state is not restored.
    """
    with open_h5(path, path) as file:
        model_config = _json_attribute(file, "model_config", path)
        if model_config is None:
            raise ValueError(
                f"load_model: {path!r} holds no model config (attribute 'model_config'); a "
                "file of weights only is loaded with model.load_weights()"
            )
        model = serialization_lib.deserialize_keras_object(
            keras3_config(model_config, "keras.layers"),
            custom_objects=custom_objects,
            safe_mode=safe_mode,
        )
        if not isinstance(model, Layer):
            raise ValueError(  # noqa: TRY004 - the file's content, not an argument, is wrong
                f"load_model: {path!r} does not describe a model, it gives {model!r}"
            )
        _check_built(model)
        group = file.get(_MODEL_WEIGHTS)
        if not isinstance(group, h5py.Group):
            raise ValueError(  # noqa: TRY004 - the file's content, not an argument, is wrong
                f"load_model: {path!r} holds no '{_MODEL_WEIGHTS}' group"
            )
        loader = _Loader(group, path, skip_mismatch=False)
        loader.plan_topological(model)
        loader.plan_top_level(model, strict_count=True)
        training_config = _json_attribute(file, "training_config", path) if compile else None
        has_optimizer_state = _has_optimizer_slots(file)
    loader.apply(stacklevel=4)
    if training_config is not None:
        model.compile(**_compile_arguments(training_config, custom_objects))
        if has_optimizer_state:
            warnings.warn(
                f"load_model: {path!r} holds the optimizer's state, which torchseq does not "
                "restore from legacy .h5 files: the optimizer starts afresh.",
                stacklevel=3,
            )
    return model


def keras3_config(value: Any, module: str) -> Any:
    """A Keras 2 style config made readable by the ``.keras`` deserializer.

    Object dicts without a ``module`` get the Keras module their place implies (a layer
    list: layers; a ``*_initializer`` argument: initializers...), a one-element ``axis``
    list its element (as Keras 3 does per layer), Keras 2's dtype policies their dtype
    names, and Keras 2's inbound nodes (``[[name, node, tensor, kwargs],
    ...]``) become Keras 3's ``{"args", "kwargs"}``.
    """
    if isinstance(value, list):
        return [keras3_config(item, module) for item in value]
    if not isinstance(value, dict):
        return value
    class_name = value.get("class_name")
    if not (isinstance(class_name, str) and "config" in value):
        return {key: keras3_config(item, _module_for(key, module)) for key, item in value.items()}
    inner = value["config"]
    if class_name == "Policy" and isinstance(inner, dict):  # Keras 2's mixed precision policy
        return inner.get("name")
    converted = dict(value)
    if "module" not in converted and not class_name.startswith("__"):
        converted["module"] = "keras.models" if class_name in _MODEL_CLASSES else module
    if isinstance(inner, dict):
        converted["config"] = {
            key: keras3_config(item, _module_for(key, "keras.layers")) for key, item in inner.items()
        }
        axis = inner.get("axis")
        if "module" not in value and isinstance(axis, list) and len(axis) == 1:
            converted["config"]["axis"] = axis[0]  # tf.keras stored a built layer's axis as a list
    if isinstance(converted.get("inbound_nodes"), list):
        converted["inbound_nodes"] = [_keras3_node(node) for node in converted["inbound_nodes"]]
    return converted


def _legacy_entries(layer: Layer) -> list[Entry]:
    """The layer's weights in the legacy files' order: trainable, then non-trainable."""
    return _trainable_first(layer._weight_entries())


def _trainable_first(entries: list[Entry]) -> list[Entry]:
    trainable = [(t, lay) for t, lay in entries if _is_trainable(t)]
    frozen = [(t, lay) for t, lay in entries if not _is_trainable(t)]
    return trainable + frozen


class _Loader:
    """Reads and checks a legacy file's arrays into a plan; ``apply`` then copies them."""

    def __init__(self, group: h5py.Group, source: str, skip_mismatch: bool) -> None:
        self.group = group
        self.source = source
        self.skip_mismatch = skip_mismatch
        self.skipped: list[str] = []
        self.layer_plans: list[tuple[Layer, list[np.ndarray | None]]] = []
        self.own_plan: list[tuple[torch.Tensor, Any, np.ndarray]] = []

    # ------------------------------------------------------------------ planning

    def plan_topological(self, model: Layer) -> None:
        layers = [layer for layer in _layers(model) if _legacy_entries(layer)]
        file_layers = [
            name for name in self.layer_names() if _names(self.layer_group(name), "weight_names")
        ]
        if len(file_layers) != len(layers):
            raise ValueError(
                f"Layer count mismatch when loading weights from {self.source!r}: model "
                f"{model.name!r} has {len(layers)} layer(s) with weights "
                f"{_short([layer.name for layer in layers])}, the file has "
                f"{len(file_layers)} {_short(file_layers)}"
            )
        for index, (name, layer) in enumerate(zip(file_layers, layers)):
            entries = _legacy_entries(layer)
            datasets = self.datasets(name)
            where = f"layer #{index} (named {layer.name!r} in the model, {name!r} in the file)"
            if len(datasets) != len(entries):
                raise ValueError(
                    f"Weight count mismatch for {where} in {self.source!r}: the layer expects "
                    f"{len(entries)} weight(s) {_short(_shapes(entries))}, the file has "
                    f"{len(datasets)} {_short([tuple(d.shape) for d in datasets])}"
                )
            self.plan_layer(layer, entries, datasets, where)

    def plan_by_name(self, model: Layer) -> None:
        by_name: dict[str, list[Layer]] = {}
        for layer in _layers(model):
            by_name.setdefault(layer.name, []).append(layer)
        for index, name in enumerate(self.layer_names()):
            datasets = self.datasets(name)
            for layer in by_name.get(name, []):
                entries = _legacy_entries(layer)
                where = f"layer #{index} (named {name!r})"
                if len(datasets) != len(entries):
                    self.count_mismatch(
                        f"{where}: the layer expects {len(entries)} weight(s), the file has "
                        f"{len(datasets)}",
                        strict=False,
                    )
                    continue
                self.plan_layer(layer, entries, datasets, where)

    def plan_top_level(self, model: Layer, *, strict_count: bool) -> None:
        """The model's own weights, from ``top_level_model_weights`` when the file has it."""
        if _TOP_LEVEL not in self.group:
            return
        entries = _trainable_first(model._own_weight_entries())
        datasets = self.datasets(_TOP_LEVEL)
        if len(datasets) != len(entries):
            self.count_mismatch(
                f"the top-level weights of model {model.name!r}: the model has "
                f"{len(entries)}, the file has {len(datasets)}",
                strict=strict_count,
            )
            return
        for (tensor, layout), dataset in zip(entries, datasets):
            if self.shape_fits(tensor, layout, dataset, f"the top-level weights of {model.name!r}"):
                self.own_plan.append((tensor, layout, self.read(dataset)))

    def count_mismatch(self, problem: str, *, strict: bool) -> None:
        """Raise for weights that differ in number, or (``skip_mismatch``, not ``strict``)
        note them to warn about."""
        if strict or not self.skip_mismatch:
            raise ValueError(f"Weight count mismatch for {problem} in {self.source!r}")
        self.skipped.append(problem)

    def plan_layer(
        self, layer: Layer, entries: list[Entry], datasets: list[h5py.Dataset], where: str
    ) -> None:
        """Arrays for ``layer.set_weights`` (its own order); ``None`` keeps a skipped weight."""
        position = {id(tensor): i for i, (tensor, _) in enumerate(layer._weight_entries())}
        values: list[np.ndarray | None] = [None] * len(position)
        for (tensor, layout), dataset in zip(entries, datasets):
            if self.shape_fits(tensor, layout, dataset, where):
                values[position[id(tensor)]] = self.read(dataset)
        self.layer_plans.append((layer, values))

    def shape_fits(self, tensor: torch.Tensor, layout: Any, dataset: h5py.Dataset, where: str) -> bool:
        expected = tuple(layouts.to_keras(tensor, layout).shape)
        received = tuple(dataset.shape)
        if expected == received:
            return True
        weight = getattr(tensor, "path", None) or dataset.name
        problem = (
            f"{where}, weight {weight!r}: the model expects shape {expected}, the file holds "
            f"{dataset.name!r} with shape {received}"
        )
        if not self.skip_mismatch:
            raise ValueError(f"Shape mismatch in {self.source!r} for {problem}")
        self.skipped.append(problem)
        return False

    # ------------------------------------------------------------------ applying

    def apply(self, *, stacklevel: int) -> None:
        """Warn about what was skipped, then copy every planned array into the model."""
        if self.skipped:
            warnings.warn(
                f"Loading {self.source!r} (skip_mismatch=True) skipped: " + "; ".join(self.skipped),
                stacklevel=stacklevel,
            )
        for layer, values in self.layer_plans:
            if all(value is None for value in values):
                continue
            if any(value is None for value in values):
                current = layer.get_weights()
                values = [c if v is None else v for v, c in zip(values, current)]
            layer.set_weights(values)
        with torch.no_grad():
            for tensor, layout, array in self.own_plan:
                value = torch.from_numpy(np.ascontiguousarray(array)).to(tensor.dtype)
                tensor.copy_(layouts.to_stored(value, layout))

    # ------------------------------------------------------------------ reading

    def layer_names(self) -> list[str]:
        return _names(self.group, "layer_names")

    def layer_group(self, name: str) -> h5py.Group:
        found = self.group.get(name)
        if not isinstance(found, h5py.Group):
            raise ValueError(  # noqa: TRY004 - the file's content, not an argument, is wrong
                f"{self.source!r} is damaged: it lists layer {name!r} but has no group for it"
            )
        return found

    def datasets(self, layer_name: str) -> list[h5py.Dataset]:
        group = self.layer_group(layer_name)
        found = []
        for weight_name in _names(group, "weight_names"):
            dataset = group.get(weight_name)
            if not isinstance(dataset, h5py.Dataset):
                raise ValueError(  # noqa: TRY004 - the file's content is wrong
                    f"{self.source!r} is damaged: layer {layer_name!r} lists weight "
                    f"{weight_name!r} but holds no dataset for it"
                )
            found.append(dataset)
        return found

    def read(self, dataset: h5py.Dataset) -> np.ndarray:
        if dataset.dtype.kind not in "biuf":
            raise ValueError(
                f"{self.source!r}: {dataset.name!r} holds {dataset.dtype} data, not numbers"
            )
        try:
            return np.asarray(dataset[()])
        except (OSError, KeyError, ValueError, TypeError) as error:
            raise ValueError(
                f"Cannot read {dataset.name!r} from {self.source!r}: the file is damaged ({error})"
            ) from error


# ---------------------------------------------------------------------- helpers


def _json_attribute(file: h5py.File, name: str, source: str) -> Any:
    text = file.attrs.get(name)
    if text is None:
        return None
    if isinstance(text, bytes):
        text = text.decode("utf8")
    try:
        return json.loads(str(text))
    except json.JSONDecodeError as error:
        raise ValueError(f"{source!r}: the attribute {name!r} is damaged JSON ({error})") from error


_MODEL_CLASSES = ("Functional", "Model", "Sequential")
_ARGUMENT_MODULES = (
    ("_initializer", "keras.initializers"),
    ("_regularizer", "keras.regularizers"),
    ("_constraint", "keras.constraints"),
)


def _module_for(key: str, default: str) -> str:
    for suffix, module in _ARGUMENT_MODULES:
        if key.endswith(suffix):
            return module
    return default


def _keras3_node(node: Any) -> Any:
    """Keras 2's node ``[[layer, node index, tensor index, kwargs], ...]`` as Keras 3's."""
    if not isinstance(node, list) or not all(isinstance(item, list) for item in node) or not node:
        return node
    references = [
        {"class_name": "__keras_tensor__", "config": {"keras_history": list(item[:3])}}
        for item in node
    ]
    kwargs = node[0][3] if len(node[0]) > 3 and isinstance(node[0][3], dict) else {}
    return {"args": references[:1] if len(references) == 1 else [references], "kwargs": kwargs}


def _has_optimizer_slots(file: h5py.File) -> bool:
    """Whether the file holds optimizer state beyond the step count and learning rate."""
    group = file.get("optimizer_weights")
    if not isinstance(group, h5py.Group):
        return False
    counters = {"iter", "iteration", "iterations", "learning_rate"}
    return any(
        name.rsplit("/", 1)[-1].split(":")[0] not in counters
        for name in _names(group, "weight_names")
    )


def _compile_arguments(training: Any, custom_objects: dict[str, Any] | None) -> dict[str, Any]:
    """``compile``'s arguments from a legacy ``training_config``."""
    if not isinstance(training, dict):
        raise ValueError(  # noqa: TRY004 - the file's content, not an argument, is wrong
            f"load_model: the training config is not a dict: {training!r}"
        )

    def rebuilt(key: str, module: str) -> Any:
        return serialization_lib.deserialize_keras_object(
            keras3_config(training.get(key), module), custom_objects=custom_objects
        )

    return {
        "optimizer": rebuilt("optimizer_config", "keras.optimizers"),
        "loss": rebuilt("loss", "keras.losses"),
        "metrics": rebuilt("metrics", "keras.metrics"),
        "weighted_metrics": rebuilt("weighted_metrics", "keras.metrics"),
        "loss_weights": training.get("loss_weights"),
    }


def _weights_group(file: h5py.File, source: str) -> h5py.Group:
    """The group holding ``layer_names``: the root, or a whole-model file's ``model_weights``."""
    if "layer_names" not in file.attrs and _MODEL_WEIGHTS in file:
        group = file[_MODEL_WEIGHTS]
        if isinstance(group, h5py.Group):
            return group
    if "layer_names" not in file.attrs and "layer_names0" not in file.attrs:
        hint = ""
        if "vars" in file or "layers" in file or "_layer_checkpoint_dependencies" in file:
            hint = (
                " It looks like a Keras 3 weights file: give it a name ending in .weights.h5 "
                "to load it."
            )
        raise ValueError(
            f"load_weights: {source!r} is not a legacy Keras .h5 weights file (it has no "
            f"'layer_names' attribute, at the root or in '{_MODEL_WEIGHTS}').{hint}"
        )
    return file


def _names(group: h5py.Group, name: str) -> list[str]:
    """A list of names stored as an attribute, or split over ``name0``, ``name1``... as
    Keras does when it exceeds HDF5's header limit."""
    if name in group.attrs:
        return _decoded(group.attrs[name])
    names: list[str] = []
    chunk = 0
    while f"{name}{chunk}" in group.attrs:
        names += _decoded(group.attrs[f"{name}{chunk}"])
        chunk += 1
    return names


def _decoded(values: Iterable[Any]) -> list[str]:
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in np.atleast_1d(values)]


def _layers(model: Layer) -> list[Layer]:
    layers = getattr(model, "layers", None)
    if layers is None:
        return [layer for layer in model.children() if isinstance(layer, Layer)]
    return list(layers)


def _check_built(model: Layer) -> None:
    for name, tensor in list(model.named_parameters()) + list(model.named_buffers()):
        if is_lazy(tensor):
            raise ValueError(
                f"Cannot load weights into model {model.name!r}: it is not built yet (weight "
                f"{name!r} has no shape). Build the model first: call it on data, call "
                "model.build(input_shape), or start it with keras.Input(...)."
            )
    if not model._weight_entries() and not getattr(model, "built", True):
        raise ValueError(
            f"Cannot load weights into model {model.name!r}: it is not built yet. Build it "
            "first: call it on data, call model.build(input_shape), or start it with "
            "keras.Input(...)."
        )


def _is_trainable(tensor: torch.Tensor) -> bool:
    return isinstance(tensor, nn.Parameter) and tensor.requires_grad


def _shapes(entries: list[Entry]) -> list[tuple[int, ...]]:
    return [tuple(layouts.to_keras(tensor, layout).shape) for tensor, layout in entries]


def _short(items: list[Any], limit: int = 12) -> str:
    if len(items) <= limit:
        return str(items)
    return f"{items[:limit]} ... ({len(items) - limit} more)"
