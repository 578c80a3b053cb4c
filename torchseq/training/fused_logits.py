"""Softmax and sigmoid outputs trained from their logits, as tf.keras did.

A model ending in ``Dense(n, activation="softmax")`` and compiled with a categorical
crossentropy computes ``softmax``, clips it and takes its log, and backpropagates through
all three. From the logits the same loss is one ``log_softmax``: fewer kernels, and no
gradient lost where a probability was clipped. During a training step such an output layer
returns its logits; the loss takes them (``from_logits=True``), and the metrics get the
probabilities, computed without autograd. Evaluation, prediction and any other call are
untouched: the layer emits logits only while the trainer's step runs. Metrics that only
take the argmax (``accuracy`` for such an output) read the logits: no softmax at all.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch

from torchseq import activations
from torchseq.layers.core import Activation, Dense
from torchseq.layers.layer import Layer
from torchseq.losses import crossentropy
from torchseq.losses.loss import LossFunctionWrapper
from torchseq.metrics import accuracy

__all__ = ["FusedOutput", "plan"]

# An output activation and the losses that can take its logits instead.
_PAIRS: dict[Callable[..., Any], tuple[Callable[..., Any], ...]] = {
    activations.softmax: (
        crossentropy.categorical_crossentropy,
        crossentropy.sparse_categorical_crossentropy,
    ),
    activations.sigmoid: (crossentropy.binary_crossentropy,),
}
# Metrics that read only the largest score of each sample: the same from a softmax's
# logits as from its probabilities.
_ARGMAX_METRICS = (accuracy.categorical_accuracy, accuracy.sparse_categorical_accuracy)


class FusedOutput:
    """One output trained from its logits: the layer that makes it, its activation, and
    whether its metrics need the probabilities (argmax accuracies read the logits alike)."""

    def __init__(
        self, index: int, layer: Layer, activation: Callable[..., Any], for_metrics: bool
    ) -> None:
        self.index = index
        self.layer = layer
        self.activation = activation
        self.for_metrics = for_metrics


def plan(
    output_layers: list[Layer | None], entries: list[tuple], metric_entries: list[tuple]
) -> tuple[list[FusedOutput], list[tuple]]:
    """The outputs whose loss can take logits, and the loss entries that do.

    Args:
        output_layers: Per output, the layer whose activation makes it (``None`` where it
            is not one layer's own, unshared output).
        entries: The compiled ``(output index, loss, weight)`` entries.
        metric_entries: The built ``(output index, weighted, metric)`` entries.

    Returns:
        ``(fused outputs, entries with logits losses in their place)``.
    """
    fused, logits_entries = [], []
    for index, loss, weight in entries:
        layer = output_layers[index] if index < len(output_layers) else None
        logits_loss = _logits_loss(layer, loss)
        if logits_loss is None:
            logits_entries.append((index, loss, weight))
            continue
        metrics = [metric for output, _, metric in metric_entries if output == index]
        for_metrics = not all(getattr(m, "_fn", None) in _ARGMAX_METRICS for m in metrics)
        fused.append(FusedOutput(index, layer, layer.activation, for_metrics))
        logits_entries.append((index, logits_loss, weight))
    return fused, logits_entries


def _logits_loss(layer: Layer | None, loss: Any) -> Any:
    if type(layer) not in (Dense, Activation) or layer.activation not in _PAIRS:
        return None
    if not isinstance(loss, LossFunctionWrapper) or loss.fn not in _PAIRS[layer.activation]:
        return None
    options = loss._fn_kwargs
    if options.get("from_logits", False) or options.get("axis", -1) != -1:
        return None
    logits_loss = copy.copy(loss)
    logits_loss._fn_kwargs = {**options, "from_logits": True}
    return logits_loss


def probabilities(fused: list[FusedOutput], outputs: list[torch.Tensor]) -> list[torch.Tensor]:
    """The model's outputs for the metrics from the step's logits, without autograd: an
    output whose metrics only take the argmax keeps its logits (softmax keeps the order)."""
    outputs = list(outputs)
    with torch.no_grad():
        for output in fused:
            if output.for_metrics:
                outputs[output.index] = output.activation(outputs[output.index].detach())
    return outputs
