"""Deterministic initializers: ``Zeros``, ``Ones``, ``Constant``, ``Identity``, ``STFT``."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from torchseq import config
from torchseq.initializers._base import (
    DType,
    Initializer,
    Shape,
    _check_choice,
    _float_dtype,
    _standardize_shape,
)

__all__ = [
    "STFT",
    "Constant",
    "Identity",
    "Ones",
    "Zeros",
]


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
