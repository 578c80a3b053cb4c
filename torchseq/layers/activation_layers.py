"""Activation layers: ReLU, LeakyReLU, PReLU, ELU and Softmax.

Each mirrors the Keras layer of the same name and runs one fused torch op where torch has
one (``F.relu``, ``F.leaky_relu``, ``F.elu``, ``F.softmax``, ``torch.where`` for PReLU).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from torchseq import activations, constraints, initializers, regularizers
from torchseq.layers.layer import InputSpec, Layer

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]


class _ElementwiseActivation(Layer):
    """Shared base of the weightless activation layers: shape in is shape out, masks pass."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


class ReLU(_ElementwiseActivation):
    """Rectified linear unit, optionally capped, leaky and thresholded.

    Mirrors ``keras.layers.ReLU``::

        f(x) = max_value                         if x >= max_value
        f(x) = x                                 if threshold < x < max_value
        f(x) = negative_slope * (x - threshold)  otherwise

    Args:
        max_value: Float >= 0, the largest output, or ``None`` (default) for no cap.
        negative_slope: Float >= 0, the slope below the threshold. Default ``0.0``.
        threshold: Float >= 0, below which values are damped. Default ``0.0``.

    Input shape: any. Output shape: the input's shape.

    Example:
        >>> ReLU(max_value=1.0)(torch.tensor([-1.0, 0.5, 2.0]))
        tensor([0.0000, 0.5000, 1.0000])
    """

    def __init__(
        self,
        max_value: float | None = None,
        negative_slope: float = 0.0,
        threshold: float = 0.0,
        **kwargs: Any,
    ) -> None:
        if max_value is not None:
            max_value = _non_negative("ReLU", "max_value", max_value)
        negative_slope = _non_negative("ReLU", "negative_slope", negative_slope)
        threshold = _non_negative("ReLU", "threshold", threshold)
        super().__init__(**kwargs)
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return activations.relu(
            inputs,
            negative_slope=self.negative_slope,
            max_value=self.max_value,
            threshold=self.threshold,
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


class LeakyReLU(_ElementwiseActivation):
    """Leaky ReLU: ``x`` for ``x >= 0``, ``negative_slope * x`` otherwise.

    Mirrors ``keras.layers.LeakyReLU``; the default slope is Keras 3's ``0.3`` (torch's
    is ``0.01``). Keras 2's ``alpha=`` spelling is accepted.

    Args:
        negative_slope: Float >= 0, the slope for negative inputs. Default ``0.3``.

    Input shape: any. Output shape: the input's shape.

    Example:
        >>> LeakyReLU()(torch.tensor([-1.0, 2.0]))
        tensor([-0.3000,  2.0000])
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:  # Keras 2 name of the slope
            negative_slope = kwargs.pop("alpha")
        negative_slope = _non_negative("LeakyReLU", "negative_slope", negative_slope)
        super().__init__(**kwargs)
        self.negative_slope = negative_slope

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(inputs, self.negative_slope)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(_ElementwiseActivation):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Mirrors ``keras.layers.ELU``.

    Args:
        alpha: Float, the scale of the negative part. Default ``1.0``.

    Input shape: any. Output shape: the input's shape.

    Example:
        >>> ELU(alpha=2.0)(torch.tensor([0.0, 1.0]))
        tensor([0., 1.])
    """

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        alpha = _real("ELU", "alpha", alpha)
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return F.elu(inputs, self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(_ElementwiseActivation):
    """Softmax along an axis (or several axes together), with an optional mask.

    Mirrors ``keras.layers.Softmax``. Where ``mask`` is false the logits are replaced by a
    large negative number before the softmax and the outputs are set to 0 after it.

    Args:
        axis: Int or list of ints, the axis or axes normalised. Default ``-1``.

    Call arguments:
        inputs: The logits.
        mask: Optional tensor broadcastable to ``inputs`` (aligned from the right, each
            axis of size 1 or the input's size); true (or > 0.5) keeps a position.

    Input shape: any. Output shape: the input's shape.

    Example:
        >>> Softmax()(torch.tensor([0.0, 0.0]))
        tensor([0.5000, 0.5000])
    """

    def __init__(self, axis: int | Sequence[int] = -1, **kwargs: Any) -> None:
        axes = [axis] if isinstance(axis, numbers.Integral) else axis
        if (
            isinstance(axis, bool)
            or not isinstance(axes, (list, tuple))
            or not axes
            or any(isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in axes)
        ):
            raise TypeError(
                f"Softmax: axis must be an int or a non-empty list of ints, received: axis={axis!r}"
            )
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)
        # One axis runs F.softmax directly; several are normalised together.
        self._axis: int | tuple[int, ...] = int(axes[0]) if len(axes) == 1 else tuple(axes)

    def call(self, inputs: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if mask is None:
            return activations.softmax(inputs, axis=self._axis)
        mask = self._boolean_mask(inputs, torch.as_tensor(mask, device=inputs.device))
        logits = inputs.masked_fill(~mask, _large_negative_number(inputs.dtype))
        return activations.softmax(logits, axis=self._axis).masked_fill(~mask, 0.0)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}

    def _boolean_mask(self, inputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        broadcastable = mask.ndim <= inputs.ndim and all(
            m in (1, i) for m, i in zip(reversed(mask.shape), reversed(inputs.shape))
        )
        if not broadcastable:
            raise ValueError(
                f'Softmax layer "{self.name}": the mask must be broadcastable to the inputs '
                "(aligned from the last axis, each mask axis of size 1 or the input's size), "
                f"received mask shape {tuple(mask.shape)} for inputs of shape "
                f"{tuple(inputs.shape)}"
            )
        return mask if mask.dtype == torch.bool else mask > 0.5


class PReLU(Layer):
    """Parametric ReLU: ``x`` for ``x >= 0``, ``alpha * x`` otherwise, with a learned ``alpha``.

    Mirrors ``keras.layers.PReLU``. ``alpha`` has the input's shape without the batch
    axis, with size 1 along ``shared_axes`` (e.g. ``shared_axes=[1, 2]`` after a
    channels-last ``Conv2D`` learns one slope per channel).

    Args:
        alpha_initializer: Default ``"zeros"``.
        alpha_regularizer: Optional regularizer of ``alpha``.
        alpha_constraint: Optional constraint of ``alpha``.
        shared_axes: Int or list of ints (axes counted with the batch axis as 0) along
            which ``alpha`` is shared. Default ``None``.

    Input shape: any, with the non-shared axes known. Output shape: the input's shape.

    Example:
        >>> layer = PReLU(shared_axes=[1])
        >>> layer(torch.ones(2, 5, 3)).shape
        torch.Size([2, 5, 3])
        >>> tuple(layer.alpha.shape)
        (1, 3)
    """

    def __init__(
        self,
        alpha_initializer: Any = "zeros",
        alpha_regularizer: Any = None,
        alpha_constraint: Any = None,
        shared_axes: int | Sequence[int] | None = None,
        **kwargs: Any,
    ) -> None:
        if shared_axes is not None:
            axes = [shared_axes] if isinstance(shared_axes, numbers.Integral) else shared_axes
            if (
                isinstance(shared_axes, bool)
                or not isinstance(axes, (list, tuple))
                or any(isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in axes)
            ):
                raise TypeError(
                    "PReLU: shared_axes must be an int, a list of ints or None, received: "
                    f"shared_axes={shared_axes!r}"
                )
            if any(a == 0 for a in axes):
                raise ValueError(
                    "PReLU: shared_axes must not contain the batch axis 0, received: "
                    f"shared_axes={shared_axes!r}"
                )
            shared_axes = [int(a) for a in axes]
        alpha_initializer = initializers.get(alpha_initializer)
        super().__init__(**kwargs)
        self.alpha_initializer = alpha_initializer
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        self.shared_axes = shared_axes
        self.supports_masking = True
        self._lazy_weight("alpha")

    def build(self, input_shape: tuple) -> None:
        ndim = len(input_shape)
        shared = {a % ndim for a in self.shared_axes or []}
        if self.shared_axes and any(not -ndim < a < ndim for a in self.shared_axes):
            raise ValueError(
                f'PReLU layer "{self.name}": shared_axes={self.shared_axes} is out of range '
                f"for an input of rank {ndim}; received input shape {tuple(input_shape)}"
            )
        shape = tuple(1 if axis in shared else input_shape[axis] for axis in range(1, ndim))
        if None in shape:
            raise ValueError(
                f'PReLU layer "{self.name}": the sizes of all axes not in shared_axes must be '
                f"known to build the layer, received input shape {tuple(input_shape)} with "
                f"shared_axes={self.shared_axes}"
            )
        self.add_weight(
            shape=shape,
            initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
            name="alpha",
        )
        axes = {axis: input_shape[axis] for axis in range(1, ndim) if axis not in shared}
        self.input_spec = InputSpec(ndim=ndim, axes=axes)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.where(inputs >= 0, inputs, inputs * self.alpha)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }


# ---------------------------------------------------------------------- helpers


def _large_negative_number(dtype: torch.dtype) -> float:
    """What masked logits become: far below any real logit, yet finite in ``dtype``."""
    return -3e4 if dtype == torch.float16 else -1e9


def _real(layer: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{layer}: {name} must be a number, received: {name}={value!r}")
    return float(value)


def _non_negative(layer: str, name: str, value: Any) -> float:
    value = _real(layer, name, value)
    if value < 0:
        raise ValueError(f"{layer}: {name} must be >= 0, received: {name}={value}")
    return value
