"""Resolve Keras-style identifiers (names, config dicts, classes, instances) to objects.

Shared by the modules whose ``get()`` follows Keras's rules for configurable
objects: initializers, regularizers, constraints (and any other module with a
table of classes). Activations have their own, simpler rules.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

__all__ = ["deserialize_object", "resolve_object", "serialize_object"]

_FUNCTION = "function"


def resolve_object(
    identifier: Any,
    *,
    kind: str,
    objects: Mapping[str, Any],
    custom_objects: Mapping[str, Any] | None = None,
) -> Any:
    """Turn an identifier into a ready-to-call object, following Keras's ``get()`` rules.

    Args:
        identifier: ``None`` (returned as is), a name from ``objects`` (a class
            found by name is instantiated with its defaults), a Keras config
            dict, a class (instantiated), or an instance / plain callable
            (returned as is).
        kind: What is being resolved, for error messages (``"initializer"``).
        objects: The built-in names, mapping to classes or functions.
        custom_objects: Extra names, searched before ``objects``.

    Returns:
        The resolved object, or ``None``.

    Raises:
        ValueError: For an unknown name or a malformed config dict.
        TypeError: For an identifier that is none of the above.
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize_object(
            identifier, kind=kind, objects=objects, custom_objects=custom_objects
        )
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(
        f"{kind} must be a string name, a config dict, a class, an instance or a callable, "
        f"received: {identifier!r} of type {type(identifier).__name__}"
    )


def deserialize_object(
    config: str | dict[str, Any],
    *,
    kind: str,
    objects: Mapping[str, Any],
    custom_objects: Mapping[str, Any] | None = None,
) -> Any:
    """Build an object from its name or its Keras config dict.

    A dict has the form ``{"class_name": ..., "config": {...}}`` (extra keys
    such as ``"module"`` and ``"registered_name"`` are ignored); the class is
    rebuilt with ``from_config``. ``{"class_name": "function", "config": name}``
    names a function, returned as is.
    """
    known = {**objects, **(custom_objects or {})}
    if isinstance(config, str):
        found = _lookup(config, kind=kind, known=known)
        return found() if inspect.isclass(found) else found
    if not isinstance(config, dict):
        raise TypeError(
            f"{kind} config must be a string or a dict, received: {config!r} "
            f"of type {type(config).__name__}"
        )
    class_name, inner = _split_config(config, kind=kind)
    if class_name == _FUNCTION:
        return _lookup(inner, kind=kind, known=known)
    cls = _lookup(class_name, kind=kind, known=known)
    if hasattr(cls, "from_config"):
        return cls.from_config(dict(inner))
    return cls(**inner)


def serialize_object(
    obj: Any, *, kind: str, module: str, objects: Mapping[str, Any]
) -> dict[str, Any] | None:
    """Describe an object as Keras does: ``{"module", "class_name", "config", "registered_name"}``.

    Built-in classes (those in ``objects``) are attributed to ``module`` (for
    example ``"keras.initializers"``) so that configs read the same as Keras's;
    plain functions give ``{"class_name": "function", "config": name}``; ``None``
    gives ``None``, so an unset option serialises as Keras writes it.

    Raises:
        TypeError: If ``obj`` has no ``get_config`` and is not a named function.
    """
    if obj is None:
        return None
    cls = type(obj)
    if hasattr(obj, "get_config"):
        builtin = cls in objects.values()
        return {
            "module": module if builtin else cls.__module__,
            "class_name": cls.__name__,
            "config": obj.get_config(),
            "registered_name": None if builtin else cls.__name__,
        }
    name = getattr(obj, "__name__", None)
    if callable(obj) and isinstance(name, str):
        return {
            "module": getattr(obj, "__module__", None),
            "class_name": _FUNCTION,
            "config": name,
            "registered_name": name,
        }
    raise TypeError(
        f"{kind} must have a get_config() method or be a named function to be serialized, "
        f"received: {obj!r} of type {cls.__name__}"
    )


def _lookup(name: Any, *, kind: str, known: Mapping[str, Any]) -> Any:
    if not isinstance(name, str) or name not in known:
        raise ValueError(f"Unknown {kind}: expected one of {sorted(known)}, received: {name!r}")
    return known[name]


def _split_config(config: dict[str, Any], *, kind: str) -> tuple[str, Any]:
    class_name = config.get("class_name")
    inner = config.get("config", {})
    if not isinstance(class_name, str) or (class_name != _FUNCTION and not isinstance(inner, dict)):
        raise ValueError(
            f"{kind} config dict must have a string 'class_name' and a dict 'config', "
            f"received: {config!r}"
        )
    return class_name, inner
