"""``device``: a context that chooses where new weights and tensors are created.

``with keras.device("cuda:0"):`` makes torch's factory functions (``torch.empty``,
``torch.as_tensor``, ...) default to that device, through torch's own device context. Layer
weights are created by such functions, so a layer *created* inside the scope keeps its
weights there (torchseq declares a built-in layer's weights, empty, when the layer is
created; building gives them values on the same device), and so does a custom layer whose
``build`` runs inside it. Tensors given an explicit ``device=`` are not affected.

Keras spells GPUs ``"gpu"`` or ``"gpu:1"``; they mean ``"cuda"`` and ``"cuda:1"`` here.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import torch

__all__ = ["current_device", "device"]

_local = threading.local()


@contextlib.contextmanager
def device(device_name: str | torch.device) -> Iterator[torch.device]:
    """Create new weights and tensors on ``device_name`` inside the ``with`` block.

    Mirrors ``keras.device``. Nested scopes stack; leaving one restores the previous
    default, also when the block raises.

    Args:
        device_name: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, Keras's ``"gpu:0"``, or a
            ``torch.device``. The ``"meta"`` device is refused: weights need values.

    Yields:
        The ``torch.device`` chosen.

    Example:
        >>> import torchseq as keras
        >>> with keras.device("cpu"):
        ...     layer = keras.layers.Dense(2)
        ...     _ = layer(keras.ops.ones((1, 3)))
        >>> layer.kernel.device
        device(type='cpu')
    """
    chosen = _parse_device(device_name)
    stack = _stack()
    stack.append(chosen)
    try:
        with chosen:
            yield chosen
    finally:
        stack.pop()


def current_device() -> torch.device | None:
    """The device of the innermost open :func:`device` scope, or ``None`` outside them."""
    stack = _stack()
    return stack[-1] if stack else None


def _stack() -> list[torch.device]:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def _parse_device(device_name: str | torch.device) -> torch.device:
    if isinstance(device_name, torch.device):
        chosen = device_name
    elif isinstance(device_name, str):
        name = device_name.strip().lower().replace("gpu", "cuda")
        try:
            chosen = torch.device(name)
        except RuntimeError as error:
            raise ValueError(
                "device expected a device name such as 'cpu', 'cuda', 'cuda:1' or 'gpu:0', "
                f"received: device_name={device_name!r}"
            ) from error
    else:
        raise TypeError(
            "device expected a device name (str) or a torch.device, received: "
            f"device_name={device_name!r} of type {type(device_name).__name__}"
        )
    if chosen.type == "meta":
        raise ValueError(
            "device cannot be 'meta': weights created there would have no values; "
            f"received: device_name={device_name!r}"
        )
    return chosen
