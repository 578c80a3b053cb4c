"""Window functions for signal processing, symmetric as numpy's (``floatx`` values)."""

from __future__ import annotations

import torch

from torchseq.ops._convert import Tensor, _floatx
from torchseq.utils.integers import is_int

__all__ = ["bartlett", "blackman", "hamming", "hanning", "kaiser"]


def _length(x: int, name: str) -> int:
    if isinstance(x, torch.Tensor):
        x = int(x)
    if not is_int(x) or x < 0:
        raise ValueError(f"{name} expected a window length as an int >= 0, received: x={x!r}")
    return int(x)


def bartlett(x: int) -> Tensor:
    """The Bartlett (triangular) window of ``x`` points."""
    return torch.signal.windows.bartlett(_length(x, "bartlett"), dtype=_floatx())


def blackman(x: int) -> Tensor:
    """The Blackman window of ``x`` points."""
    return torch.signal.windows.blackman(_length(x, "blackman"), dtype=_floatx())


def hamming(x: int) -> Tensor:
    """The Hamming window of ``x`` points."""
    return torch.signal.windows.hamming(_length(x, "hamming"), dtype=_floatx())


def hanning(x: int) -> Tensor:
    """The Hann window of ``x`` points."""
    return torch.signal.windows.hann(_length(x, "hanning"), dtype=_floatx())


def kaiser(x: int, beta: float) -> Tensor:
    """The Kaiser window of ``x`` points; ``beta`` sets the shape (0: rectangular)."""
    return torch.signal.windows.kaiser(_length(x, "kaiser"), beta=float(beta), dtype=_floatx())
