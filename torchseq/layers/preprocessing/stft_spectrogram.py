"""``STFTSpectrogram``: short-time Fourier spectrograms of 1D signals by strided convolution
with (trainable) windowed Fourier kernels."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from torchseq import config, initializers
from torchseq.layers.convolutional import _output_size, _same_pads
from torchseq.layers.layer import InputSpec, Layer

__all__ = ["STFTSpectrogram"]

_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")
_SCALINGS = ("density", "spectrum", None)
_PADDINGS = ("valid", "same")
_FLOAT_DTYPES = (torch.float16, torch.float32, torch.float64)


class STFTSpectrogram(Layer):
    """Spectrograms of each channel of a batch of 1D signals, by short-time Fourier transform.

    Mirrors ``keras.layers.STFTSpectrogram``. The transform is a strided convolution with two
    kernels, the real (cosine) and imaginary (sine) Fourier bases times the window, so the
    kernels are weights: trainable by default (``trainable=False`` keeps them fixed, for
    preprocessing). Each input channel is transformed on its own.

    Args:
        mode: ``"log"`` (default; log magnitude), ``"magnitude"``, ``"psd"`` (power spectral
            density, one-sided), ``"real"``, ``"imag"``, ``"angle"`` (phase) or ``"stft"``
            (real and imaginary parts, concatenated along the frequency axis).
        frame_length: Samples per frame (window). Default 256.
        frame_step: Samples between frame starts, ``1 <= frame_step <= frame_length``.
            Default ``frame_length // 2``.
        fft_length: FFT size, at least ``frame_length`` (a power of two is recommended).
            Default: the smallest power of two ``>= frame_length``.
        window: ``"hann"`` (default), ``"hamming"``, ``"blackman"``, ``"bartlett"``,
            ``"boxcar"``, a 1D array of ``frame_length`` values, or ``None``.
        periodic: Periodic instead of symmetric named window. Default ``False``.
        scaling: Window normalisation: ``"density"`` (default, L2), ``"spectrum"`` (L1) or
            ``None``.
        padding: ``"valid"`` (default) or ``"same"``.
        expand_dims: Keep frequencies and channels as two axes (an image for image models)
            instead of merging them. Default ``False``.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.
        **kwargs: Base layer arguments (``name``, ``trainable``, ``dtype``...).

    Input shape:
        ``(batch, time, channels)`` (channels_last) or ``(batch, channels, time)``, floats.

    Output shape:
        With ``F = fft_length // 2 + 1`` frequency bins (``2 F`` for ``mode="stft"``) and
        ``frames`` set by the padding: ``(batch, frames, channels * F)`` (channels_last) or
        ``(batch, channels * F, frames)``; with ``expand_dims``, ``(batch, frames, F,
        channels)`` or ``(batch, channels, frames, F)``.

    Example:
        >>> layer = STFTSpectrogram(frame_length=64, frame_step=32, trainable=False)
        >>> layer(torch.zeros(2, 1024, 1)).shape
        torch.Size([2, 31, 33])
    """

    def __init__(
        self,
        mode: str = "log",
        frame_length: int = 256,
        frame_step: int | None = None,
        fft_length: int | None = None,
        window: str | Sequence[float] | np.ndarray | None = "hann",
        periodic: bool = False,
        scaling: str | None = "density",
        padding: str = "valid",
        expand_dims: bool = False,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        if frame_step is not None and not 1 <= frame_step <= frame_length:
            raise ValueError(
                "STFTSpectrogram expected frame_step to be a positive integer not greater "
                f"than frame_length, received: frame_step={frame_step}, "
                f"frame_length={frame_length}"
            )
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(
                "STFTSpectrogram expected fft_length >= frame_length, received: "
                f"fft_length={fft_length}, frame_length={frame_length}"
            )
        for name, value, choices in (
            ("mode", mode, _MODES),
            ("scaling", scaling, _SCALINGS),
            ("padding", padding, _PADDINGS),
        ):
            if value not in choices:
                raise ValueError(
                    f"STFTSpectrogram expected {name} to be one of {list(choices)}, "
                    f"received: {name}={value!r}"
                )
        # The initializers check the window (its name here, its length in build).
        kernel_initializers = {
            side: initializers.STFT(side, window, scaling, periodic) for side in ("real", "imag")
        }
        if fft_length is not None and fft_length & (fft_length - 1):
            warnings.warn(
                "STFTSpectrogram: fft_length is recommended to be a power of two, received: "
                f"fft_length={fft_length}",
                stacklevel=2,
            )
        data_format = config.standardize_data_format(data_format)
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self.fft_length = fft_length
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = data_format
        self._frame_step = frame_step or frame_length // 2
        self._fft_length = fft_length or 2 ** math.ceil(math.log2(frame_length))
        self._kernel_initializers = kernel_initializers
        self._kernel_names = [f"{side}_kernel" for side in self._sides()]
        for name in self._kernel_names:
            self._lazy_weight(name)
        self.input_spec = InputSpec(ndim=3)

    def _sides(self) -> list[str]:
        """The Fourier parts the mode needs (the weights, in Keras's order)."""
        return [side for side, skip in (("real", "imag"), ("imag", "real")) if self.mode != skip]

    def build(self, input_shape: Any) -> None:
        # Keras's (frame_length, 1, bins), stored as torch's conv1d (bins, 1, frame_length).
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        for side, name in zip(self._sides(), self._kernel_names):
            self.add_weight(
                shape=shape,
                initializer=self._kernel_initializers[side],
                name=name,
                layout=(2, 1, 0),
            )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.dtype not in _FLOAT_DTYPES:
            raise TypeError(
                "STFTSpectrogram expected float16, float32 or float64 inputs, received: "
                f"dtype={inputs.dtype}"
            )
        parts = {name: self._convolve(inputs, getattr(self, name)) for name in self._kernel_names}
        real, imag = parts.get("real_kernel"), parts.get("imag_kernel")
        if self.mode == "real":
            return self._arrange(real)
        if self.mode == "imag":
            return self._arrange(imag)
        if self.mode == "angle":
            return self._arrange(torch.atan2(imag, real))
        if self.mode == "stft":
            return self._arrange(torch.cat([real, imag], dim=2))
        power = torch.square(real) + torch.square(imag)
        if self.mode == "psd":
            # One-sided: the bins between DC and Nyquist also hold their mirror's power.
            return self._arrange(power + F.pad(power[:, :, 1:-1], (0, 0, 1, 1)))
        magnitude = self._arrange(torch.sqrt(torch.clamp(power, min=config.epsilon())))
        if self.mode == "magnitude":
            return magnitude
        return torch.log(torch.clamp(magnitude, min=config.epsilon()))

    def _convolve(self, inputs: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
        """Every channel's frames against ``kernel``: ``(batch, channels, bins, frames)``."""
        if self.data_format == "channels_last":
            inputs = inputs.transpose(1, 2)
        batch, channels, steps = inputs.shape
        signals = inputs.reshape(batch * channels, 1, steps)
        if self.padding == "same":
            signals = F.pad(signals, _same_pads(steps, self.frame_length, self._frame_step))
        outputs = F.conv1d(signals, kernel.to(inputs.dtype), stride=self._frame_step)
        return outputs.reshape(batch, channels, *outputs.shape[1:])

    def _arrange(self, outputs: torch.Tensor) -> torch.Tensor:
        """``(batch, channels, bins, frames)`` in the output layout."""
        batch, channels, bins, frames = outputs.shape
        if self.expand_dims:
            order = (0, 3, 2, 1) if self.data_format == "channels_last" else (0, 1, 3, 2)
            return outputs.permute(order)
        merged = outputs.reshape(batch, channels * bins, frames)
        return merged.transpose(1, 2) if self.data_format == "channels_last" else merged

    def compute_output_shape(self, input_shape: Any) -> tuple:
        batch = input_shape[0]
        if self.data_format == "channels_last":
            steps, channels = input_shape[1], input_shape[2]
        else:
            channels, steps = input_shape[1], input_shape[2]
        bins = (self._fft_length // 2 + 1) * (2 if self.mode == "stft" else 1)
        frames = _output_size(steps, self.frame_length, self._frame_step, self.padding)
        if self.expand_dims:
            if self.data_format == "channels_last":
                return (batch, frames, bins, channels)
            return (batch, channels, frames, bins)
        features = None if channels is None else channels * bins
        if self.data_format == "channels_last":
            return (batch, frames, features)
        return (batch, features, frames)

    def get_config(self) -> dict[str, Any]:
        window = self.window
        if isinstance(window, (np.ndarray, torch.Tensor)):
            window = window.tolist()
        return {
            **super().get_config(),
            "mode": self.mode,
            "frame_length": self.frame_length,
            "frame_step": self.frame_step,
            "fft_length": self.fft_length,
            "window": window,
            "periodic": self.periodic,
            "scaling": self.scaling,
            "padding": self.padding,
            "data_format": self.data_format,
            "expand_dims": self.expand_dims,
        }
