"""Layer configs in Keras's form, and layers rebuilt from them (never by running stored code).

``serialize_layer`` gives ``{"module", "class_name", "config", "registered_name"}`` as Keras
writes it, plus ``"build_config"`` for a built layer; ``deserialize_layer`` finds the class
among torchseq's public names (or in ``custom_objects``), calls its ``from_config`` and builds
the layer from the build config, so that a loader finds its weights in place.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from torchseq.layers.layer import Layer

__all__ = ["deserialize", "deserialize_layer", "serialize", "serialize_layer"]

# Where the public classes live, and the Keras module name their configs carry.
_PUBLIC_MODULES = (
    ("torchseq.layers", "keras.layers"),
    ("torchseq.models", "keras.models"),
    ("torchseq", "keras"),
    # The layers keras.applications' models hold, under the modules Keras writes for them.
    ("torchseq.applications.convnext", "keras.src.applications.convnext"),
    ("torchseq.applications.inception_resnet_v2", "keras.src.applications.inception_resnet_v2"),
)
# Models, written as Keras writes them: (module, class_name, registered_name).
_KERAS_MODEL_NAMES = {
    "Model": ("keras.src.models.functional", "Functional", "Functional"),
    "Sequential": ("keras", "Sequential", None),
}


def serialize_layer(layer: Layer, *, include_build_config: bool = True) -> dict[str, Any]:
    """Keras's ``{"module", "class_name", "config", "registered_name"}`` for a layer, with
    ``"build_config"`` when the layer is built.

    Args:
        layer: The layer.
        include_build_config: False for a layer inside another (a wrapped layer, an RNN's
            cell): the outer layer's build builds it, so its config reads the same built
            or not.
    """
    from torchseq.layers.operation import Operation

    if isinstance(layer, Operation):
        spec = layer.spec
        return {
            "module": spec.keras_module,
            "class_name": spec.class_name,
            "config": layer.get_config(),
            "registered_name": spec.class_name,
        }
    # Late: saving sits above the layers. Objects a get_config() of yours returns as they
    # are (a regularizer, a nested layer) become their configs, as Keras writes them.
    from torchseq.saving.serialization_lib import serialize_keras_object

    class_name = _class_name(type(layer))
    public_module = _public_module_of(type(layer), class_name)
    serialized = {
        "module": public_module or type(layer).__module__,
        "class_name": class_name,
        "config": serialize_keras_object(layer.get_config()),
        "registered_name": None if public_module else _registered_name(type(layer)),
    }
    if public_module and class_name in _KERAS_MODEL_NAMES:
        module, keras_class_name, registered_name = _KERAS_MODEL_NAMES[class_name]
        serialized.update(
            module=module, class_name=keras_class_name, registered_name=registered_name
        )
    build_config = layer.get_build_config() if include_build_config and layer.built else None
    if build_config is not None:
        serialized["build_config"] = build_config
    return serialized


def serialize(layer: Layer) -> dict[str, Any]:
    """A layer as Keras serializes it; mirrors ``keras.layers.serialize``.

    Returns:
        ``{"module", "class_name", "config", "registered_name"}``, plus ``"build_config"``
        (the input shapes) when the layer is built.

    Example:
        >>> from torchseq.layers import Dense
        >>> serialize(Dense(3))["class_name"]
        'Dense'
    """
    return serialize_layer(layer)


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Layer:
    """Rebuild a layer from :func:`serialize`'s output or a layer entry of a Keras config.

    Mirrors ``keras.layers.deserialize``. A ``"build_config"`` entry builds the layer.

    Args:
        config: The serialized layer.
        custom_objects: Optional ``{class name: class}`` for layers torchseq does not define.

    Example:
        >>> from torchseq.layers import Dense
        >>> deserialize(serialize(Dense(3))).units
        3
    """
    return deserialize_layer(config, custom_objects, owner="layers.deserialize")


def deserialize_layer(
    config: Any, custom_objects: dict[str, Any] | None = None, *, owner: str = "deserialize_layer"
) -> Layer:
    """Rebuild a layer from :func:`serialize_layer`'s output (a layer passes through).

    A ``"build_config"`` entry builds the layer, creating its weights.
    """
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
    from torchseq.saving import object_registration, serialization_lib

    with object_registration.CustomObjectScope(custom_objects):
        try:
            cls = serialization_lib.resolve_class(config)
        except ValueError as error:
            raise ValueError(f"{owner}: {error}") from None
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise TypeError(f"{owner}: {class_name!r} in the config names {cls!r}, not a Layer class")
    inner_config = dict(config.get("config", {}))
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        layer = cls.from_config(inner_config, custom_objects=custom_objects)  # a model's layers
    else:
        layer = cls.from_config(inner_config)
    if config.get("build_config"):
        layer.build_from_config(config["build_config"])
    return layer


def _class_name(cls: type) -> str:
    # SequentialModel is written as Keras's "Sequential".
    declared = cls.__dict__.get("type_name")
    return declared if isinstance(declared, str) else cls.__name__


def _public_module_of(cls: type, class_name: str) -> str | None:
    for package, keras_module in _PUBLIC_MODULES:
        if getattr(importlib.import_module(package), class_name, None) is cls:
            return keras_module
    return None


def _registered_name(cls: type) -> str:
    from torchseq.saving.object_registration import get_registered_name

    return get_registered_name(cls)
