"""The ``Loss`` base class and Keras 3's rules for ranks, sample weights and reductions.

A loss object is called as ``loss(y_true, y_pred, sample_weight=None)``. It casts both
tensors to its dtype, lets :meth:`Loss.call` compute one value per sample (or per
timestep), weights those values and reduces them. Everything stays on the tensors'
device: no value is ever read back to the host.

Example:
    >>> import torch
    >>> from torchseq import losses
    >>> losses.MeanSquaredError()(torch.tensor([1.0, 0.0]), torch.tensor([0.5, 0.5]))
    tensor(0.2500)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from torchseq import config
from torchseq.losses._inputs import as_tensor, explain_shape_error
from torchseq.utils import naming, tree

__all__ = [
    "Loss",
    "LossFunctionWrapper",
    "reduce_weighted_values",
    "squeeze_or_expand_to_same_rank",
    "standardize_reduction",
]

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)
# The reductions that divide by the element count; a mask rescales the weights for them.
_COUNTING_REDUCTIONS = ("sum_over_batch_size", "mean")


class Loss:
    """Base class of the losses (Keras's ``keras.losses.Loss``).

    Subclasses implement :meth:`call`, which returns the unreduced losses; calling the
    object applies the sample weights and the reduction.

    Args:
        name: Name of the loss; defaults to the snake_case class name made unique.
        reduction: ``"sum_over_batch_size"`` (default: the sum of the weighted losses
            divided by their number of elements, not by the sum of the weights),
            ``"sum"``, ``"mean"`` (same as ``"sum_over_batch_size"``),
            ``"mean_with_sample_weight"`` (divided by the sum of the weights), or
            ``"none"``/``None`` (no reduction).
        dtype: Dtype of the computation; both ``y_true`` and ``y_pred`` are cast to it.
            Defaults to ``config.floatx()`` at construction.

    Example:
        >>> class MeanCubedError(Loss):
        ...     def call(self, y_true, y_pred):
        ...         return torch.mean(torch.abs(y_pred - y_true) ** 3, dim=-1)
        >>> MeanCubedError()(torch.zeros(2, 3), torch.ones(2, 3))
        tensor(1.)
    """

    def __init__(
        self,
        name: str | None = None,
        reduction: str | None = "sum_over_batch_size",
        dtype: str | torch.dtype | None = None,
    ) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(
                f"name must be a string or None, received: name={name!r} "
                f"of type {type(name).__name__}"
            )
        self.name = name or naming.unique_name(naming.to_snake_case(type(self).__name__))
        self.reduction = standardize_reduction(reduction)
        self._dtype_argument = dtype
        self._dtype = config.standardize_dtype(dtype)

    @property
    def dtype(self) -> torch.dtype:
        """The dtype the loss computes in."""
        return self._dtype

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> torch.Tensor:
        """The reduced, weighted loss.

        Args:
            y_true: Targets (tensor, array or nested structure of them).
            y_pred: Predictions, same structure as ``y_true``.
            sample_weight: ``None``, a scalar, a ``(batch,)`` weight per sample, or a
                ``(batch, timesteps)`` weight per timestep.

        Returns:
            A scalar tensor, or the weighted per-sample losses for ``reduction="none"``.
        """
        input_mask = getattr(y_pred, "_keras_mask", None)
        y_pred = tree.map_structure(lambda x: as_tensor(x, self._dtype), y_pred)
        device = _first_device(y_pred)
        y_true = tree.map_structure(lambda x: self._convert_target(x, device), y_true)
        try:
            values = self.call(y_true, y_pred)
        except RuntimeError as error:
            explain_shape_error(self.name, y_true, y_pred, error)
            raise
        mask = _combine_masks(input_mask, getattr(values, "_keras_mask", None))
        return reduce_weighted_values(
            values, sample_weight=sample_weight, mask=mask, reduction=self.reduction
        )

    def call(self, y_true: Any, y_pred: Any) -> torch.Tensor:
        """The unreduced losses, usually one per sample. Subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred)")

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-serialisable."""
        config_ = {"name": self.name, "reduction": self.reduction}
        if self._dtype_argument is not None:
            config_["dtype"] = config.dtype_name(self._dtype)
        return config_

    @classmethod
    def from_config(cls, config_: dict[str, Any]) -> Loss:
        """Rebuild a loss from the output of :meth:`get_config`."""
        return cls(**config_)

    def _convert_target(self, y_true: Any, device: torch.device | None) -> torch.Tensor:
        return as_tensor(y_true, self._dtype, device)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


class LossFunctionWrapper(Loss):
    """A loss object around a function ``fn(y_true, y_pred, **kwargs)``.

    Before calling ``fn``, a rank difference of one between ``y_true`` and ``y_pred``
    with a trailing axis of size 1 is squeezed or expanded away
    (see :func:`squeeze_or_expand_to_same_rank`).

    Args:
        fn: The loss function, returning unreduced losses.
        reduction: See :class:`Loss`. Defaults to ``"sum_over_batch_size"``.
        name: See :class:`Loss`.
        dtype: See :class:`Loss`.
        **kwargs: Extra keyword arguments passed to ``fn`` on every call.

    Example:
        >>> wrapped = LossFunctionWrapper(losses.huber, delta=2.0)
    """

    def __init__(
        self,
        fn: Callable[..., torch.Tensor],
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: str | torch.dtype | None = None,
        **kwargs: Any,
    ) -> None:
        if not callable(fn):
            raise TypeError(
                f"fn must be a callable fn(y_true, y_pred), received: fn={fn!r} "
                f"of type {type(fn).__name__}"
            )
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: Any, y_pred: Any) -> torch.Tensor:
        if isinstance(y_true, torch.Tensor) and isinstance(y_pred, torch.Tensor):
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict[str, Any]:
        from torchseq.losses import registry  # the registry imports this module

        return {**super().get_config(), "fn": registry.serialize(self.fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config_: dict[str, Any]) -> LossFunctionWrapper:
        from torchseq.losses import registry

        config_ = dict(config_)
        if isinstance(config_.get("fn"), (str, dict)):
            config_["fn"] = registry.deserialize(config_["fn"])
        return cls(**config_)

    def __repr__(self) -> str:
        name = getattr(self.fn, "__name__", repr(self.fn))
        return f"<LossFunctionWrapper({name}, kwargs={self._fn_kwargs})>"


class _BuiltinLoss(LossFunctionWrapper):
    """Shared base of the built-in loss classes: a function bound to named options.

    The options become attributes (``loss.from_logits``) and are listed in the config
    next to ``name`` and ``reduction``.
    """

    def __init__(
        self,
        fn: Callable[..., torch.Tensor],
        *,
        name: str | None,
        reduction: str | None,
        dtype: str | torch.dtype | None,
        **options: Any,
    ) -> None:
        super().__init__(fn, reduction=reduction, name=name, dtype=dtype, **options)
        for key, value in options.items():
            setattr(self, key, value)

    def get_config(self) -> dict[str, Any]:
        return {**Loss.get_config(self), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config_: dict[str, Any]) -> Loss:
        return cls(**config_)

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({args})"


class _LabelLoss(_BuiltinLoss):
    """A built-in loss whose targets are integer labels (class ids, label sequences).

    Integer targets keep their dtype instead of being cast to the loss dtype (a float32
    round trip would corrupt large ids); float targets are cast as usual and truncated
    by the loss function.
    """

    def _convert_target(self, y_true: Any, device: torch.device | None) -> torch.Tensor:
        labels = y_true if isinstance(y_true, torch.Tensor) else torch.as_tensor(y_true)
        if labels.is_floating_point():
            return super()._convert_target(labels, device)
        return labels if device is None or labels.device == device else labels.to(device)


def standardize_reduction(reduction: Any) -> str | None:
    """Validate a reduction name (see :class:`Loss`); returns it unchanged."""
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"reduction must be one of {list(REDUCTIONS)}, received: reduction={reduction!r}"
        )
    return reduction


def squeeze_or_expand_to_same_rank(
    x1: torch.Tensor, x2: torch.Tensor, expand_rank_1: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Remove a rank difference of one that comes from a trailing axis of size 1.

    The tensor with the extra trailing size-1 axis is squeezed, except that a rank-1
    partner is expanded instead when ``expand_rank_1`` is true: ``(n,)`` with
    ``(n, 1)`` gives two ``(n, 1)`` tensors, ``(n, t)`` with ``(n, t, 1)`` two
    ``(n, t)`` tensors. Other rank differences are left alone.
    """
    rank1, rank2 = x1.ndim, x2.ndim
    if rank1 == rank2 + 1 and x1.shape[-1] == 1:
        if rank2 == 1 and expand_rank_1:
            return x1, x2.unsqueeze(-1)
        return x1.squeeze(-1), x2
    if rank2 == rank1 + 1 and x2.shape[-1] == 1:
        if rank1 == 1 and expand_rank_1:
            return x1.unsqueeze(-1), x2
        return x1, x2.squeeze(-1)
    return x1, x2


def reduce_weighted_values(
    values: torch.Tensor,
    sample_weight: Any = None,
    mask: torch.Tensor | None = None,
    reduction: str | None = "sum_over_batch_size",
) -> torch.Tensor:
    """Weight unreduced losses and reduce them, following Keras 3.

    The mask (a boolean tensor, e.g. from ``ignore_class``) joins the sample weights;
    for ``"sum_over_batch_size"`` and ``"mean"`` the kept entries are scaled by
    ``total / kept``, so the result is the mean over the kept entries.

    A sample weight of lower rank than ``values`` whose shape matches the leading axes
    of ``values`` (a ``(batch,)`` weight for ``(batch, timesteps)`` losses) weights each
    sample; Keras 3 broadcasts it against the trailing axes instead, which fails or,
    when ``batch == timesteps``, silently mixes them up.

    Args:
        values: Unreduced losses.
        sample_weight: ``None``, a number, or a tensor/array broadcastable to ``values``.
        mask: Optional boolean tensor of ``values``'s shape: ``False`` drops an entry.
        reduction: See :class:`Loss`.

    Returns:
        The reduced loss (or the weighted values for ``"none"``/``None``).
    """
    reduction = standardize_reduction(reduction)
    sample_weight = _merge_mask(
        None if sample_weight is None else as_tensor(sample_weight, values.dtype, values.device),
        mask,
        values,
        reduction,
    )
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        sample_weight = _align_leading_axes(sample_weight, values)
        values = values * sample_weight
    return _reduce(values, sample_weight, reduction)


def _reduce(
    values: torch.Tensor, sample_weight: torch.Tensor | None, reduction: str | None
) -> torch.Tensor:
    if reduction in (None, "none") or values.shape in ((), (0,)):
        return values
    total = torch.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return _divide_no_nan(total, torch.sum(sample_weight.expand_as(values)))
    count = values.numel()
    return total / count if count else torch.zeros_like(total)


def _merge_mask(
    sample_weight: torch.Tensor | None,
    mask: torch.Tensor | None,
    values: torch.Tensor,
    reduction: str | None,
) -> torch.Tensor | None:
    if mask is None:
        return sample_weight
    float_mask = mask.to(values.dtype)
    if reduction in _COUNTING_REDUCTIONS:
        float_mask = float_mask * _divide_no_nan(float(mask.numel()), torch.sum(float_mask))
    if sample_weight is None:
        return float_mask
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
    return _align_leading_axes(sample_weight, float_mask) * float_mask


def _align_leading_axes(weight: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """A ``(batch,)`` weight for ``(batch, t, ...)`` values becomes ``(batch, 1, ...)``."""
    missing = values.ndim - weight.ndim
    if weight.ndim == 0 or missing <= 0 or values.shape[: weight.ndim] != weight.shape:
        return weight
    return weight.reshape(weight.shape + (1,) * missing)


def _divide_no_nan(numerator: torch.Tensor | float, denominator: torch.Tensor) -> torch.Tensor:
    """``numerator / denominator``, and 0 (with a zero gradient) where the denominator is 0."""
    is_zero = denominator == 0
    quotient = numerator / torch.where(is_zero, torch.ones_like(denominator), denominator)
    return torch.where(is_zero, torch.zeros_like(quotient), quotient)


def _combine_masks(first: torch.Tensor | None, second: torch.Tensor | None) -> torch.Tensor | None:
    if first is None:
        return second
    if second is None:
        return first
    return first & second


def _first_device(structure: Any) -> torch.device | None:
    if isinstance(structure, torch.Tensor):
        return structure.device
    leaves = tree.flatten(structure)
    return leaves[0].device if leaves and isinstance(leaves[0], torch.Tensor) else None
