"""``MelSpectrogram``: mel-scale power spectrograms of audio signals (optionally in decibels)."""

from __future__ import annotations

import math
from typing import Any

import torch

from torchseq import config, ops
from torchseq.layers.layer import Layer

__all__ = ["MelSpectrogram"]

# The HTK mel scale: mel(f) = 1127 ln(1 + f / 700).
_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


class MelSpectrogram(Layer):
    """Mel spectrograms of one signal or a batch of signals, as ``keras.layers.MelSpectrogram``.

    The signal's short-time Fourier transform (frames centred on their times) gives a
    magnitude spectrogram, raised to ``mag_exp``, mapped onto ``num_mel_bins`` triangular mel
    filters (HTK convention), and with ``power_to_db`` turned into decibels relative to
    ``ref_power``, floored at ``top_db`` below the largest value of the whole call's output.
    The layer has no weights.

    Args:
        fft_length: FFT size. Default 2048.
        sequence_stride: Samples between frame starts. Default 512.
        sequence_length: Samples per windowed frame, at most ``fft_length``; default
            ``fft_length``.
        window: ``"hann"`` (default), ``"hamming"``, a tensor of ``sequence_length`` values,
            or ``None``.
        sampling_rate: Samples per second of the signal. Default 16000.
        num_mel_bins: Mel filters. Default 128.
        min_freq: Lower edge of the lowest filter, in Hz. Default 20.0.
        max_freq: Upper edge of the highest filter, in Hz; default ``sampling_rate / 2``.
        power_to_db: Convert to decibels. Default ``True``.
        top_db: Decibels kept below the maximum. Default 80.0.
        mag_exp: Exponent of the magnitude (1: magnitude, 2: power). Default 2.0.
        min_power: Floor of the power and of ``ref_power`` before the logarithm. Default 1e-10.
        ref_power: The power that is 0 dB. Default 1.0.
        **kwargs: Base layer arguments (``name``, ``dtype``...).

    Input shape: ``(samples,)`` or ``(batch, samples)``.

    Output shape: ``(num_mel_bins, frames)`` or ``(batch, num_mel_bins, frames)`` with
    ``frames = 1 + samples // sequence_stride``.

    Example:
        >>> MelSpectrogram(num_mel_bins=64, sampling_rate=8000, sequence_stride=256)(
        ...     torch.rand(16000)).shape
        torch.Size([64, 63])
    """

    def __init__(
        self,
        fft_length: int = 2048,
        sequence_stride: int = 512,
        sequence_length: int | None = None,
        window: Any = "hann",
        sampling_rate: int = 16000,
        num_mel_bins: int = 128,
        min_freq: float = 20.0,
        max_freq: float | None = None,
        power_to_db: bool = True,
        top_db: float = 80.0,
        mag_exp: float = 2.0,
        min_power: float = 1e-10,
        ref_power: float = 1.0,
        **kwargs: Any,
    ) -> None:
        sequence_length = sequence_length or fft_length
        if fft_length < sequence_length:
            raise ValueError(
                "MelSpectrogram expected fft_length >= sequence_length, received: "
                f"fft_length={fft_length}, sequence_length={sequence_length}"
            )
        super().__init__(**kwargs)
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        # As Keras: the transform runs in float32 unless the layer computes in float64.
        dtype = self._dtype if self._dtype == torch.float64 else torch.float32
        spectrum = self._spectrogram(inputs.to(dtype))
        weights = self.linear_to_mel_weight_matrix(
            num_mel_bins=self.num_mel_bins,
            num_spectrogram_bins=spectrum.shape[-1],
            sampling_rate=self.sampling_rate,
            lower_edge_hertz=self.min_freq,
            upper_edge_hertz=self.max_freq,
        )
        outputs = spectrum @ weights.to(device=spectrum.device, dtype=spectrum.dtype)
        if self.power_to_db:
            outputs = self._decibels(outputs)
        return outputs.transpose(-1, -2).to(self._dtype)

    def _spectrogram(self, signals: torch.Tensor) -> torch.Tensor:
        """``|STFT| ** mag_exp``: ``(..., frames, fft_length // 2 + 1)``."""
        real, imag = ops.stft(
            signals,
            sequence_length=self.sequence_length,
            sequence_stride=self.sequence_stride,
            fft_length=self.fft_length,
            window=self.window,
            center=True,
        )
        return torch.pow(torch.sqrt(torch.square(real) + torch.square(imag)), self.mag_exp)

    def _decibels(self, power: torch.Tensor) -> torch.Tensor:
        decibels = 10.0 * torch.log10(torch.clamp(power, min=self.min_power))
        decibels = decibels - 10.0 * math.log10(max(abs(self.ref_power), self.min_power))
        return torch.maximum(decibels, decibels.max() - self.top_db)

    def linear_to_mel_weight_matrix(
        self,
        num_mel_bins: int = 20,
        num_spectrogram_bins: int = 129,
        sampling_rate: float = 8000,
        lower_edge_hertz: float = 125.0,
        upper_edge_hertz: float = 3800.0,
        dtype: Any = "float32",
    ) -> torch.Tensor:
        """The ``(num_spectrogram_bins, num_mel_bins)`` matrix from linear frequency bins (0
        to ``sampling_rate / 2``) to triangular mel filters with peaks of 1 (HTK's mel
        scale, the DC bin left out), as Keras's method of the same name."""
        dtype = config.standardize_dtype(dtype)
        bins_hertz = torch.linspace(0.0, sampling_rate / 2.0, num_spectrogram_bins, dtype=dtype)
        bins_mel = _hertz_to_mel(bins_hertz[1:]).unsqueeze(1)
        edges = torch.linspace(
            float(_hertz_to_mel(torch.tensor(lower_edge_hertz, dtype=dtype))),
            float(_hertz_to_mel(torch.tensor(upper_edge_hertz, dtype=dtype))),
            num_mel_bins + 2,
            dtype=dtype,
        )
        lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
        rising = (bins_mel - lower) / (center - lower)
        falling = (upper - bins_mel) / (upper - center)
        weights = torch.clamp(torch.minimum(rising, falling), min=0.0)
        return torch.nn.functional.pad(weights, (0, 0, 1, 0))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        samples = input_shape[-1]
        frames = None if samples is None else 1 + samples // self.sequence_stride
        return (*tuple(input_shape[:-1]), self.num_mel_bins, frames)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "fft_length": self.fft_length,
            "sequence_stride": self.sequence_stride,
            "sequence_length": self.sequence_length,
            "window": self.window,
            "sampling_rate": self.sampling_rate,
            "num_mel_bins": self.num_mel_bins,
            "min_freq": self.min_freq,
            "max_freq": self.max_freq,
            "power_to_db": self.power_to_db,
            "top_db": self.top_db,
            "mag_exp": self.mag_exp,
            "min_power": self.min_power,
            "ref_power": self.ref_power,
        }


def _hertz_to_mel(frequencies: torch.Tensor) -> torch.Tensor:
    return _MEL_HIGH_FREQUENCY_Q * torch.log(1.0 + frequencies / _MEL_BREAK_FREQUENCY_HERTZ)
