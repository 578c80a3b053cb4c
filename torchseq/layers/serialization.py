"""Layer configs in Keras's form, and layers rebuilt from them (never by running stored code).

``serialize_layer`` gives ``{"module", "class_name", "config", "registered_name"}`` as Keras
writes it; ``deserialize_layer`` finds the class among torchseq's public names (or in
``custom_objects``) and calls its ``from_config``.
"""

from __future__ import annotations

import importlib
from typing import Any

from torchseq.layers.layer import Layer

__all__ = ["deserialize_layer", "serialize_layer"]

# Where the public classes live, and the Keras module name their configs carry.
_PUBLIC_MODULES = (
    ("torchseq.layers", "keras.layers"),
    ("torchseq.models", "keras.models"),
    ("torchseq", "keras"),
)


def serialize_layer(layer: Layer) -> dict[str, Any]:
    """Keras's ``{"module", "class_name", "config", "registered_name"}`` for a layer."""
    class_name = _class_name(type(layer))
    public_module = _public_module_of(type(layer), class_name)
    return {
        "module": public_module or type(layer).__module__,
        "class_name": class_name,
        "config": layer.get_config(),
        "registered_name": None if public_module else class_name,
    }


def deserialize_layer(
    config: Any, custom_objects: dict[str, Any] | None = None, *, owner: str = "deserialize_layer"
) -> Layer:
    """Rebuild a layer from :func:`serialize_layer`'s output (a layer passes through)."""
    if isinstance(config, Layer):
        return config
    if not isinstance(config, dict):
        raise TypeError(
            f"{owner}: a layer config must be a dict, received: {config!r} of type "
            f"{type(config).__name__}"
        )
    class_name = config.get("class_name")
    if not isinstance(class_name, str):
        raise TypeError(f"{owner}: a layer config needs a string 'class_name', received: {config!r}")
    cls = (custom_objects or {}).get(class_name) or _find_layer_class(
        class_name, config.get("module")
    )
    if cls is None:
        raise ValueError(
            f"{owner}: unknown layer class {class_name!r} in the config; pass it as "
            f"custom_objects={{{class_name!r}: {class_name}}}"
        )
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise TypeError(f"{owner}: {class_name!r} in the config names {cls!r}, not a Layer class")
    return cls.from_config(dict(config.get("config", {})))


def _class_name(cls: type) -> str:
    # SequentialModel is written as Keras's "Sequential".
    declared = cls.__dict__.get("type_name")
    return declared if isinstance(declared, str) else cls.__name__


def _public_module_of(cls: type, class_name: str) -> str | None:
    for package, keras_module in _PUBLIC_MODULES:
        if getattr(importlib.import_module(package), class_name, None) is cls:
            return keras_module
    return None


def _find_layer_class(class_name: str, module: Any) -> Any:
    packages = [package for package, _ in _PUBLIC_MODULES]
    # Only torchseq's own modules are imported: a config never chooses code to run.
    if isinstance(module, str) and module.startswith("torchseq."):
        packages.append(module)
    for package in packages:
        try:
            found = getattr(importlib.import_module(package), class_name, None)
        except ImportError:
            continue
        if found is not None:
            return found
    return None
