"""Losses and metrics matched to a model's outputs, resolved once at ``compile``.

``compile(loss=..., metrics=..., loss_weights=...)`` accepts one object for a single
output, a list in output order, or a dict keyed by output name. ``OutputLosses`` and
``OutputMetrics`` turn those into flat per-output lists, build the Keras log names
(``loss``, ``age_loss``, ``income_accuracy``...), and do the per-step work on the device.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from torchseq import losses as losses_module
from torchseq import metrics as metrics_module
from torchseq.losses.registry import SHAPE_DEPENDENT_NAMES

__all__ = ["CompileState", "OutputLosses", "OutputMetrics", "per_output"]


@dataclasses.dataclass(eq=False)
class CompileState:
    """What ``compile`` resolved, and what the first batch of ``fit`` settled.

    A plain object rather than module attributes, so no metric or loss state enters the
    model's ``state_dict``.
    """

    arguments: dict[str, Any]  # compile()'s own arguments, for get_compile_config
    optimizer: Any
    loss: OutputLosses | None
    metrics: OutputMetrics
    output_names: list[str]
    jit_compile: bool
    # Settled when the optimizer is attached (at compile when built, else the first batch):
    parameters: list[torch.Tensor] | None = None  # the trainable weights the optimizer has
    constrained: bool = False  # some weight has a constraint, applied after each step
    regularized: bool = False  # the model adds losses (regularizers, add_loss)
    scales_loss: bool = False  # the optimizer scales the loss (loss_scale_factor, float16)
    # Settled by the first batch (the shapes again by data of other sample shapes):
    input_shapes: list[tuple] | None = None  # per input leaf, without the batch axis
    output_shapes: list[tuple] | None = None
    output_dtypes: list[torch.dtype] | None = None
    fused: list[Any] = dataclasses.field(default_factory=list)  # see fused_logits
    ready: bool = False
    runner: Any = None  # the StepRunner of the model as it is now (see step.make_runner)


def per_output(
    value: Any,
    output_names: list[str],
    what: str,
    *,
    broadcast: bool,
    lists_are_entries: bool = False,
) -> list[Any]:
    """Spread ``value`` (one object, a list, or a dict by output name) over the outputs.

    Serves ``compile`` (losses, loss weights, metrics) and ``fit`` (targets, sample weights).
    With ``broadcast``, a single object applies to every output (a loss, a sample weight);
    otherwise a single object is only accepted for a single output. With
    ``lists_are_entries``, a list for a single-output model is that output's entry (a list
    of metrics), not one entry per output.
    """
    count = len(output_names)
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(output_names))
        if unknown:
            raise ValueError(
                f"{what} has keys {unknown} that name no output; the model's outputs are "
                f"{output_names}"
            )
        return [value.get(name) for name in output_names]
    if isinstance(value, (list, tuple)) and not (lists_are_entries and count == 1):
        if len(value) != count:
            raise ValueError(
                f"{what} has {len(value)} entries, but the model has {count} outputs "
                f"{output_names}; give one per output, or a dict keyed by output name"
            )
        return list(value)
    if count == 1 or broadcast or value is None:
        return [value] * count
    raise ValueError(
        f"the model has {count} outputs {output_names}; give {what} as a list (one per "
        f"output) or a dict keyed by output name, received {value!r}"
    )


class LossTracker:
    """The batch-size-weighted mean of a loss over an epoch, as Keras's loss tracker.

    One device op per step (``total += value * batch_size``); the sample count is a Python
    number, so nothing is read back from the device.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.total = torch.zeros(())
        self.count = 0

    def update(self, value: torch.Tensor, batch_size: int) -> None:
        self.total.add_(value.detach(), alpha=batch_size)
        self.count += batch_size

    def update_state(self, value: Any, sample_weight: Any = None) -> None:
        """Keras's ``Mean.update_state``, for a ``train_step`` of yours: add ``value``
        weighted by ``sample_weight`` (1 by default)."""
        value = torch.as_tensor(value, dtype=self.total.dtype, device=self.total.device)
        self.update(value.mean(), 1 if sample_weight is None else sample_weight)

    def result(self) -> torch.Tensor:
        return self.total / self.count if self.count else self.total.clone()

    def reset_state(self) -> None:
        self.total.zero_()
        self.count = 0

    def to(self, device: torch.device) -> LossTracker:
        self.total = self.total.to(device)
        return self


class OutputLosses(nn.Module):
    """The weighted sum of per-output losses, plus the layers' regularization losses.

    With ``added_losses_only=True`` there may be no per-output loss at all: the total is
    then the sum of the losses the layers add (``add_loss``, regularizers), as Keras 3
    minimises them after ``compile(optimizer)`` without a loss.
    """

    def __init__(
        self,
        loss: Any,
        loss_weights: Any,
        output_names: list[str],
        *,
        added_losses_only: bool = False,
    ) -> None:
        super().__init__()
        self.output_names = output_names
        resolved = per_output(loss, output_names, "compile: loss", broadcast=True)
        weights = per_output(
            loss_weights, output_names, "compile: loss_weights", broadcast=False
        )
        self.entries: list[tuple[int, Callable[..., torch.Tensor], float]] = []
        for index, (identifier, weight) in enumerate(zip(resolved, weights)):
            if weight is not None and (
                isinstance(weight, bool) or not isinstance(weight, numbers.Real)
            ):
                raise TypeError(
                    f"compile: loss_weights must be numbers, received {weight!r} of type "
                    f"{type(weight).__name__} for output {output_names[index]!r}"
                )
            if identifier is None:
                continue
            # "crossentropy" is resolved from the shapes, on the first batch (check_targets).
            loss_fn = None if _needs_shapes(identifier) else losses_module.resolve(identifier)
            self.entries.append(
                (index, _as_keras_loss(loss_fn), 1.0 if weight is None else float(weight))
            )
        if not self.entries and not added_losses_only:
            raise ValueError("compile: a loss is needed to train; received loss=None")
        self.multi = len(output_names) > 1
        names = ["loss"] + (
            [f"{output_names[index]}_loss" for index, _, _ in self.entries] if self.multi else []
        )
        self.trackers = {name: LossTracker(name) for name in names}
        self.identifiers = resolved
        # The entries a training step uses when some outputs arrive as logits.
        self.logits_entries = self.entries

    def forward(
        self,
        y_true: list[torch.Tensor],
        y_pred: list[torch.Tensor],
        sample_weight: list[torch.Tensor | None],
        regularization: list[torch.Tensor],
        logits: bool = False,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Total loss (for backward) and the per-output values (for the logs); with
        ``logits=True`` the fused outputs hold logits (see ``fused_logits``)."""
        per_output_values = []
        total = None
        for index, loss_fn, weight in self.logits_entries if logits else self.entries:
            value = loss_fn(y_true[index], y_pred[index], sample_weight[index])
            per_output_values.append(value)
            term = value if weight == 1.0 else value * weight
            total = term if total is None else total + term
        for penalty in regularization:
            total = penalty if total is None else total + penalty
        if total is None:
            raise ValueError(
                "No loss to minimise: compile() was given no loss and the model added none "
                "in this step (add_loss, regularizers); pass compile(loss=...)"
            )
        return total, per_output_values

    def update_trackers(self, total: torch.Tensor, values: list[torch.Tensor], batch_size: int) -> None:
        trackers = iter(self.trackers.values())
        next(trackers).update(total, batch_size)
        if self.multi:
            for tracker, value in zip(trackers, values):
                tracker.update(value, batch_size)

    def to(self, device: torch.device) -> OutputLosses:
        for tracker in self.trackers.values():
            tracker.to(device)
        return self

    def check_targets(self, y_true: list[Any], y_pred_shapes: list[tuple]) -> None:
        """Reject targets that do not fit their loss, before any weight changes."""
        for position, (index, loss_fn, weight) in enumerate(self.entries):
            target = y_true[index]
            if target is None:
                raise ValueError(
                    f"fit: output {self.output_names[index]!r} has a loss but no target was given"
                )
            identifier = self.identifiers[index]
            if loss_fn is None:
                loss_fn = losses_module.resolve(identifier, tuple(target.shape), y_pred_shapes[index])
                self.entries[position] = (index, loss_fn, weight)
                identifier = loss_fn
            losses_module.check_target(
                identifier, tuple(target.shape), y_pred_shapes[index], target.dtype
            )


class OutputMetrics(nn.Module):
    """Per-output metric objects, named as Keras logs them, updated on the device."""

    def __init__(
        self,
        metrics: Any,
        weighted_metrics: Any,
        output_names: list[str],
        losses: list[Any],
    ) -> None:
        super().__init__()
        self.output_names = output_names
        self._requested = [
            per_output(
                metrics, output_names, "compile: metrics", broadcast=False, lists_are_entries=True
            ),
            per_output(
                weighted_metrics, output_names, "compile: weighted_metrics", broadcast=False,
                lists_are_entries=True,
            ),
        ]
        for group in self._requested:
            for entry in group:
                for identifier in _as_list(entry):
                    metrics_module.check_identifier(identifier)  # a typo fails at compile
        self._losses = losses
        self.entries: list[tuple[int, bool, Any]] = []
        self.built = False

    @property
    def requested(self) -> bool:
        """Whether compile() asked for any metric."""
        return any(_as_list(entry) for group in self._requested for entry in group)

    def build(self, y_true: list[torch.Tensor], y_pred_shapes: list[tuple]) -> None:
        """Resolve names such as "accuracy" once the target and output shapes are known."""
        objects = nn.ModuleList()
        for weighted, requested in ((False, self._requested[0]), (True, self._requested[1])):
            for index, entry in enumerate(requested):
                for identifier in _as_list(entry):
                    metric = metrics_module.resolve(
                        identifier, tuple(y_true[index].shape), y_pred_shapes[index],
                        loss=self._losses[index],
                    )
                    name = metric.name
                    if len(self.output_names) > 1:
                        name = f"{self.output_names[index]}_{name}"
                    metric.log_name = _unique(name, self.names)
                    self.entries.append((index, weighted, metric))
                    objects.append(metric)
        self.metric_objects = objects  # registered, so .to(device) moves their state
        self.built = True

    def update(
        self, y_true: list[torch.Tensor], y_pred: list[torch.Tensor], sample_weight: list[Any]
    ) -> None:
        for index, weighted, metric in self.entries:
            metric.update_state(
                y_true[index], y_pred[index], sample_weight[index] if weighted else None
            )

    @property
    def names(self) -> list[str]:
        return [metric.log_name for _, _, metric in self.entries]


def _unique(name: str, taken: list[str]) -> str:
    """Keras's compile suffixes a repeated metric name: ``mse``, ``mse_1``, ..."""
    candidate, count = name, 0
    while candidate in taken:
        count += 1
        candidate = f"{name}_{count}"
    return candidate


def _needs_shapes(identifier: Any) -> bool:
    return isinstance(identifier, str) and identifier.lower() in SHAPE_DEPENDENT_NAMES


def _as_list(entry: Any) -> list[Any]:
    if entry is None:
        return []
    return list(entry) if isinstance(entry, (list, tuple)) else [entry]


def _as_keras_loss(loss: Any) -> Callable[..., torch.Tensor]:
    """A torch loss module takes (input, target); Keras losses take (y_true, y_pred, sw)."""
    if isinstance(loss, nn.Module):
        module = loss

        def torch_loss(y_true: torch.Tensor, y_pred: torch.Tensor, sample_weight: Any) -> torch.Tensor:
            if sample_weight is not None:
                raise ValueError(
                    f"sample_weight cannot be applied to the torch loss {type(module).__name__}; "
                    "use a torchseq loss (e.g. 'categorical_crossentropy') for weighted training"
                )
            return module(y_pred, y_true)

        return torch_loss
    return loss

