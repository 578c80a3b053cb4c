"""Log dicts whose values may still live on the device, read only when someone reads them.

The trainer hands callbacks logs such as ``{"loss": tensor(0.31), "accuracy": tensor(0.9)}``
whose values are 0-d tensors, possibly on a GPU. Reading one (``float(value)``) waits for the
device, so callbacks read values only when they need them, through :func:`pythonify_logs`
or :func:`pythonify_value`. Tensors that sit on the same device with the same dtype are
read in one transfer.

Example:
    >>> import torch
    >>> pythonify_logs({"loss": torch.tensor(0.5), "acc": torch.tensor(1.0)})
    {'acc': 1.0, 'loss': 0.5}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

__all__ = ["flatten_logs", "pythonify_logs", "pythonify_value", "pythonify_values"]


def flatten_logs(logs: Mapping[str, Any] | None) -> dict[str, Any]:
    """Keys sorted, nested dicts merged in (as Keras does), values left untouched.

    Args:
        logs: A mapping of names to values, ``None`` meaning empty.

    Returns:
        A new dict; the values are the very objects of ``logs`` (nothing is read).
    """
    result: dict[str, Any] = {}
    if not logs:
        return result
    for key in sorted(logs):
        value = logs[key]
        if isinstance(value, Mapping):
            result.update(flatten_logs(value))
        else:
            result[key] = value
    return result


def pythonify_logs(logs: Mapping[str, Any] | None) -> dict[str, Any]:
    """The logs with keys sorted, nested dicts merged in, and values as Python floats.

    Scalars (0-d or one-element tensors and arrays, numpy and Python numbers) become
    ``float``; tensors with several elements become numpy arrays; anything else
    (strings, ``None``) is kept as is. This is Keras's ``pythonify_logs``, except that
    strings are never parsed as numbers.
    """
    flat = flatten_logs(logs)
    return dict(zip(flat, pythonify_values(list(flat.values()))))


def pythonify_value(value: Any) -> Any:
    """One log value as :func:`pythonify_logs` converts it."""
    return pythonify_values([value])[0]


def pythonify_values(values: list[Any]) -> list[Any]:
    """Several log values converted as :func:`pythonify_logs` does, with one read per device.

    Scalar tensors that share a device and a dtype are stacked and copied to the host
    together, so reading the logs costs one synchronisation per device, not one per value.
    """
    result = list(values)
    groups: dict[tuple[torch.device, torch.dtype], list[int]] = {}
    for index, value in enumerate(values):
        if isinstance(value, torch.Tensor):
            if value.numel() == 1 and not value.is_complex():
                groups.setdefault((value.device, value.dtype), []).append(index)
            else:
                result[index] = value.detach().cpu().numpy()
        else:
            result[index] = _python_scalar(value)
    for indices in groups.values():
        stacked = torch.stack([values[index].detach().reshape(()) for index in indices])
        for index, number in zip(indices, stacked.tolist()):
            result[index] = float(number)
    return result


def _python_scalar(value: Any) -> Any:
    if value is None or isinstance(value, (str, bytes)):
        return value
    if isinstance(value, np.ndarray):
        if value.size == 1 and not np.iscomplexobj(value):
            return float(value.reshape(()))
        return value
    if isinstance(value, complex) or np.iscomplexobj(value):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return value
