"""Weight initializers with Keras 3's names, defaults and formulas.

An initializer is called as ``init(shape, dtype=None)`` with a shape in
Keras's weight layout (a Dense kernel is ``(in, out)``, a Conv2D kernel
``(kh, kw, in, out)``) and returns a new CPU tensor; fans are computed from that
layout exactly as Keras computes them. With ``seed=`` an initializer returns
the same values on every call (as Keras 3 does); without it, it draws from
torch's global random generator, so ``torch.manual_seed`` governs it. (Keras 3
instead draws a hidden seed when an unseeded initializer is created, so one
instance shared by two layers gives them identical weights there, not here.)

Example:
    >>> from torchseq import initializers
    >>> init = initializers.get("glorot_uniform")
    >>> init((3, 3, 16, 32)).shape
    torch.Size([3, 3, 16, 32])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from torchseq import config
from torchseq.utils import identifiers
from torchseq.utils.naming import to_snake_case

__all__ = [
    "STFT",
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "IdentityInitializer",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "OrthogonalInitializer",
    "RandomNormal",
    "RandomUniform",
    "STFTInitializer",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "compute_fans",
    "constant",
    "deserialize",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_normal",
    "lecun_uniform",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "serialize",
    "stft",
    "truncated_normal",
    "variance_scaling",
    "zeros",
]

Shape = Sequence[int] | int
DType = str | torch.dtype | None

# Standard deviation of a unit normal truncated to [-2, 2]; dividing by it
# restores the requested variance after truncation.
_TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None) -> torch.Tensor``.

    Subclasses whose constructor arguments match the keys of ``get_config()``
    need no ``from_config``.
    """

    def __call__(self, shape: Shape, dtype: DType = None) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype)")

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-serialisable."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        """Rebuild an initializer from the output of :meth:`get_config`."""
        return cls(**config)

    def clone(self) -> Initializer:
        """A new initializer with the same configuration."""
        return type(self).from_config(self.get_config())

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({args})"


# --- Constant initializers --------------------------------------------------


class Zeros(Initializer):
    """All zeros. Mirrors ``keras.initializers.Zeros``."""

    def __call__(self, shape: Shape, dtype: DType = None) -> torch.Tensor:
        return torch.zeros(_standardize_shape(shape), dtype=config.standardize_dtype(dtype))


class Ones(Initializer):
    """All ones. Mirrors ``keras.initializers.Ones``."""

    def __call__(self, shape: Shape, dtype: DType = None) -> torch.Tensor:
        return torch.ones(_standardize_shape(shape), dtype=config.standardize_dtype(dtype))


class Constant(Initializer):
    """Every element set to ``value`` (a scalar, or an array broadcast to the shape).

    Args:
        value: The fill value. Defaults to ``0.0``.
    """

    def __init__(self, value: float | Sequence[Any] | np.ndarray | torch.Tensor = 0.0) -> None:
        self.value = value

    def __call__(self, shape: Shape, dtype: DType = None) -> torch.Tensor:
        shape = _standardize_shape(shape)
        value = torch.as_tensor(self.value, dtype=config.standardize_dtype(dtype))
        try:
            return torch.broadcast_to(value, shape).clone()
        except RuntimeError as e:
            raise ValueError(
                f"Constant value of shape {tuple(value.shape)} cannot be broadcast to the "
                f"requested shape, received: shape={shape}"
            ) from e

    def get_config(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, (np.ndarray, np.generic, torch.Tensor)):
            value = value.tolist()
        return {"value": value}


class Identity(Initializer):
    """``gain`` times the identity matrix (2D shapes only; non-square gives ``eye(rows, cols)``).

    Args:
        gain: Multiplier of the identity. Defaults to ``1.0``.
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape: Shape, dtype: DType = None) -> torch.Tensor:
        shape = _standardize_shape(shape)
        if len(shape) != 2:
            raise ValueError(
                f"Identity initializer expected a 2D shape, received: shape={shape} "
                f"of rank {len(shape)}"
            )
        return self.gain * torch.eye(*shape, dtype=config.standardize_dtype(dtype))

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}


_WINDOWS: dict[str, Callable[..., torch.Tensor]] = {
    "bartlett": torch.bartlett_window,
    "blackman": torch.blackman_window,
    "boxcar": lambda length, periodic, dtype: torch.ones(length, dtype=dtype),
    "hamming": torch.hamming_window,
    "hann": torch.hann_window,
}
_STFT_SIDES = ("real", "imag")
_STFT_SCALINGS = ("density", "spectrum", None)


class STFT(Initializer):
    """Windowed Fourier basis for a Conv1D kernel of shape ``(frame_length, 1, fft_bins)``.

    Mirrors ``keras.initializers.STFT``. Named windows are computed with torch
    (``"hann"``, ``"hamming"``, ``"blackman"``, ``"bartlett"``, ``"boxcar"``)
    instead of scipy; an explicit window array is also accepted.

    Args:
        side: ``"real"`` (cosine) or ``"imag"`` (sine) part. Defaults to ``"real"``.
        window: A window name, a 1D array of length ``frame_length``, or ``None``.
            Defaults to ``"hann"``.
        scaling: ``"density"``, ``"spectrum"`` or ``None``. Defaults to ``"density"``.
        periodic: Periodic instead of symmetric window. Defaults to ``False``.
    """

    def __init__(
        self,
        side: str = "real",
        window: str | Sequence[float] | np.ndarray | torch.Tensor | None = "hann",
        scaling: str | None = "density",
        periodic: bool = False,
    ) -> None:
        _check_choice("side", side, _STFT_SIDES)
        _check_choice("scaling", scaling, _STFT_SCALINGS)
        if isinstance(window, str):
            _check_choice("window", window, tuple(sorted(_WINDOWS)))
        self.side = side
        self.window = window
        self.scaling = scaling
        self.periodic = periodic

    def __call__(self, shape: Shape, dtype: DType = None) -> torch.Tensor:
        shape = _standardize_shape(shape)
        if len(shape) != 3:
            raise ValueError(
                "STFT initializer expected a shape (frame_length, input_channels, fft_bins), "
                f"received: shape={shape}"
            )
        dtype = _float_dtype(dtype, "STFT")
        frame_length, _, fft_bins = shape
        time = torch.arange(frame_length, dtype=dtype).reshape(frame_length, 1, 1)
        freq = torch.arange(fft_bins, dtype=dtype).reshape(1, 1, fft_bins) / ((fft_bins - 1) * 2)
        phase = -2 * time * freq * math.pi
        kernel = torch.cos(phase) if self.side == "real" else torch.sin(phase)
        if self.window is None:
            return kernel
        window = self._window(frame_length, dtype)
        return kernel * window / self._scale(window)

    def _window(self, frame_length: int, dtype: torch.dtype) -> torch.Tensor:
        if isinstance(self.window, str):
            window = _WINDOWS[self.window](frame_length, periodic=self.periodic, dtype=dtype)
        else:
            window = torch.as_tensor(self.window, dtype=dtype)
        if tuple(window.shape) != (frame_length,):
            raise ValueError(
                f"STFT window expected shape ({frame_length},), "
                f"received: window of shape {tuple(window.shape)}"
            )
        return window.reshape(frame_length, 1, 1)

    def _scale(self, window: torch.Tensor) -> torch.Tensor | float:
        if self.scaling == "density":
            return torch.sqrt(torch.sum(torch.square(window)))
        if self.scaling == "spectrum":
            return torch.sum(torch.abs(window))
        return 1.0

    def get_config(self) -> dict[str, Any]:
        window = self.window
        if isinstance(window, (np.ndarray, torch.Tensor)):
            window = window.tolist()
        return {
            "side": self.side,
            "window": window,
            "periodic": self.periodic,
            "scaling": self.scaling,
        }


# --- Random initializers ----------------------------------------------------


class _RandomInitializer(Initializer):
    """Holds the seed: an int gives the same values on every call, ``None`` the global RNG."""

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(
                f"seed must be an int or None, received: seed={seed!r} "
                f"of type {type(seed).__name__}"
            )
        self.seed = seed

    def _generator(self) -> torch.Generator | None:
        if self.seed is None:
            return None
        return torch.Generator().manual_seed(self.seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


class RandomNormal(_RandomInitializer):
    """Normal distribution.

    Args:
        mean: Mean. Defaults to ``0.0``.
        stddev: Standard deviation. Defaults to ``0.05``.
        seed: An int for reproducible values, or ``None``.
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape: Shape, dtype: DType = None) -> torch.Tensor:
        dtype = _float_dtype(dtype, type(self).__name__)
        out = _empty_for_sampling(shape, dtype)
        return out.normal_(self.mean, self.stddev, generator=self._generator()).to(dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(_RandomInitializer):
    """Normal distribution with values beyond two standard deviations of the mean redrawn.

    Args:
        mean: Mean. Defaults to ``0.0``.
        stddev: Standard deviation before truncation. Defaults to ``0.05``.
        seed: An int for reproducible values, or ``None``.
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape: Shape, dtype: DType = None) -> torch.Tensor:
        dtype = _float_dtype(dtype, type(self).__name__)
        out = _empty_for_sampling(shape, dtype)
        return _truncated_normal_(out, self.mean, self.stddev, self._generator()).to(dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(_RandomInitializer):
    """Uniform distribution on ``[minval, maxval)``.

    Args:
        minval: Lower bound. Defaults to ``-0.05``.
        maxval: Upper bound. Defaults to ``0.05``.
        seed: An int for reproducible values, or ``None``.
    """

    def __init__(
        self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None
    ) -> None:
        super().__init__(seed)
        self.minval = minval
        self.maxval = maxval

    def __call__(self, shape: Shape, dtype: DType = None) -> torch.Tensor:
        dtype = _float_dtype(dtype, type(self).__name__)
        out = _empty_for_sampling(shape, dtype)
        return out.uniform_(self.minval, self.maxval, generator=self._generator()).to(dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


_FAN_MODES = ("fan_avg", "fan_in", "fan_out")
_DISTRIBUTIONS = ("truncated_normal", "uniform", "untruncated_normal")


class VarianceScaling(_RandomInitializer):
    """Samples whose variance is ``scale / n``, ``n`` the fan chosen by ``mode``.

    ``"uniform"`` draws from ``[-limit, limit]`` with ``limit = sqrt(3 * scale / n)``;
    ``"truncated_normal"`` (or its alias ``"normal"``) draws a normal truncated at
    two standard deviations, widened so the variance is still ``scale / n``;
    ``"untruncated_normal"`` a plain normal. Fans follow :func:`compute_fans`.

    Args:
        scale: Positive scaling factor. Defaults to ``1.0``.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``. Defaults to ``"fan_in"``.
        distribution: ``"truncated_normal"``, ``"untruncated_normal"`` or
            ``"uniform"``. Defaults to ``"truncated_normal"``.
        seed: An int for reproducible values, or ``None``.
        input_axes: Axes whose sizes multiply into the fan-in, overriding the default.
        output_axes: Axes whose sizes multiply into the fan-out (used together
            with ``input_axes``).
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ) -> None:
        super().__init__(seed)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)):
            raise TypeError(f"scale must be a number, received: scale={scale!r}")
        if scale <= 0.0:
            raise ValueError(f"scale must be positive, received: scale={scale}")
        _check_choice("mode", mode, _FAN_MODES)
        if not isinstance(distribution, str):
            raise TypeError(f"distribution must be a string, received: {distribution!r}")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        _check_choice("distribution", distribution, _DISTRIBUTIONS)
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes

    def __call__(self, shape: Shape, dtype: DType = None) -> torch.Tensor:
        shape = _standardize_shape(shape)
        dtype = _float_dtype(dtype, type(self).__name__)
        variance = self.scale / max(1.0, self._fan(shape))
        out = _empty_for_sampling(shape, dtype)
        generator = self._generator()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            out.uniform_(-limit, limit, generator=generator)
        elif self.distribution == "truncated_normal":
            stddev = math.sqrt(variance) / _TRUNCATED_NORMAL_STDDEV
            _truncated_normal_(out, 0.0, stddev, generator)
        else:
            out.normal_(0.0, math.sqrt(variance), generator=generator)
        return out.to(dtype)

    def _fan(self, shape: tuple[int, ...]) -> float:
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        if self.mode == "fan_in":
            return fan_in
        if self.mode == "fan_out":
            return fan_out
        return (fan_in + fan_out) / 2.0

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class _VarianceScalingPreset(VarianceScaling):
    """A VarianceScaling with fixed ``(scale, mode, distribution)``; only the seed and axes vary."""

    _preset: tuple[float, str, str]

    def __init__(
        self,
        seed: int | None = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ) -> None:
        scale, mode, distribution = self._preset
        super().__init__(scale, mode, distribution, seed, input_axes, output_axes)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(_VarianceScalingPreset):
    """Uniform on ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))``.

    Keras's default kernel initializer.

    Args:
        seed: An int for reproducible values, or ``None``.
        input_axes: Optional fan-in axes, as in :class:`VarianceScaling`.
        output_axes: Optional fan-out axes, as in :class:`VarianceScaling`.
    """

    _preset = (1.0, "fan_avg", "uniform")


class GlorotNormal(_VarianceScalingPreset):
    """Truncated normal with ``stddev = sqrt(2 / (fan_in + fan_out))`` after truncation.

    Args:
        seed: An int for reproducible values, or ``None``.
        input_axes: Optional fan-in axes, as in :class:`VarianceScaling`.
        output_axes: Optional fan-out axes, as in :class:`VarianceScaling`.
    """

    _preset = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_VarianceScalingPreset):
    """Uniform on ``[-limit, limit]``, ``limit = sqrt(6 / fan_in)``.

    Args:
        seed: An int for reproducible values, or ``None``.
        input_axes: Optional fan-in axes, as in :class:`VarianceScaling`.
        output_axes: Optional fan-out axes, as in :class:`VarianceScaling`.
    """

    _preset = (2.0, "fan_in", "uniform")


class HeNormal(_VarianceScalingPreset):
    """Truncated normal with ``stddev = sqrt(2 / fan_in)`` after truncation.

    Args:
        seed: An int for reproducible values, or ``None``.
        input_axes: Optional fan-in axes, as in :class:`VarianceScaling`.
        output_axes: Optional fan-out axes, as in :class:`VarianceScaling`.
    """

    _preset = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_VarianceScalingPreset):
    """Uniform on ``[-limit, limit]``, ``limit = sqrt(3 / fan_in)``.

    Args:
        seed: An int for reproducible values, or ``None``.
        input_axes: Optional fan-in axes, as in :class:`VarianceScaling`.
        output_axes: Optional fan-out axes, as in :class:`VarianceScaling`.
    """

    _preset = (1.0, "fan_in", "uniform")


class LecunNormal(_VarianceScalingPreset):
    """Truncated normal with ``stddev = sqrt(1 / fan_in)`` after truncation.

    Args:
        seed: An int for reproducible values, or ``None``.
        input_axes: Optional fan-in axes, as in :class:`VarianceScaling`.
        output_axes: Optional fan-out axes, as in :class:`VarianceScaling`.
    """

    _preset = (1.0, "fan_in", "truncated_normal")


class Orthogonal(_RandomInitializer):
    """A (semi-)orthogonal matrix from the QR decomposition of a normal sample, times ``gain``.

    The shape is viewed as a matrix ``(prod(shape[:-1]), shape[-1])``; its rows
    or columns, whichever are fewer, are orthonormal.

    Args:
        gain: Multiplier. Defaults to ``1.0``.
        seed: An int for reproducible values, or ``None``.
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape: Shape, dtype: DType = None) -> torch.Tensor:
        shape = _standardize_shape(shape)
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal initializer expected a shape of rank >= 2, received: shape={shape} "
                f"of rank {len(shape)}"
            )
        dtype = _float_dtype(dtype, "Orthogonal")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        sample = _empty_for_sampling((max(rows, cols), min(rows, cols)), dtype)
        q, r = torch.linalg.qr(sample.normal_(generator=self._generator()))
        q = q * torch.sign(torch.diagonal(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).to(dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gain": self.gain}


def compute_fans(
    shape: Shape,
    input_axes: Sequence[int] | None = None,
    output_axes: Sequence[int] | None = None,
) -> tuple[int, int]:
    """Keras's ``(fan_in, fan_out)`` of a weight shape in Keras layout.

    Rank 0 gives ``(1, 1)``; rank 1 ``(n, n)``; rank 2 ``(rows, cols)``; rank
    ``>= 3`` treats the leading axes as the receptive field:
    ``(shape[-2] * rf, shape[-1] * rf)`` with ``rf = prod(shape[:-2])``. Given
    both ``input_axes`` and ``output_axes``, each fan is the product of those axes.

    Example:
        >>> compute_fans((3, 3, 16, 32))
        (144, 288)
    """
    shape = _standardize_shape(shape)
    if input_axes is not None and output_axes is not None:
        return (
            math.prod(shape[axis] for axis in input_axes),
            math.prod(shape[axis] for axis in output_axes),
        )
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


# --- Sampling helpers -------------------------------------------------------


def _standardize_shape(shape: Shape) -> tuple[int, ...]:
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError as e:
        raise TypeError(f"shape must be a sequence of ints, received: shape={shape!r}") from e
    if any(isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) for dim in dims):
        raise TypeError(f"shape must be a sequence of ints, received: shape={shape!r}")
    if any(dim < 0 for dim in dims):
        raise ValueError(f"shape must not contain negative sizes, received: shape={shape!r}")
    return tuple(int(dim) for dim in dims)


def _float_dtype(dtype: DType, who: str) -> torch.dtype:
    resolved = config.standardize_dtype(dtype)
    if not resolved.is_floating_point:
        raise ValueError(
            f"{who} initializer expected a floating dtype such as 'float32', "
            f"received: dtype={dtype!r}"
        )
    return resolved


def _empty_for_sampling(shape: Shape, dtype: torch.dtype) -> torch.Tensor:
    """An empty float32 (float64 for float64) tensor: half types are sampled in float32."""
    sample_dtype = torch.float64 if dtype == torch.float64 else torch.float32
    return torch.empty(_standardize_shape(shape), dtype=sample_dtype)


def _truncated_normal_(
    out: torch.Tensor, mean: float, stddev: float, generator: torch.Generator | None
) -> torch.Tensor:
    """Fill ``out`` from a normal truncated to ``mean ± 2 * stddev``, as Keras truncates.

    Draws outside the band are redrawn (about 4.6% per round), so the result is
    exactly truncated, whatever torch version provides ``nn.init.trunc_normal_``.
    """
    out.normal_(generator=generator)
    outside = out.abs() >= 2.0
    while bool(outside.any()):
        out[outside] = torch.empty_like(out[outside]).normal_(generator=generator)
        outside = out.abs() >= 2.0
    return out.mul_(stddev).add_(mean)


def _check_choice(name: str, value: Any, choices: Sequence[Any]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, received: {name}={value!r}")


# --- Aliases and lookup -----------------------------------------------------

# Keras exports every class under a snake_case alias too: ``initializers.he_normal(seed=1)``.
constant = Constant
glorot_normal = GlorotNormal
glorot_uniform = GlorotUniform
he_normal = HeNormal
he_uniform = HeUniform
identity = IdentityInitializer = Identity
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
ones = Ones
orthogonal = OrthogonalInitializer = Orthogonal
random_normal = RandomNormal
random_uniform = RandomUniform
stft = STFTInitializer = STFT
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
zeros = Zeros

_CLASSES: tuple[type[Initializer], ...] = (
    Initializer,
    Zeros,
    Ones,
    Constant,
    Identity,
    STFT,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    GlorotUniform,
    GlorotNormal,
    HeUniform,
    HeNormal,
    LecunUniform,
    LecunNormal,
    Orthogonal,
)
_OBJECTS: dict[str, type[Initializer]] = {
    **{cls.__name__: cls for cls in _CLASSES},
    **{to_snake_case(cls.__name__): cls for cls in _CLASSES},
    "IdentityInitializer": Identity,
    "OrthogonalInitializer": Orthogonal,
    "STFTInitializer": STFT,
    "normal": RandomNormal,
    "uniform": RandomUniform,
    "one": Ones,
    "zero": Zeros,
}


def get(identifier: Any) -> Initializer | Callable[..., torch.Tensor] | None:
    """Resolve an initializer identifier, following ``keras.initializers.get``.

    Args:
        identifier: ``None`` (returned as is); a name, snake_case or CamelCase
            (``"glorot_uniform"``, ``"GlorotUniform"``, aliases such as
            ``"normal"``, ``"uniform"``, ``"one"``, ``"zero"``); a Keras config
            dict ``{"class_name": ..., "config": {...}}``; an Initializer class
            (instantiated) or instance; a callable ``f(shape, dtype=None)``; or a
            tensor / numpy array used as the exact initial value.

    Returns:
        An object to call as ``init(shape, dtype=None)``, or ``None``.

    Raises:
        ValueError: For an unknown name (the message lists the valid names).
        TypeError: For an identifier of any other type.

    Example:
        >>> get("he_normal")
        HeNormal(seed=None, input_axes=None, output_axes=None)
    """
    if isinstance(identifier, (torch.Tensor, np.ndarray, np.generic)):
        return _initializer_from_value(identifier)
    return identifiers.resolve_object(identifier, kind="initializer", objects=_OBJECTS)


def serialize(initializer: Initializer | Callable[..., Any] | None) -> dict[str, Any] | None:
    """Keras's config dict: ``{"module", "class_name", "config", "registered_name"}``.

    ``None`` gives ``None``, as in Keras, so an unset option serialises as is.
    """
    return identifiers.serialize_object(
        initializer, kind="initializer", module="keras.initializers", objects=_OBJECTS
    )


def deserialize(
    config: str | dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> Initializer | Callable[..., torch.Tensor]:
    """Build an initializer from a name or a Keras config dict.

    Args:
        config: A name or the output of :func:`serialize`.
        custom_objects: Extra name -> class (or function) entries, searched first.
    """
    return identifiers.deserialize_object(
        config, kind="initializer", objects=_OBJECTS, custom_objects=custom_objects
    )


def _initializer_from_value(value: torch.Tensor | np.ndarray | np.generic) -> Callable[..., Any]:
    """An initializer that returns a copy of ``value``, for a weight of exactly its shape."""
    tensor = torch.as_tensor(value)

    def initialize(shape: Shape, dtype: DType = None) -> torch.Tensor:
        if _standardize_shape(shape) != tuple(tensor.shape):
            raise ValueError(
                f"initial value has shape {tuple(tensor.shape)}, expected the weight shape "
                f"to match, received: shape={tuple(shape)}"
            )
        return tensor.to(config.standardize_dtype(dtype), copy=True)

    return initialize
