"""Global settings, as ``keras.config``: float type, fuzz factor, image data format, and
the switches of logging, debugging limits and attention kernels.

The values are read by layers when they are created, so change them before building a
model. Two environment variables Keras reads are read here too, once, at import:
``KERAS_MAX_EPOCHS`` and ``KERAS_MAX_STEPS_PER_EPOCH`` (see :func:`set_max_epochs`).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

__all__ = [
    "backend",
    "disable_flash_attention",
    "disable_interactive_logging",
    "disable_traceback_filtering",
    "dtype_policy",
    "enable_flash_attention",
    "enable_interactive_logging",
    "enable_traceback_filtering",
    "enable_unsafe_deserialization",
    "epsilon",
    "floatx",
    "image_data_format",
    "is_flash_attention_enabled",
    "is_interactive_logging_enabled",
    "is_nnx_enabled",
    "is_traceback_filtering_enabled",
    "max_epochs",
    "max_steps_per_epoch",
    "set_backend",
    "set_dtype_policy",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "set_max_epochs",
    "set_max_steps_per_epoch",
    "standardize_dtype",
]

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_FLOAT_TYPES = ("float16", "bfloat16", "float32", "float64")
_DATA_FORMATS = ("channels_last", "channels_first")
_UNSAFE_DESERIALIZATION = False
_INTERACTIVE_LOGGING = True
_TRACEBACK_FILTERING = True
# Keras's three states: None (use flash attention where the kernel can), False (never).
_FLASH_ATTENTION: bool | None = None
_DTYPE_POLICY: str | None = None  # None: follow floatx


def enable_unsafe_deserialization() -> None:
    """Let loading rebuild Python code stored in files (a ``Lambda``'s function), from now
    on, as ``safe_mode=False`` does for one call. Only for files you trust."""
    global _UNSAFE_DESERIALIZATION
    _UNSAFE_DESERIALIZATION = True


def unsafe_deserialization_enabled() -> bool:
    """Whether :func:`enable_unsafe_deserialization` was called."""
    return _UNSAFE_DESERIALIZATION


def floatx() -> str:
    """Return the default float type as a string, e.g. ``"float32"``."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float type: one of float16, bfloat16, float32, float64."""
    global _FLOATX
    if value not in _FLOAT_TYPES:
        raise ValueError(f"floatx must be one of {list(_FLOAT_TYPES)}, received: {value!r}")
    _FLOATX = value


def epsilon() -> float:
    """Return the fuzz factor used in numeric expressions (default ``1e-7``)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Set the fuzz factor used in numeric expressions."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format() -> str:
    """Return the default image layout: ``"channels_last"`` or ``"channels_first"``."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    """Set the default image layout used by layers created afterwards."""
    global _IMAGE_DATA_FORMAT
    _IMAGE_DATA_FORMAT = standardize_data_format(data_format)


def standardize_data_format(data_format: str | None) -> str:
    """Resolve ``None`` to the global default and validate the value."""
    if data_format is None:
        return _IMAGE_DATA_FORMAT
    value = str(data_format).lower()
    if value not in _DATA_FORMATS:
        raise ValueError(
            f"data_format must be one of {list(_DATA_FORMATS)}, received: {data_format!r}"
        )
    return value


def standardize_dtype(dtype: str | torch.dtype | None) -> torch.dtype:
    """Turn a Keras dtype name, a numpy dtype or a torch dtype into a ``torch.dtype``."""
    if dtype is None:
        return getattr(torch, _FLOATX)
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype is float:
        return getattr(torch, _FLOATX)
    try:  # numpy dtypes and scalar types (np.float64), Python int/bool
        name = np.dtype(dtype).name
    except TypeError:
        name = getattr(dtype, "name", None) or str(dtype)
    name = name.removeprefix("torch.")
    resolved = getattr(torch, name, None)
    if not isinstance(resolved, torch.dtype):
        raise ValueError(  # noqa: TRY004 - an unknown name is a bad value
            f"Unknown dtype, expected a torch or Keras dtype name, received: {dtype!r}"
        )
    return resolved


def dtype_name(dtype: torch.dtype) -> str:
    """The Keras spelling of a torch dtype: ``torch.float32`` -> ``"float32"``."""
    return str(dtype).removeprefix("torch.")


# ---------------------------------------------------------------------- backend


def backend() -> str:
    """The name of the backend: always ``"torch"`` (``keras.config.backend()``)."""
    return "torch"


def set_backend(backend: str) -> None:
    """Accept ``"torch"``, the only backend torchseq runs on; refuse any other.

    Keras reloads itself on another backend; torchseq *is* the torch backend, so there is
    nothing to switch to.

    Args:
        backend: The backend name.
    """
    if backend != "torch":
        raise ValueError(
            "torchseq runs on PyTorch only, so the backend cannot be changed; expected "
            f"backend='torch', received: backend={backend!r}"
        )


def is_nnx_enabled() -> bool:
    """Whether Flax NNX features are on: always ``False`` (they belong to the JAX backend)."""
    return False


# ---------------------------------------------------------------------- logging


def enable_interactive_logging() -> None:
    """Write progress bars and callbacks' messages to ``sys.stdout`` (the default)."""
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = True


def disable_interactive_logging() -> None:
    """Send progress bars and callbacks' messages to Python ``logging`` instead of stdout.

    Each message becomes an ``INFO`` record of the ``"torchseq"`` logger (Keras uses
    ``absl.logging``), and progress bars write whole lines, never ``\\r``: the choice for
    jobs whose output goes to a log collector. Configure ``logging`` to see the records.
    """
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = False


def is_interactive_logging_enabled() -> bool:
    """Whether messages go to stdout (``True``, the default) or to ``logging``."""
    return _INTERACTIVE_LOGGING


def enable_traceback_filtering() -> None:
    """Accepted for Keras compatibility; torchseq never filters tracebacks.

    Keras hides its own frames from tracebacks; torchseq's stacks are short and are shown
    whole, so the switch is only remembered (see :func:`is_traceback_filtering_enabled`).
    """
    global _TRACEBACK_FILTERING
    _TRACEBACK_FILTERING = True


def disable_traceback_filtering() -> None:
    """Accepted for Keras compatibility; tracebacks are always shown whole."""
    global _TRACEBACK_FILTERING
    _TRACEBACK_FILTERING = False


def is_traceback_filtering_enabled() -> bool:
    """The value last set by the switches (default ``True``); it changes no traceback."""
    return _TRACEBACK_FILTERING


# ---------------------------------------------------------------------- attention


def enable_flash_attention() -> None:
    """Let attention layers use torch's flash-attention kernel where it can run (default).

    Whether it runs depends on the device, dtype (float16 / bfloat16) and inputs.
    """
    global _FLASH_ATTENTION
    _FLASH_ATTENTION = None


def disable_flash_attention() -> None:
    """Keep attention layers off the flash-attention kernel."""
    global _FLASH_ATTENTION
    _FLASH_ATTENTION = False


def is_flash_attention_enabled() -> bool | None:
    """``False`` after :func:`disable_flash_attention`; otherwise ``None``, Keras's "use it
    where possible" (layers pass it on as their ``flash_attention`` argument)."""
    return _FLASH_ATTENTION


# ---------------------------------------------------------------------- dtype policy


def dtype_policy() -> Any:
    """The global dtype policy (a ``DTypePolicy``): what layers created without ``dtype`` use.

    Until :func:`set_dtype_policy` is called it follows :func:`floatx`.
    """
    from torchseq.dtype_policies import DTypePolicy

    return DTypePolicy(_FLOATX if _DTYPE_POLICY is None else _DTYPE_POLICY)


def set_dtype_policy(policy: Any) -> None:
    """Set the global dtype policy: ``"float32"``, ``"bfloat16"``, ``"float16"``,
    ``"float64"``, ``"mixed_bfloat16"`` or ``"mixed_float16"``.

    Layers created afterwards without a ``dtype`` take it (see ``torchseq.dtype_policies``).

    Args:
        policy: A policy name, a ``DTypePolicy`` (torchseq's or Keras's) or its serialized
            config; ``None`` goes back to following :func:`floatx`.
    """
    global _DTYPE_POLICY
    if policy is None:
        _DTYPE_POLICY = None
        return
    from torchseq import dtype_policies

    _DTYPE_POLICY = dtype_policies.get(policy).name


# ---------------------------------------------------------------------- debugging limits


def max_epochs() -> int | None:
    """The cap on the epochs of every ``fit``, or ``None`` (no cap, the default)."""
    return _MAX_EPOCHS


def set_max_epochs(max_epochs: int | None) -> None:
    """Cap the number of epochs of every ``fit`` (a debugging aid).

    ``fit`` warns and trains at most this many epochs. The environment variable
    ``KERAS_MAX_EPOCHS`` sets the cap at import, to shorten a script without editing it.

    Args:
        max_epochs: A positive int, or ``None`` for no cap.
    """
    global _MAX_EPOCHS
    _MAX_EPOCHS = _check_limit("max_epochs", max_epochs)


def max_steps_per_epoch() -> int | None:
    """The cap on the steps of one epoch of ``fit``, ``evaluate`` and ``predict``, or ``None``."""
    return _MAX_STEPS_PER_EPOCH


def set_max_steps_per_epoch(max_steps_per_epoch: int | None) -> None:
    """Cap the steps of one epoch of every ``fit``, ``evaluate`` and ``predict`` (debugging).

    Each of them warns and runs at most this many batches per epoch. The environment
    variable ``KERAS_MAX_STEPS_PER_EPOCH`` sets the cap at import.

    Args:
        max_steps_per_epoch: A positive int, or ``None`` for no cap.
    """
    global _MAX_STEPS_PER_EPOCH
    _MAX_STEPS_PER_EPOCH = _check_limit("max_steps_per_epoch", max_steps_per_epoch)


def _check_limit(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(
            f"{name} must be a positive int or None, received: {name}={value!r} "
            f"of type {type(value).__name__}"
        )
    if value < 1:
        raise ValueError(f"{name} must be a positive int or None, received: {name}={value!r}")
    return int(value)


def _limit_from_environment(variable: str) -> int | None:
    text = os.environ.get(variable, "").strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError as error:
        raise ValueError(
            f"The environment variable {variable} must be a positive integer, received: {text!r}"
        ) from error
    # Keras reads 0 as "no limit".
    return value if value > 0 else None


_MAX_EPOCHS: int | None = _limit_from_environment("KERAS_MAX_EPOCHS")
_MAX_STEPS_PER_EPOCH: int | None = _limit_from_environment("KERAS_MAX_STEPS_PER_EPOCH")
