"""Softmax and sigmoid outputs trained from their logits, as tf.keras did.

A model ending in ``Dense(n, activation="softmax")`` and compiled with a categorical
crossentropy computes ``softmax``, clips it and takes its log, and backpropagates through
all three. From the logits the same loss is one ``log_softmax``: fewer kernels, and no
gradient lost where a probability was clipped. During a training step such an output layer
returns its logits; the loss takes them (``from_logits=True``), and the metrics get the
probabilities, computed without autograd. Evaluation, prediction and any other call are
untouched: the layer emits logits only while the trainer's step runs. Metrics that only
take the argmax (``accuracy`` for such an output) read the logits: no softmax at all.

When every target a ``fit`` trains a categorical crossentropy on is exactly one-hot
(checked once, on the whole arrays), the loss takes the class indices instead: the same
value as against the one-hot rows, from torch's cheaper class-index kernel. Soft targets,
label smoothing and data that arrives batch by batch (generators, datasets) keep the
one-hot form.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from torchseq import activations
from torchseq.layers.core import Activation, Dense
from torchseq.layers.layer import Layer
from torchseq.losses import crossentropy
from torchseq.losses.loss import LossFunctionWrapper
from torchseq.metrics import accuracy

__all__ = ["FusedOutput", "one_hot_targets", "plan", "probabilities"]

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
_ROWS_PER_CHECK = 65_536


class FusedOutput:
    """One output trained from its logits: the layer that makes it, its activation, and
    whether its metrics need the probabilities (argmax accuracies read the logits alike).

    ``one_hot`` is set while a ``fit`` whose targets for this output are all one-hot runs
    (see :func:`one_hot_targets`); the categorical loss then takes class indices.
    """

    def __init__(
        self, index: int, layer: Layer, activation: Callable[..., Any], for_metrics: bool
    ) -> None:
        self.index = index
        self.layer = layer
        self.activation = activation
        self.for_metrics = for_metrics
        self.takes_indices = False  # its loss is a categorical crossentropy, unsmoothed
        self.one_hot = False
        self.logits_loss: Any = None  # the loss of the logits (see plan)

    def loss(self, y_true: torch.Tensor, logits: torch.Tensor, sample_weight: Any) -> torch.Tensor:
        """The output's loss from its logits. One-hot targets with no sample weight or mask
        take one call of torch's class-index crossentropy, averaged over the batch as the
        loss's ``"sum_over_batch_size"`` reduction does."""
        loss = self.logits_loss
        if (
            self.one_hot
            and sample_weight is None
            and loss.reduction in ("sum_over_batch_size", "mean")
            and logits.dtype == loss._dtype
            and getattr(logits, "_keras_mask", None) is None
        ):
            return F.cross_entropy(logits, y_true.argmax(-1))
        return loss(y_true, logits, sample_weight)

    def categorical_crossentropy(
        self, y_true: torch.Tensor, y_pred: torch.Tensor, **options: Any
    ) -> torch.Tensor:
        """The categorical crossentropy of logits: through class indices while the targets
        are known to be one-hot."""
        if self.one_hot:
            return F.cross_entropy(y_pred, y_true.argmax(-1), reduction="none")
        return crossentropy.categorical_crossentropy(y_true, y_pred, **options)


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
        output = FusedOutput(index, layer, layer.activation, for_metrics)
        output.logits_loss = logits_loss
        if loss.fn is crossentropy.categorical_crossentropy and not loss._fn_kwargs.get(
            "label_smoothing"
        ):
            output.takes_indices = True
            logits_loss.fn = output.categorical_crossentropy
        fused.append(output)
        logits_entries.append((index, output.loss if output.takes_indices else logits_loss, weight))
    return fused, logits_entries


@contextlib.contextmanager
def one_hot_targets(fused: list[FusedOutput], targets: list[Any]) -> Iterator[None]:
    """Train the block on ``targets`` (per output, the whole arrays ``fit`` was given, or
    ``None``): outputs whose targets are all exactly one-hot take class indices."""
    saved = [output.one_hot for output in fused]
    for output in fused:
        output.one_hot = output.takes_indices and _all_one_hot(targets[output.index])
    try:
        yield
    finally:
        for output, one_hot in zip(fused, saved):
            output.one_hot = one_hot


def _all_one_hot(target: Any) -> bool:
    """Whether ``target`` is a 2-D float array whose rows each hold one 1 and zeros (checked
    a block of rows at a time, so a large array needs no temporaries of its own size)."""
    if isinstance(target, torch.Tensor):
        if target.ndim != 2 or not target.is_floating_point():
            return False
    elif not isinstance(target, np.ndarray) or target.ndim != 2 or target.dtype.kind != "f":
        return False
    with torch.no_grad():
        for start in range(0, len(target), _ROWS_PER_CHECK):
            rows = target[start : start + _ROWS_PER_CHECK]
            if not (bool(((rows == 0) | (rows == 1)).all()) and bool((rows.sum(-1) == 1).all())):
                return False
    return True


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
