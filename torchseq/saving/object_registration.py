"""Custom objects: the classes and functions a loader may rebuild besides torchseq's own.

A saved config names every object by class name (and, for registered objects, by
``"package>name"``). Loading resolves those names only against torchseq's public API, the
objects registered with :func:`register_keras_serializable`, the ``custom_objects`` given to
the loader and those of an active :class:`CustomObjectScope`: nothing else is imported.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import Self

__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "register_keras_serializable",
]

_GLOBAL_CUSTOM_OBJECTS: dict[str, Any] = {}
_GLOBAL_CUSTOM_NAMES: dict[Any, str] = {}
_scope = threading.local()


class CustomObjectScope:
    """Makes custom classes and functions visible to loading code inside a ``with`` block.

    Mirrors ``keras.saving.CustomObjectScope`` (also ``custom_object_scope``).

    Args:
        custom_objects: ``{name: class_or_function}``; several dicts may be given.

    Example:
        >>> with custom_object_scope({"MyLayer": MyLayer}):
        ...     model = saving.load_model("model.keras")
    """

    def __init__(self, *custom_objects: dict[str, Any] | None) -> None:
        merged: dict[str, Any] = {}
        for objects in custom_objects:
            if objects is None:
                continue
            if not isinstance(objects, dict):
                raise TypeError(
                    "CustomObjectScope expects dicts of {name: object}, received: "
                    f"{objects!r} of type {type(objects).__name__}"
                )
            merged.update(objects)
        self.custom_objects = merged
        self._saved: dict[str, Any] | None = None

    def __enter__(self) -> Self:
        self._saved = _scope_objects()
        _scope.objects = {**self._saved, **self.custom_objects}
        return self

    def __exit__(self, *exc_info: object) -> None:
        _scope.objects = self._saved or {}


custom_object_scope = CustomObjectScope


def get_custom_objects() -> dict[str, Any]:
    """The global dict of registered objects; adding to it registers by plain name."""
    return _GLOBAL_CUSTOM_OBJECTS


def register_keras_serializable(
    package: str = "Custom", name: str | None = None
) -> Callable[[Any], Any]:
    """Decorator registering a class or function for loading as ``"package>name"``.

    Args:
        package: Namespace of the registration. Defaults to ``"Custom"``.
        name: Registered name; defaults to the object's ``__name__``.

    Example:
        >>> @register_keras_serializable(package="my_project")
        ... class Scale(keras.layers.Layer):
        ...     ...
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(
            f"register_keras_serializable: package must be a string without '>', received: "
            f"{package!r}"
        )

    def decorator(obj: Any) -> Any:
        object_name = name if name is not None else getattr(obj, "__name__", None)
        if not isinstance(object_name, str):
            raise TypeError(
                "register_keras_serializable: cannot tell the name of "
                f"{obj!r}; pass name=..."
            )
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"register_keras_serializable: class {obj.__name__} has no get_config(), so "
                "it cannot be saved; define get_config() (and from_config() if __init__ "
                "takes objects)"
            )
        registered_name = f"{package}>{object_name}"
        _GLOBAL_CUSTOM_OBJECTS[registered_name] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = registered_name
        return obj

    return decorator


def get_registered_name(obj: Any) -> str:
    """``"package>name"`` for a registered object, else its ``__name__``."""
    if obj in _GLOBAL_CUSTOM_NAMES:
        return _GLOBAL_CUSTOM_NAMES[obj]
    return obj.__name__


def get_registered_object(
    name: str, custom_objects: dict[str, Any] | None = None, module_objects: Any = None
) -> Any:
    """The object known as ``name`` to a scope, the registry, ``custom_objects`` or
    ``module_objects`` (in that order); ``None`` if none knows it."""
    for objects in (_scope_objects(), _GLOBAL_CUSTOM_OBJECTS, custom_objects, module_objects):
        if objects and name in objects:
            return objects[name]
    return None


def _scope_objects() -> dict[str, Any]:
    return getattr(_scope, "objects", {})
