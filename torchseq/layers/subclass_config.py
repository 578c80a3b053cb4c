"""Configs of your own layers and models: the constructor's arguments, recorded when the
object is made.

Keras 3's rule: a layer or model subclass that does not write its own ``get_config`` is
described by the arguments its ``__init__`` received, provided they are plain values
(strings, numbers, booleans, ``None``, and lists or dicts of them). A subclass created with
anything else (a layer, a function) must define ``get_config`` and ``from_config`` to be
serializable.

Unlike Keras, a config is rebuilt even when ``__init__`` takes no ``name`` or ``trainable``:
those are set on the new object afterwards.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from torchseq.utils import tree

if TYPE_CHECKING:
    from torchseq.layers.layer import Layer

__all__ = [
    "has_functional_constructor",
    "record_init_arguments",
    "subclass_config",
    "subclass_from_config",
]

_PLAIN_TYPES = (str, int, float, bool, type(None))
_BASE_KEYS = ("name", "trainable", "dtype")
_FUNCTIONAL_PARAMETERS = ["inputs", "outputs", "name"]


def record_init_arguments(cls: type, args: tuple, kwargs: dict) -> tuple[dict | None, str | None]:
    """The arguments ``cls(*args, **kwargs)`` passes to ``__init__``, if a config can hold them.

    Returns:
        ``(arguments, None)`` (defaults filled in, ``name`` left out), or ``(None, why)``
        when they cannot be recorded; ``why`` is None when the call does not even bind.
    """
    signature = inspect.signature(cls.__init__)
    try:
        bound = signature.bind(None, *args, **kwargs)
    except TypeError:
        return None, None
    parameters = list(signature.parameters.values())[1:]
    if any(p.kind is inspect.Parameter.POSITIONAL_ONLY for p in parameters):
        return None, "its __init__ takes positional-only arguments"
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    arguments.pop(next(iter(signature.parameters)))
    for parameter in parameters:
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            if arguments.pop(parameter.name):
                return None, "it was created with variadic positional arguments (*args)"
        elif parameter.kind is inspect.Parameter.VAR_KEYWORD:
            arguments.update(arguments.pop(parameter.name))
    arguments.pop("name", None)
    for key, value in arguments.items():
        leaves = tree.flatten(value)
        if not all(isinstance(leaf, _PLAIN_TYPES) for leaf in leaves):
            return None, f"it was created with an argument a config cannot hold: {key}={value!r}"
    return arguments, None


def subclass_config(model: Layer, *, own_get_config: bool) -> dict[str, Any]:
    """The config of a subclassed layer or model: name and trainable, plus its recorded
    arguments.

    Args:
        model: The layer or model.
        own_get_config: Whether the subclass writes its own ``get_config`` (which then adds
            its arguments to this base config itself).

    Raises:
        NotImplementedError: The arguments cannot be recorded and the subclass writes no
            ``get_config``.
    """
    config = {"name": model.name, "trainable": model.trainable}
    if own_get_config:
        return config
    arguments, problem = getattr(model, "_init_arguments", (None, None))
    if arguments is not None:
        return {"name": model.name, **arguments, "trainable": model.trainable}
    if problem is None and not _takes_arguments(type(model)):
        return config
    reason = problem or "its constructor arguments could not be recorded"
    raise NotImplementedError(
        f"{_kind(type(model))} {type(model).__name__} cannot write its config: {reason}. Expected "
        "constructor arguments that are strings, numbers, booleans or None (or lists and "
        "dicts of them); otherwise define get_config() returning the arguments and, where "
        "__init__ needs objects rebuilt from them, from_config(cls, config)."
    )


def subclass_from_config(cls: type[Layer], config: dict[str, Any]) -> Layer:
    """``cls(**config)``, with ``name``/``trainable`` set afterwards if ``__init__`` lacks them.

    Raises:
        TypeError: The config does not fit ``__init__``.
    """
    if not isinstance(config, dict):
        raise TypeError(
            f"{cls.__name__}.from_config expects a dict, received: {config!r} of type "
            f"{type(config).__name__}"
        )
    parameters = dict(list(inspect.signature(cls.__init__).parameters.items())[1:])
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    arguments = {key: value for key, value in config.items() if takes_any or key in parameters}
    left = {key: value for key, value in config.items() if key not in arguments}
    unknown = [key for key in left if key not in _BASE_KEYS]
    if unknown:
        raise TypeError(
            f"Unable to rebuild {_kind(cls).lower()} {cls.__name__} from its config: __init__ takes no "
            f"argument(s) {unknown}; its parameters are {list(parameters)}. A get_config() "
            "that returns more than the constructor's arguments needs a matching "
            "from_config(cls, config)."
        )
    try:
        model = cls(**arguments)
    except TypeError as error:
        raise TypeError(
            f"Unable to rebuild {_kind(cls).lower()} {cls.__name__} from its config {config!r}: {error}. "
            "get_config() must return every argument __init__ needs, or the class must "
            "define from_config(cls, config)."
        ) from error
    if "name" in left:
        model.name = left["name"]
    if "trainable" in left:
        model.trainable = left["trainable"]
    return model


def _kind(cls: type) -> str:
    return "Model" if hasattr(cls, "fit") else "Layer"  # models carry the training API


def has_functional_constructor(cls: type) -> bool:
    """Whether ``cls(inputs=..., outputs=..., name=...)`` builds it, as for ``Model``."""
    spec = inspect.getfullargspec(cls.__init__)
    if spec.args[1:] == _FUNCTIONAL_PARAMETERS:
        return True
    return spec.varargs is not None and spec.varkw is not None


def _takes_arguments(cls: type) -> bool:
    """Whether ``__init__`` has parameters other than the base layer's ones."""
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return any(
        p.name not in _BASE_KEYS
        and p.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
        for p in parameters
    )
