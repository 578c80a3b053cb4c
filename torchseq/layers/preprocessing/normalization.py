"""``Normalization``: standardise features with given or adapted statistics."""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch

from torchseq import config
from torchseq.layers.layer import Layer
from torchseq.layers.preprocessing.rescaling import _plain

__all__ = ["Normalization"]


class Normalization(Layer):
    """Standardises features: ``(inputs - mean) / sqrt(variance)``, or the inverse.

    Mirrors ``keras.layers.Normalization``. The statistics are either given (``mean`` and
    ``variance``) or computed from data with ``adapt(data)``, one value per position of
    the kept ``axis`` (the other axes are reduced). The divisor is
    ``max(sqrt(variance), epsilon)`` with ``config.epsilon()``.

    Weights when adapted (non-trainable buffers, Keras's order): ``mean`` and ``variance``
    (the kept axes' sizes) and ``count`` (an int32 scalar Keras keeps for old models).
    With fixed ``mean``/``variance`` the layer has no weights.

    Args:
        axis: Int, list of ints or ``None``: the axes that keep separate statistics.
            Default ``-1`` (one mean per feature); ``None`` for a single scalar mean.
        mean: Optional number or array; needs ``variance`` too. Arrays are aligned with
            the kept axes from the right and broadcast.
        variance: Optional number or array with ``mean``'s shape.
        invert: If ``True``, undo the normalization: ``inputs * sqrt(variance) + mean``.

    Input shape: any, with the kept axes known. Output shape: the input's shape.

    Example:
        >>> layer = Normalization()
        >>> layer.adapt(np.array([[0.0], [2.0]]))
        >>> layer(torch.tensor([[2.0]]))
        tensor([[1.]])
    """

    def __init__(
        self,
        axis: int | Sequence[int] | None = -1,
        mean: Any = None,
        variance: Any = None,
        invert: bool = False,
        **kwargs: Any,
    ) -> None:
        axes = _axis_tuple(axis)
        if (mean is None) != (variance is None):
            raise ValueError(
                "Normalization: mean and variance must be given together, received: "
                f"mean={mean!r}, variance={variance!r}"
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    "Normalization: mean and variance must have the same shape, received: "
                    f"mean shape {np.shape(mean)}, variance shape {np.shape(variance)}"
                )
            if len(np.shape(mean)) > len(axes):
                raise ValueError(
                    f"Normalization: the rank of mean must be <= the number of kept axes "
                    f"({len(axes)} for axis={axis!r}), received: mean shape {np.shape(mean)}"
                )
        super().__init__(**kwargs)
        self.axis = axes
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self.supports_masking = True
        self._keep_axes: tuple[int, ...] = ()
        self._reduce_axes: tuple[int, ...] = ()
        self._broadcast_shape: list[int] = []
        if mean is None:
            self._lazy_weight("mean", trainable=False)
            self._lazy_weight("variance", trainable=False)
            self.register_buffer("count", _int32_placeholder())

    def build(self, input_shape: tuple) -> None:
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(
                f'Normalization layer "{self.name}": axis={self.axis} is out of range for an '
                f"input of rank {ndim} (expected -{ndim} <= axis < {ndim}); received input "
                f"shape {tuple(input_shape)}"
            )
        keep = tuple(sorted(a % ndim for a in self.axis))
        unknown = [a for a in keep if input_shape[a] is None]
        if unknown:
            raise ValueError(
                f'Normalization layer "{self.name}": the kept axes {list(keep)} must have known '
                f"sizes, received input shape {tuple(input_shape)} (unknown at {unknown})"
            )
        self._keep_axes = keep
        self._reduce_axes = tuple(a for a in range(ndim) if a not in keep)
        self._broadcast_shape = [input_shape[a] if a in keep else 1 for a in range(ndim)]
        self._build_shape = tuple(input_shape)
        stats_shape = tuple(input_shape[a] for a in keep)
        if self.input_mean is None:
            self.add_weight(shape=stats_shape, initializer="zeros", trainable=False, name="mean")
            self.add_weight(shape=stats_shape, initializer="ones", trainable=False, name="variance")
            self.add_weight(
                shape=(), initializer="zeros", dtype="int32", trainable=False, name="count"
            )
        else:
            self.register_buffer(
                "_fixed_mean", self._broadcast_fixed(self.input_mean), persistent=False
            )
            self.register_buffer(
                "_fixed_variance", self._broadcast_fixed(self.input_variance), persistent=False
            )
        self.built = True

    def adapt(self, data: Any) -> None:
        """Compute the mean and variance of ``data`` over the reduced axes.

        Args:
            data: A numpy array or tensor (the whole data set), or an iterable of such
                batches (combined exactly, as Keras does).
        """
        if self.input_mean is not None:
            raise ValueError(
                f'Normalization layer "{self.name}": adapt() needs a layer without fixed '
                "statistics, but it was created with mean= and variance="
            )
        batches, shape = _batches_and_shape(data)
        if not self.built:
            self._build_for(shape)
        self._check_adapt_shape(shape)
        if isinstance(batches, np.ndarray):
            mean = np.mean(batches, axis=self._reduce_axes)
            variance = np.var(batches, axis=self._reduce_axes)
        elif isinstance(batches, torch.Tensor):
            mean, variance = _moments(batches.to(self._dtype), self._reduce_axes)
        else:
            mean, variance = self._combined_moments(batches)
        with torch.no_grad():
            self.mean.copy_(torch.as_tensor(mean))
            self.variance.copy_(torch.as_tensor(variance))

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        inputs = inputs.to(self._dtype)
        if self.input_mean is None:
            mean = self.mean.view(self._broadcast_shape)
            variance = self.variance.view(self._broadcast_shape)
        else:
            mean, variance = self._fixed_mean, self._fixed_variance
        scale = torch.sqrt(variance).clamp_min(config.epsilon())
        try:
            if self.invert:
                return torch.addcmul(mean, inputs, scale)
            return (inputs - mean) / scale
        except RuntimeError as error:  # checked only on failure: the call stays lean
            self._check_call_shape(tuple(inputs.shape), error)
            raise

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": _plain(self.input_mean),
            "variance": _plain(self.input_variance),
        }

    # ------------------------------------------------------------------ helpers

    def _broadcast_fixed(self, value: Any) -> torch.Tensor:
        """A given statistic aligned (from the right) with the kept axes, broadcast."""
        array = np.asarray(value)
        shape = [1] * len(self._broadcast_shape)
        for offset in range(1, array.ndim + 1):
            shape[self._keep_axes[-offset]] = array.shape[-offset]
        tensor = torch.as_tensor(array, dtype=self._dtype).reshape(shape)
        return tensor.expand(self._broadcast_shape).clone()

    def _check_adapt_shape(self, shape: tuple) -> None:
        built = self._build_shape
        if len(shape) != len(built) or any(shape[a] != built[a] for a in self._keep_axes):
            raise ValueError(
                f'Normalization layer "{self.name}" was built for input shape {built} '
                f"(kept axes {list(self._keep_axes)}), but adapt() received data of shape "
                f"{tuple(shape)}"
            )

    def _check_call_shape(self, shape: tuple, error: RuntimeError) -> None:
        built = self._build_shape
        if len(shape) != len(built) or any(shape[a] != built[a] for a in self._keep_axes):
            expected = tuple(size if a in self._keep_axes else None for a, size in enumerate(built))
            raise ValueError(
                f'Normalization layer "{self.name}" expected inputs of shape {expected}, '
                f"received: input shape {shape}"
            ) from error

    def _combined_moments(self, batches: Iterable[Any]) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and variance of all batches together, merged one batch at a time."""
        stats_shape = tuple(self._build_shape[a] for a in self._keep_axes)
        mean = torch.zeros(stats_shape, dtype=self._dtype)
        variance = torch.zeros(stats_shape, dtype=self._dtype)
        total = 0
        for batch in batches:
            batch = torch.as_tensor(np.asarray(batch) if not torch.is_tensor(batch) else batch)
            batch = batch.to(self._dtype)
            self._check_adapt_shape(tuple(batch.shape))
            batch_mean, batch_var = _moments(batch, self._reduce_axes)
            count = math.prod(batch.shape[a] for a in self._reduce_axes)
            total += count
            weight = count / total
            new_mean = mean * (1 - weight) + batch_mean * weight
            variance = (variance + (mean - new_mean) ** 2) * (1 - weight) + (
                batch_var + (batch_mean - new_mean) ** 2
            ) * weight
            mean = new_mean
        return mean, variance


# ---------------------------------------------------------------------- helpers


def _moments(values: torch.Tensor, axes: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and biased variance over ``axes`` (none: every value is its own mean)."""
    if not axes:  # torch reads an empty dim as "all axes"
        return values, torch.zeros_like(values)
    variance, mean = torch.var_mean(values, dim=axes, correction=0)
    return mean, variance


def _axis_tuple(axis: Any) -> tuple[int, ...]:
    if axis is None:
        return ()
    axes = (axis,) if isinstance(axis, numbers.Integral) else axis
    if (
        isinstance(axis, bool)
        or not isinstance(axes, (list, tuple))
        or any(isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in axes)
    ):
        raise TypeError(
            f"Normalization: axis must be an int, a list of ints or None, received: axis={axis!r}"
        )
    if len(set(axes)) != len(axes):
        raise ValueError(f"Normalization: axis must not repeat an axis, received: axis={axis!r}")
    return tuple(int(a) for a in axes)


def _batches_and_shape(data: Any) -> tuple[Any, tuple]:
    """The data for ``adapt`` (array, tensor or an iterator of batches) and its shape."""
    if isinstance(data, (np.ndarray, torch.Tensor)):
        return data, tuple(data.shape)
    if isinstance(data, (str, bytes)) or not isinstance(data, Iterable):
        raise TypeError(
            "Normalization: adapt() expects a numpy array, a tensor or an iterable of "
            f"batches, received: {type(data).__name__}"
        )
    iterator = iter(data)
    first = next(iterator, None)
    if first is None:
        raise ValueError("Normalization: adapt() received an empty iterable, expected batches")
    if not hasattr(first, "shape"):
        raise TypeError(
            "Normalization: adapt() expects batches with a shape (arrays or tensors), "
            f"received a batch of type {type(first).__name__}"
        )
    return itertools.chain([first], iterator), tuple(first.shape)


def _int32_placeholder() -> torch.Tensor:
    from torch.nn.parameter import UninitializedBuffer

    return UninitializedBuffer(dtype=torch.int32)
