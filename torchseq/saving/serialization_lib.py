"""Objects to Keras's config dicts and back, resolving names without running stored code.

Keras 3 describes an object as ``{"module", "class_name", "config", "registered_name"}``
(plus ``"build_config"`` / ``"compile_config"`` for layers and models). Loading looks a
``class_name`` up only among torchseq's public classes and functions (the namespace chosen
from the Keras ``module`` the config names), registered objects and ``custom_objects``;
a config that names any other module is refused. Python code stored in a file (a
``Lambda``'s bytecode) is rebuilt only outside safe mode.
"""

from __future__ import annotations

import base64
import builtins
import importlib
import inspect
import marshal
import threading
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import Self

import numpy as np
import torch

from torchseq import config
from torchseq.saving import object_registration

__all__ = [
    "SafeModeScope",
    "deserialize_keras_object",
    "in_safe_mode",
    "serialize_keras_object",
]

# Keras's namespaces and torchseq's, most specific first: a config's ``module`` picks the
# namespace its class is looked up in (``keras.src.backend.torch.optimizers.torch_adam``
# is an optimizer).
_NAMESPACES = (
    ("applications", "keras.applications", "torchseq.applications.saved_layers"),
    ("schedules", "keras.optimizers.schedules", "torchseq.optimizers.schedules"),
    ("optimizers", "keras.optimizers", "torchseq.optimizers"),
    ("initializers", "keras.initializers", "torchseq.initializers"),
    ("regularizers", "keras.regularizers", "torchseq.regularizers"),
    ("constraints", "keras.constraints", "torchseq.constraints"),
    ("losses", "keras.losses", "torchseq.losses"),
    ("metrics", "keras.metrics", "torchseq.metrics"),
    ("activations", "keras.activations", "torchseq.activations"),
    ("models", "keras.models", "torchseq.models"),
    ("layers", "keras.layers", "torchseq.layers"),
)
_TRUSTED_PREFIXES = ("keras", "torchseq", "tf_keras")
# Keras's dtype policies; torchseq layers take the policy's dtype name.
_DTYPE_POLICIES = ("DTypePolicy", "FloatDTypePolicy")
# What a Lambda's code may refer to when it is rebuilt outside safe mode.
_LAMBDA_GLOBALS_MODULES = {"keras": "torchseq", "K": "torchseq.backend", "ops": "torchseq.ops"}

_state = threading.local()


# ---------------------------------------------------------------------- safe mode


class SafeModeScope:
    """Within the block, loading refuses (``True``) or allows (``False``) stored code."""

    def __init__(self, safe_mode: bool | None = True) -> None:
        self.safe_mode = safe_mode
        self._saved: bool | None = None

    def __enter__(self) -> Self:
        self._saved = getattr(_state, "safe_mode", None)
        _state.safe_mode = self.safe_mode
        return self

    def __exit__(self, *exc_info: object) -> None:
        _state.safe_mode = self._saved


def in_safe_mode() -> bool | None:
    """``True``/``False`` inside a :class:`SafeModeScope`, ``False`` after
    ``config.enable_unsafe_deserialization()``, else ``None`` (the caller's default)."""
    scoped = getattr(_state, "safe_mode", None)
    if scoped is not None:
        return scoped
    return False if config.unsafe_deserialization_enabled() else None


def _resolve_safe_mode(safe_mode: bool | None) -> bool:
    if config.unsafe_deserialization_enabled():
        return False
    scoped = getattr(_state, "safe_mode", None)
    if scoped is not None:
        return scoped
    return True if safe_mode is None else bool(safe_mode)


# ---------------------------------------------------------------------- serialize


def serialize_keras_object(obj: Any) -> Any:
    """Keras's config for ``obj``: plain values as they are, objects as config dicts.

    Layers and models carry ``build_config`` (and a compiled model ``compile_config``);
    torchseq's public classes are attributed to Keras's modules (``keras.layers``...), so
    Keras reads the result as its own.
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        values = [serialize_keras_object(value) for value in obj]
        return tuple(values) if isinstance(obj, tuple) else values
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(), "dtype": str(obj.dtype)}}
    if isinstance(obj, torch.dtype):
        return str(obj).removeprefix("torch.")
    if isinstance(obj, torch.Tensor):
        value = obj.detach().cpu()
        return {
            "class_name": "__tensor__",
            "config": {"value": value.tolist(), "dtype": str(value.dtype).removeprefix("torch.")},
        }
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(obj, types.FunctionType) and obj.__name__ == "<lambda>":
        return {"class_name": "__lambda__", "config": dump_function(obj)}
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return _serialize_function(obj)
    return _serialize_instance(obj)


def _serialize_function(fn: Any) -> dict[str, Any]:
    public = _public_namespace_of(fn, fn.__name__)
    if public is not None:
        return {"module": public, "class_name": "function", "config": fn.__name__,
                "registered_name": fn.__name__}
    return {
        "module": fn.__module__,
        "class_name": "function",
        "config": fn.__name__,
        "registered_name": object_registration.get_registered_name(fn),
    }


def _serialize_instance(obj: Any) -> dict[str, Any]:
    from torchseq.layers.layer import Layer

    if isinstance(obj, Layer):
        from torchseq.layers.serialization import serialize_layer

        result = serialize_layer(obj)
    else:
        if not hasattr(obj, "get_config"):
            raise TypeError(
                f"Cannot serialize {obj!r} of type {type(obj).__name__}: it has no "
                "get_config() method"
            )
        cls = type(obj)
        public = _public_namespace_of(cls, cls.__name__)
        result = {
            "module": public or cls.__module__,
            "class_name": cls.__name__,
            "config": serialize_keras_object(obj.get_config()),
            "registered_name": None if public else object_registration.get_registered_name(cls),
        }
    compile_config = getattr(obj, "get_compile_config", lambda: None)()
    if compile_config is not None:
        result["compile_config"] = serialize_keras_object(compile_config)
    return result


def _public_namespace_of(obj: Any, name: str) -> str | None:
    """The Keras module a public torchseq object is attributed to, or ``None``."""
    for _, keras_module, package in _NAMESPACES:
        namespace = importlib.import_module(package)
        if name in getattr(namespace, "__all__", ()) and getattr(namespace, name) is obj:
            return keras_module
    return None


# ---------------------------------------------------------------------- deserialize


def deserialize_keras_object(
    config: Any,
    custom_objects: dict[str, Any] | None = None,
    safe_mode: bool | None = True,
    **kwargs: Any,
) -> Any:
    """Rebuild what :func:`serialize_keras_object` (or Keras) described.

    Args:
        config: A plain value, a list, or a config dict.
        custom_objects: ``{name: class_or_function}`` for objects that are not torchseq's.
        safe_mode: Refuse Python code stored in the config (a lambda). Defaults to ``True``.

    Raises:
        ValueError: For a class or function that is neither torchseq's, registered, nor in
            ``custom_objects`` (the message names it and says how to register it), for a
            config naming another module, and for a lambda in safe mode.
    """
    safe = _resolve_safe_mode(safe_mode)
    with object_registration.CustomObjectScope(custom_objects), SafeModeScope(safe):
        return _deserialize(config)


def _deserialize(config: Any) -> Any:
    if config is None or isinstance(config, (bool, int, float, str)):
        return config
    if isinstance(config, (list, tuple)):
        return [_deserialize(value) for value in config]
    if not isinstance(config, dict):
        raise TypeError(f"Cannot deserialize {config!r} of type {type(config).__name__}")
    if "class_name" not in config or "config" not in config:
        return {key: _deserialize(value) for key, value in config.items()}
    class_name = config["class_name"]
    inner = config["config"] if config["config"] is not None else {}
    special = _SPECIAL.get(class_name)
    if special is not None:
        return special(inner)
    if not isinstance(class_name, str):
        raise ValueError(  # noqa: TRY004 - a malformed config, as from a damaged file
            f"A config's class_name must be a string, received: {class_name!r}"
        )
    if class_name == "function":
        return _resolve_function(config)
    if class_name in _DTYPE_POLICIES and _is_trusted(config.get("module")):
        return inner.get("name")
    cls = resolve_class(config)
    if not hasattr(cls, "from_config"):
        raise TypeError(f"{class_name!r} resolves to {cls!r}, which has no from_config()")
    instance = cls.from_config(inner)
    build_config = config.get("build_config")
    if build_config and not getattr(instance, "built", True):
        instance.build_from_config(build_config)
    compile_config = config.get("compile_config")
    if compile_config and hasattr(instance, "compile_from_config"):
        instance.compile_from_config(compile_config)
    return instance


def resolve_class(config: dict[str, Any]) -> Any:
    """The class a config dict names: a custom object, or torchseq's public class."""
    class_name = config["class_name"]
    custom = _custom_object(class_name, config.get("registered_name"))
    if custom is not None:
        return custom
    module = config.get("module")
    if _is_trusted(module):
        if class_name == "Functional":
            from torchseq.models import Model

            return Model
        if ".ops" in module:  # keras.src.ops.numpy: a keras.ops call in a Functional graph
            from torchseq.layers.operation import operation_class

            operation = operation_class(class_name)
            if operation is not None:
                return operation
        found = _find_public(class_name, module)
        if found is not None and inspect.isclass(found):
            return found
    raise ValueError(_unknown_message(class_name, module, "class"))


def _resolve_function(config: dict[str, Any]) -> Any:
    name = config["config"]
    if not isinstance(name, str):
        raise ValueError(  # noqa: TRY004 - a malformed config, as from a damaged file
            f"A function's config must be its name, received: {name!r}"
        )
    custom = _custom_object(name, config.get("registered_name"))
    if custom is not None:
        return custom
    module = config.get("module")
    # Keras writes its own functions as module "builtins" (a Lambda's keras.activations.relu):
    # only torchseq's public functions of that name are looked up, never Python's builtins.
    if _is_trusted(module) or module == "builtins":
        found = _find_public(name, module)
        if found is not None and callable(found) and not inspect.isclass(found):
            return found
    raise ValueError(_unknown_message(name, module, "function"))


def _custom_object(class_name: str, registered_name: Any) -> Any:
    for name in (registered_name, class_name):
        if isinstance(name, str):
            found = object_registration.get_registered_object(name)
            if found is not None:
                return found
    return None


def _is_trusted(module: Any) -> bool:
    return isinstance(module, str) and module.split(".")[0] in _TRUSTED_PREFIXES


def _find_public(name: str, module: str) -> Any:
    """``name`` among the public names of the torchseq namespace ``module`` points at (or of
    every namespace, for a module that names none, such as ``keras``)."""
    parts = module.split(".")
    chosen = [package for key, _, package in _NAMESPACES if key in parts]
    for package in chosen[:1] or [package for _, _, package in _NAMESPACES] + ["torchseq"]:
        namespace = importlib.import_module(package)
        if name in getattr(namespace, "__all__", ()):
            return getattr(namespace, name)
    return None


def _unknown_message(name: str, module: Any, kind: str) -> str:
    where = f"{module}.{name}" if module else name
    return (
        f"Refused to load {kind} {where!r}: it is none of torchseq's public objects "
        "(loading never imports other modules), not registered, and not in custom_objects. "
        f"If it is your own {kind}, pass custom_objects={{{name!r}: {name}}} to the loading "
        "function or decorate it with @keras.saving.register_keras_serializable()."
    )


# ---------------------------------------------------------------------- special values


def _load_lambda(inner: dict[str, Any]) -> Any:
    if _resolve_safe_mode(None):
        raise ValueError(
            "Refused to load a Python lambda stored in the file: rebuilding it runs code from "
            "the file. If you trust the file, pass safe_mode=False to the loading function, "
            "or call keras.config.enable_unsafe_deserialization()."
        )
    return load_function(inner)


def dump_function(fn: types.FunctionType) -> dict[str, Any]:
    """A lambda as Keras stores it: base64 bytecode, defaults and closure values."""
    closure = tuple(cell.cell_contents for cell in fn.__closure__) if fn.__closure__ else None
    return {
        "code": base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii"),
        "defaults": fn.__defaults__,
        "closure": closure,
    }


def load_function(inner: dict[str, Any]) -> types.FunctionType:
    """Rebuild a function stored by :func:`dump_function` (or by Keras); runs no code yet."""
    code = marshal.loads(base64.decodebytes(inner["code"].encode("ascii")))
    defaults = inner.get("defaults")
    closure = inner.get("closure")
    cells = tuple(types.CellType(value) for value in closure) if closure else None
    names = {name: importlib.import_module(module) for name, module in _LAMBDA_GLOBALS_MODULES.items()}
    names.update(torch=torch, np=np, __builtins__=builtins)
    return types.FunctionType(
        code, names, code.co_name, tuple(defaults) if defaults else None, cells
    )


def _keras_tensor(inner: dict[str, Any]) -> Any:
    from torchseq.layers.symbolic import KerasTensor

    tensor = KerasTensor(tuple(inner["shape"]), inner.get("dtype"))
    tensor.keras_history = inner.get("keras_history")
    return tensor


_SPECIAL = {
    "__tuple__": lambda inner: tuple(_deserialize(inner["value"])),
    "__numpy__": lambda inner: np.array(inner["value"], dtype=inner["dtype"]),
    "__tensor__": lambda inner: torch.tensor(
        inner["value"], dtype=config.standardize_dtype(inner["dtype"])
    ),
    "__bytes__": lambda inner: inner["value"].encode("utf-8"),
    "__ellipsis__": lambda inner: Ellipsis,
    "__slice__": lambda inner: slice(
        _deserialize(inner["start"]), _deserialize(inner["stop"]), _deserialize(inner["step"])
    ),
    "__lambda__": _load_lambda,
    "__keras_tensor__": _keras_tensor,
}
