"""Stateful models in ``fit``/``evaluate``/``predict``: fixed batch sizes, no shuffling.

A stateful layer carries sample i of each batch into sample i of the next, so every batch
must have the layer's fixed batch size and the samples must keep their order.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from torchseq.training import data as data_module
from torchseq.utils import tree
from torchseq.utils.user_warnings import warn_user

__all__ = [
    "stateful_batch_size",
    "stateful_layer",
    "stateful_shuffle",
    "states_kept",
    "warn_not_shuffled",
]


def stateful_layer(model: Any) -> Any:
    """A layer of ``model`` with ``stateful=True`` (one whose batch size is known, if any)."""
    layers = [
        module
        for module in model.modules()
        if module is not model and getattr(module, "stateful", False) is True
    ]
    fixed = [layer for layer in layers if getattr(layer, "_batch_size", None)]
    return (fixed or layers or [None])[0]


@contextlib.contextmanager
def states_kept(model: Any) -> Iterator[None]:
    """Stateful layers keep the states they had (a look at the first batch carries none)."""
    kept = [
        (module, module._states)
        for module in model.modules()
        if getattr(module, "stateful", False) is True and hasattr(module, "_states")
    ]
    try:
        yield
    finally:
        for module, states in kept:
            module._states = states


def stateful_shuffle(x: Any, shuffle: Any) -> Any:
    """``shuffle`` for a stateful model: never across batches (it would mix up the states)."""
    shuffles = isinstance(shuffle, (bool, np.bool_)) and bool(shuffle) or shuffle == "batch"
    if not shuffles or not data_module.honours_shuffle(x):
        return shuffle  # nothing to turn off (a generator or loader orders itself)
    return False


def warn_not_shuffled(shuffle: Any) -> None:
    warn_user(
        f"fit: the model is stateful, so it was not shuffled (shuffle={shuffle!r} ignored): "
        "sample i of each batch continues the sequence of sample i of the batch before, "
        "and shuffling would hand each sample another sample's states. Pass shuffle=False "
        "to silence this warning."
    )


def stateful_batch_size(
    where: str,
    layer: Any,
    batch_size: int | None,
    parts: list[tuple[str, Any]],
    validation_batch_size: int | None = None,
) -> int | None:
    """The batch size for a stateful model: its fixed one, checked against the data.

    Every batch must have the layer's fixed batch size, so ``batch_size`` may only be that
    (``None`` means it) and each array part must hold a multiple of it. Data sources that
    batch themselves are left to the layer, which checks every batch it receives.

    Args:
        where: ``"fit"``, ``"evaluate"`` or ``"predict"``, for the messages.
        layer: A stateful layer of the model.
        batch_size: What the caller passed.
        parts: ``(description, data)`` pairs; ``data`` is ``x``, ``(x, y[, w])`` or ``None``.
        validation_batch_size: ``fit``'s argument, checked like ``batch_size``.

    Returns:
        The fixed batch size, or ``batch_size`` when the layer is not built yet.

    Raises:
        ValueError: For another batch size or a sample count that is no multiple.
    """
    fixed = getattr(layer, "_batch_size", None)
    if fixed is None:  # not built: the first batch will fix it
        return batch_size
    arguments = {"batch_size": batch_size, "validation_batch_size": validation_batch_size}
    for argument, value in arguments.items():
        if value is not None and value != fixed:
            raise ValueError(
                f"{where}: the model is stateful (layer {layer.name!r}) with a fixed batch "
                f"size of {fixed}, so every batch must have {fixed} samples; received: "
                f"{argument}={value}. Pass {argument}={fixed} or leave it None."
            )
    for what, data in parts:
        if data is None or not data_module.is_array_data(data):
            continue
        count = len(tree.flatten(data)[0])
        if count % fixed:
            fits = count - count % fixed
            hint = (
                f"trim it to a multiple of {fixed} ({fits} samples)"
                if fits
                else f"provide at least {fixed} samples"
            )
            raise ValueError(
                f"{where}: the model is stateful (layer {layer.name!r}) with a fixed batch "
                f"size of {fixed}, so the number of samples must be a multiple of {fixed}; "
                f"received: {what} with {count} samples (the last batch would have "
                f"{count % fixed}): {hint}."
            )
    return fixed
