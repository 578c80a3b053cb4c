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

from torchseq.initializers._base import Initializer
from torchseq.initializers._constant import STFT, Constant, Identity, Ones, Zeros
from torchseq.initializers._lookup import (
    IdentityInitializer,
    OrthogonalInitializer,
    STFTInitializer,
    constant,
    deserialize,
    get,
    glorot_normal,
    glorot_uniform,
    he_normal,
    he_uniform,
    identity,
    lecun_normal,
    lecun_uniform,
    ones,
    orthogonal,
    random_normal,
    random_uniform,
    serialize,
    stft,
    truncated_normal,
    variance_scaling,
    zeros,
)
from torchseq.initializers._random import Orthogonal, RandomNormal, RandomUniform, TruncatedNormal
from torchseq.initializers._variance_scaling import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    VarianceScaling,
    compute_fans,
)

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
