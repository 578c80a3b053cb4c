"""Random draws: ``keras.random`` on torch generators.

Every function takes a ``seed``:

- an ``int``: the draw comes from a ``torch.Generator`` seeded with it, so the same
  call gives the same numbers every time. On the CPU these are the numbers Keras 3's
  torch backend draws for that int (``truncated_normal`` too, except where Keras
  returns a value outside the truncation band, see there).
- a :class:`SeedGenerator`: each call takes a fresh seed from it, so repeated calls
  differ while the whole sequence repeats for the same starting seed.
- ``None`` (the default): the draw comes from torch's global generator, the one
  ``torch.manual_seed`` and ``torchseq.utils.set_random_seed`` set. (Keras draws from
  a hidden global ``SeedGenerator`` instead.)

Draws that take a shape are made on torch's default device (``torch.set_default_device``
or a ``with torch.device(...)`` block); ``categorical``, ``dropout`` and ``shuffle``
draw on their input's device.

Example:
    >>> from torchseq import random
    >>> bool((random.normal((2, 3), seed=1) == random.normal((2, 3), seed=1)).all())
    True
    >>> gen = random.SeedGenerator(1)
    >>> bool((random.normal((2, 3), seed=gen) == random.normal((2, 3), seed=gen)).all())
    False
"""

from __future__ import annotations

import math
import random as python_random
from numbers import Real
from typing import Any

import torch
import torch.nn.functional as F

from torchseq import config
from torchseq.ops import convert_to_tensor
from torchseq.utils import naming
from torchseq.utils.integers import is_int

__all__ = [
    "SeedGenerator",
    "beta",
    "binomial",
    "categorical",
    "dropout",
    "gamma",
    "normal",
    "randint",
    "shuffle",
    "truncated_normal",
    "uniform",
]

_MASK32 = 0xFFFFFFFF
_MASK64 = 0xFFFFFFFFFFFFFFFF
_FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
# The probability mass of a standard normal below -2: the lower edge of the truncation band.
_BELOW_TWO_SIGMA = 0.5 * math.erfc(math.sqrt(2.0))


class SeedGenerator:
    """A seed that changes at every use: pass it as ``seed`` for a repeatable stream of draws.

    Mirrors ``keras.random.SeedGenerator``. The state is a CPU int64 tensor
    ``[seed, counter]``; each draw (or :meth:`next`) uses it and then increments the
    counter. A draw seeds a fresh ``torch.Generator`` on the device being sampled from,
    so the state never has to leave the CPU and reading it costs no device sync.

    Unlike Keras's torch backend, which seeds draw ``k`` with ``seed + k`` (so the
    streams of ``SeedGenerator(1)`` and ``SeedGenerator(2)`` are the same, one draw
    apart), the pair ``(seed, counter)`` is hashed into the draw's seed.

    Args:
        seed: Starting seed, an int. Defaults to ``None``: one picked by Python's
            ``random`` module, so ``torchseq.utils.set_random_seed`` makes it repeatable.
        name: Optional name; defaults to a unique ``"seed_generator"``, ``"seed_generator_1"``...

    Example:
        >>> gen = SeedGenerator(42)
        >>> first, second = normal((2,), seed=gen), normal((2,), seed=gen)
        >>> bool((first == second).all())
        False
        >>> again = SeedGenerator(42)
        >>> bool((normal((2,), seed=again) == first).all())
        True
    """

    def __init__(self, seed: int | None = None, name: str | None = None) -> None:
        if seed is not None and not is_int(seed):
            raise TypeError(
                f"SeedGenerator: seed must be an int or None, received: seed={seed!r} "
                f"of type {type(seed).__name__}"
            )
        self._initial_seed = None if seed is None else int(seed)
        start = python_random.randint(1, 10**9) if seed is None else int(seed)
        self.name = name if name is not None else naming.unique_name("seed_generator")
        with torch.inference_mode(False):  # a state made in inference mode could not advance later
            self.state = torch.tensor([start, 0], dtype=torch.int64)

    def next(self, ordered: bool = True) -> torch.Tensor:
        """Return the current state ``[seed, counter]`` and advance it.

        Args:
            ordered: ``True`` (default) increments the counter. ``False`` scrambles both
                entries instead, as Keras does for its global generator.
        """
        current = self.state.clone()
        if ordered:
            self.state[1] += 1
        else:
            self.state.copy_((self.state + 1) * 5387 % 933199)
        return current

    def get_config(self) -> dict[str, Any]:
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SeedGenerator:
        return cls(**config)

    def __repr__(self) -> str:
        seed, counter = self.state.tolist()
        return f"SeedGenerator(name={self.name!r}, seed={seed}, counter={counter})"

    def _draw_seed(self) -> int:
        seed, counter = self.next().tolist()
        return _hash_pair(seed, counter)


def normal(
    shape: Any,
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: Any = None,
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Samples from a normal distribution ``N(mean, stddev**2)``.

    Args:
        shape: The output shape, a tuple of non-negative ints (or one int).
        mean: Mean, a float or a tensor broadcast against ``shape``. Defaults to ``0.0``.
        stddev: Standard deviation, a non-negative float or a tensor. Defaults to ``1.0``.
        dtype: A float dtype. Defaults to ``None``: ``config.floatx()``.
        seed: An int, a :class:`SeedGenerator` or ``None`` (see the module docstring).

    Example:
        >>> normal((2, 3), mean=1.0, stddev=0.1, seed=0).shape
        torch.Size([2, 3])
    """
    size = _standardize_shape("normal", shape)
    dtype = _float_dtype("normal", dtype)
    device = torch.get_default_device()
    generator = _generator("normal", seed, device)
    if isinstance(mean, torch.Tensor) or isinstance(stddev, torch.Tensor):
        draws = torch.normal(0.0, 1.0, size=size, generator=generator, dtype=dtype, device=device)
        return draws * stddev + mean
    _check_number("normal", "mean", mean)
    _check_number("normal", "stddev", stddev, at_least=0.0)
    return torch.normal(
        float(mean), float(stddev), size=size, generator=generator, dtype=dtype, device=device
    )


def uniform(
    shape: Any,
    minval: float = 0.0,
    maxval: float = 1.0,
    dtype: Any = None,
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Samples uniformly from ``[minval, maxval)``.

    Args:
        shape: The output shape, a tuple of non-negative ints (or one int).
        minval: Lower bound (included), a float or a tensor. Defaults to ``0.0``.
        maxval: Upper bound (excluded), a float or a tensor. Defaults to ``1.0``.
        dtype: A float dtype. Defaults to ``None``: ``config.floatx()``.
        seed: An int, a :class:`SeedGenerator` or ``None``.

    Example:
        >>> x = uniform((1000,), minval=-1.0, maxval=1.0, seed=0)
        >>> bool((x >= -1).all() and (x < 1).all())
        True
    """
    size = _standardize_shape("uniform", shape)
    dtype = _float_dtype("uniform", dtype)
    if not isinstance(minval, torch.Tensor) and not isinstance(maxval, torch.Tensor):
        _check_number("uniform", "minval", minval)
        _check_number("uniform", "maxval", maxval, at_least=minval)
    device = torch.get_default_device()
    draws = torch.rand(
        size, generator=_generator("uniform", seed, device), dtype=dtype, device=device
    )
    return (maxval - minval) * draws + minval


def truncated_normal(
    shape: Any,
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: Any = None,
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Samples from a normal distribution cut to ``mean ± 2 * stddev``.

    Each value is the first of four standard-normal draws that lands inside the band,
    as in Keras's torch backend, so an int seed gives Keras's numbers on the CPU. When
    all four land outside (about 4 times in a million), Keras keeps an out-of-band
    value; here that value is replaced by one drawn inside the band by inverting the
    normal CDF, so every value is within the bounds.

    Args:
        shape: The output shape, a tuple of non-negative ints (or one int).
        mean: Mean, a float. Defaults to ``0.0``.
        stddev: Standard deviation before truncation, a non-negative float.
            Defaults to ``1.0``.
        dtype: A float dtype. Defaults to ``None``: ``config.floatx()``.
        seed: An int, a :class:`SeedGenerator` or ``None``.

    Example:
        >>> x = truncated_normal((1000,), stddev=0.5, seed=0)
        >>> bool((x.abs() <= 1.0).all())
        True
    """
    size = _standardize_shape("truncated_normal", shape)
    dtype = _float_dtype("truncated_normal", dtype)
    _check_number("truncated_normal", "mean", mean)
    _check_number("truncated_normal", "stddev", stddev, at_least=0.0)
    device = torch.get_default_device()
    generator = _generator("truncated_normal", seed, device)
    candidates = torch.normal(
        0.0, 1.0, size=(*size, 4), generator=generator, dtype=dtype, device=device
    )
    found, first = ((candidates > -2) & (candidates < 2)).max(dim=-1, keepdim=True)
    values = candidates.gather(-1, first).squeeze(-1)
    # Filled for every position, used only where no candidate fit: no host sync needed.
    fallback = _inside_two_sigma(size, generator, dtype, device)
    values = torch.where(found.squeeze(-1), values, fallback)
    return values * stddev + mean


def randint(
    shape: Any,
    minval: int,
    maxval: int,
    dtype: Any = "int32",
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Samples integers uniformly from ``[minval, maxval)``.

    Args:
        shape: The output shape, a tuple of non-negative ints (or one int).
        minval: Lower bound (included), an int.
        maxval: Upper bound (excluded), an int greater than ``minval``.
        dtype: An integer dtype. Defaults to ``"int32"``.
        seed: An int, a :class:`SeedGenerator` or ``None``.

    Example:
        >>> randint((4,), 0, 10, seed=0).dtype
        torch.int32
    """
    size = _standardize_shape("randint", shape)
    dtype = _int_dtype("randint", dtype)
    low = _integer_bound("randint", "minval", minval)
    high = _integer_bound("randint", "maxval", maxval)
    if high <= low:
        raise ValueError(
            f"randint expects maxval > minval, received: minval={minval}, maxval={maxval}"
        )
    device = torch.get_default_device()
    return torch.randint(
        low, high, size, generator=_generator("randint", seed, device), dtype=dtype, device=device
    )


def categorical(
    logits: Any,
    num_samples: int,
    dtype: Any = "int32",
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Samples class indices from the categorical distributions given by ``logits``.

    Args:
        logits: A 2-D tensor ``(batch_size, num_classes)`` of unnormalised
            log-probabilities, one distribution per row.
        num_samples: Positive int, the number of independent draws per row.
        dtype: An integer dtype. Defaults to ``"int32"``.
        seed: An int, a :class:`SeedGenerator` or ``None``.

    Returns:
        A tensor ``(batch_size, num_samples)`` of class indices, on ``logits``' device.

    Example:
        >>> categorical(torch.tensor([[0.0, 100.0]]), 3, seed=0)
        tensor([[1, 1, 1]], dtype=torch.int32)
    """
    dtype = _int_dtype("categorical", dtype)
    logits = _floating(logits)
    if logits.ndim != 2:
        raise ValueError(
            "categorical expects 2-D logits of shape (batch_size, num_classes), received: "
            f"logits.shape={tuple(logits.shape)}"
        )
    if not is_int(num_samples) or num_samples <= 0:
        raise ValueError(
            f"categorical expects num_samples to be a positive int, received: "
            f"num_samples={num_samples!r}"
        )
    generator = _generator("categorical", seed, logits.device)
    probabilities = torch.softmax(logits, dim=-1)
    draws = torch.multinomial(
        probabilities, int(num_samples), replacement=True, generator=generator
    )
    return draws.to(dtype)


def dropout(
    inputs: Any,
    rate: float,
    noise_shape: Any = None,
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Zeroes entries with probability ``rate`` and scales the rest by ``1 / (1 - rate)``.

    Args:
        inputs: A float tensor (other inputs are converted; integers become ``floatx``).
        rate: Float in ``[0, 1]``, the probability of dropping an entry. ``1`` gives zeros.
        noise_shape: Optional shape of the keep/drop mask, one entry per input axis,
            each ``None`` (the input's size), ``1`` (one decision shared along that axis)
            or the input's size.
        seed: An int, a :class:`SeedGenerator` or ``None``. With ``None`` and no
            ``noise_shape`` the mask comes from torch's fused ``F.dropout``.

    Example:
        >>> dropout(torch.ones(6), 0.5, seed=0).unique().tolist()
        [0.0, 2.0]
    """
    x = _floating(inputs)
    if isinstance(rate, bool) or not isinstance(rate, Real):
        raise TypeError(
            f"dropout expects rate to be a float, received: rate={rate!r} "
            f"of type {type(rate).__name__}"
        )
    if not 0 <= rate <= 1:
        raise ValueError(f"dropout expects rate in [0, 1], received: rate={rate}")
    mask_shape = _mask_shape(noise_shape, x.shape)
    _check_seed("dropout", seed)
    if rate == 1:
        return torch.zeros_like(x)
    if rate == 0:
        return x
    if seed is None and noise_shape is None:
        return F.dropout(x, float(rate), training=True)
    generator = _generator("dropout", seed, x.device)
    keep = 1.0 - float(rate)
    probabilities = torch.full(mask_shape, keep, dtype=torch.float32, device=x.device)
    kept = torch.bernoulli(probabilities, generator=generator).bool()
    return torch.where(kept, x / keep, torch.zeros_like(x))


def shuffle(x: Any, axis: int = 0, seed: int | SeedGenerator | None = None) -> torch.Tensor:
    """Permutes ``x`` at random along ``axis``.

    As in Keras's torch backend, slices along earlier axes get independent
    permutations, and entries along later axes move together: ``axis=0`` shuffles whole
    rows; ``axis=1`` on a matrix shuffles each row's columns on its own.

    Args:
        x: A tensor (or anything ``ops.convert_to_tensor`` takes) of rank >= 1.
        axis: The axis to shuffle along; negative values count from the end.
            Defaults to ``0``.
        seed: An int, a :class:`SeedGenerator` or ``None``.

    Example:
        >>> sorted(shuffle(torch.arange(5), seed=0).tolist())
        [0, 1, 2, 3, 4]
    """
    x = convert_to_tensor(x)
    if x.ndim == 0:
        raise ValueError("shuffle expects a tensor of rank >= 1, received a scalar (shape ())")
    if not is_int(axis) or not -x.ndim <= axis < x.ndim:
        raise ValueError(
            f"shuffle expects an int axis in [{-x.ndim}, {x.ndim}) for an input of rank "
            f"{x.ndim}, received: axis={axis!r}"
        )
    axis = int(axis) % x.ndim
    generator = _generator("shuffle", seed, x.device)
    keys = torch.rand(x.shape[: axis + 1], generator=generator, device=x.device)
    order = keys.argsort(dim=axis)
    order = order.reshape(order.shape + (1,) * (x.ndim - axis - 1)).expand(x.shape)
    return x.gather(axis, order)


def gamma(
    shape: Any, alpha: Any, dtype: Any = None, seed: int | SeedGenerator | None = None
) -> torch.Tensor:
    """Samples from a Gamma distribution with concentration ``alpha`` and rate 1.

    Args:
        shape: The output shape, a tuple of non-negative ints (or one int).
        alpha: Positive float, or a tensor that broadcasts to ``shape``.
        dtype: A float dtype. Defaults to ``None``: ``config.floatx()``.
        seed: An int, a :class:`SeedGenerator` or ``None``.

    Example:
        >>> bool((gamma((100,), alpha=2.0, seed=0) > 0).all())
        True
    """
    size = _standardize_shape("gamma", shape)
    dtype = _float_dtype("gamma", dtype)
    _check_positive("gamma", "alpha", alpha)
    device = torch.get_default_device()
    generator = _generator("gamma", seed, device)
    concentration = _parameter("gamma", "alpha", alpha, size, dtype, device)
    with torch.no_grad():
        # torch's public Gamma distribution samples only from the global generator.
        draws = torch._standard_gamma(concentration, generator=generator)
    # Samples that underflow to 0 are moved to the smallest positive float, as torch does.
    return draws.clamp_(min=torch.finfo(draws.dtype).tiny).to(dtype)


def binomial(
    shape: Any,
    counts: Any,
    probabilities: Any,
    dtype: Any = None,
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Samples success counts from Binomial distributions.

    Args:
        shape: The output shape, a tuple of non-negative ints (or one int).
        counts: Number of trials, a non-negative number or a tensor that broadcasts
            to ``shape``.
        probabilities: Probability of success of each trial, a float in ``[0, 1]`` or a
            tensor that broadcasts to ``shape``.
        dtype: A float or integer dtype. Defaults to ``None``: ``config.floatx()``.
        seed: An int, a :class:`SeedGenerator` or ``None``.

    Example:
        >>> x = binomial((100,), counts=10, probabilities=0.5, seed=0)
        >>> bool(((x >= 0) & (x <= 10)).all())
        True
    """
    size = _standardize_shape("binomial", shape)
    dtype = _numeric_dtype("binomial", dtype)
    _check_number("binomial", "counts", counts, at_least=0.0)
    _check_number("binomial", "probabilities", probabilities, at_least=0.0, at_most=1.0)
    device = torch.get_default_device()
    generator = _generator("binomial", seed, device)
    trials = _parameter("binomial", "counts", counts, size, dtype, device)
    success = _parameter("binomial", "probabilities", probabilities, size, dtype, device)
    with torch.no_grad():
        draws = torch.binomial(trials, success, generator=generator)
    return draws.to(dtype)


def beta(
    shape: Any,
    alpha: Any,
    beta: Any,
    dtype: Any = None,
    seed: int | SeedGenerator | None = None,
) -> torch.Tensor:
    """Samples from Beta distributions, values in ``[0, 1]``.

    Args:
        shape: The output shape, a tuple of non-negative ints (or one int).
        alpha: First concentration, a positive float or a tensor that broadcasts
            to ``shape``.
        beta: Second concentration, a positive float or a tensor that broadcasts
            to ``shape``.
        dtype: A float dtype. Defaults to ``None``: ``config.floatx()``.
        seed: An int, a :class:`SeedGenerator` or ``None``.

    Example:
        >>> x = beta((100,), alpha=2.0, beta=5.0, seed=0)
        >>> bool(((x >= 0) & (x <= 1)).all())
        True
    """
    size = _standardize_shape("beta", shape)
    dtype = _float_dtype("beta", dtype)
    _check_positive("beta", "alpha", alpha)
    _check_positive("beta", "beta", beta)
    device = torch.get_default_device()
    generator = _generator("beta", seed, device)
    first = _parameter("beta", "alpha", alpha, size, dtype, device)
    second = _parameter("beta", "beta", beta, size, dtype, device)
    with torch.no_grad():
        # A Beta draw is the first coordinate of a 2-class Dirichlet draw, as torch builds
        # it; the private kernel is the one that accepts a generator.
        pairs = torch._sample_dirichlet(torch.stack([first, second], dim=-1), generator=generator)
    return pairs.select(-1, 0).to(dtype)


# ---------------------------------------------------------------------------- seeds


def _generator(
    fn: str, seed: int | SeedGenerator | None, device: torch.device
) -> torch.Generator | None:
    """A generator seeded from ``seed`` on ``device``; ``None`` means torch's global one."""
    _check_seed(fn, seed)
    if seed is None:
        return None
    # Keras's torch backend seeds with the low 32 bits of an int seed.
    value = seed._draw_seed() if isinstance(seed, SeedGenerator) else int(seed) & _MASK32
    if device.type == "meta":
        return None
    return torch.Generator(device=device).manual_seed(value)


def _check_seed(fn: str, seed: Any) -> None:
    if seed is not None and not isinstance(seed, SeedGenerator) and not is_int(seed):
        raise TypeError(
            f"{fn} expects seed to be an int, a SeedGenerator or None, received: "
            f"seed={seed!r} of type {type(seed).__name__}"
        )


def _hash_pair(seed: int, counter: int) -> int:
    """splitmix64 of ``(seed, counter)``: neighbouring pairs give unrelated 64-bit seeds."""
    z = (((seed & _MASK32) << 32) | (counter & _MASK32)) + 0x9E3779B97F4A7C15
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def _inside_two_sigma(
    size: tuple[int, ...],
    generator: torch.Generator | None,
    dtype: torch.dtype,
    device: torch.device,
) -> torch.Tensor:
    """Standard-normal values conditioned on ``|x| <= 2``, by inverting the CDF."""
    work = torch.float64 if dtype == torch.float64 else torch.float32
    u = torch.rand(size, generator=generator, dtype=work, device=device)
    p = _BELOW_TWO_SIGMA + u * (1.0 - 2.0 * _BELOW_TWO_SIGMA)
    return (math.sqrt(2.0) * torch.erfinv(2.0 * p - 1.0)).clamp_(-2.0, 2.0).to(dtype)


# ----------------------------------------------------------------------- arguments


def _standardize_shape(fn: str, shape: Any) -> tuple[int, ...]:
    dims = (shape,) if is_int(shape) else shape
    if not isinstance(dims, (tuple, list, torch.Size)) or not all(is_int(d) for d in dims):
        raise TypeError(f"{fn} expects shape to be a tuple of ints, received: shape={shape!r}")
    if any(d < 0 for d in dims):
        raise ValueError(f"{fn} expects non-negative dimensions, received: shape={shape!r}")
    return tuple(int(d) for d in dims)


def _float_dtype(fn: str, dtype: Any) -> torch.dtype:
    resolved = config.standardize_dtype(dtype)
    if resolved not in _FLOAT_DTYPES:
        raise ValueError(
            f"{fn} expects a float dtype (float16, bfloat16, float32 or float64), "
            f"received: dtype={dtype!r}"
        )
    return resolved


def _int_dtype(fn: str, dtype: Any) -> torch.dtype:
    resolved = config.standardize_dtype(dtype)
    if resolved.is_floating_point or resolved.is_complex or resolved == torch.bool:
        raise ValueError(
            f"{fn} expects an integer dtype such as 'int32' or 'int64', received: dtype={dtype!r}"
        )
    return resolved


def _numeric_dtype(fn: str, dtype: Any) -> torch.dtype:
    resolved = config.standardize_dtype(dtype)
    return resolved if resolved in _FLOAT_DTYPES else _int_dtype(fn, dtype)


def _check_number(
    fn: str,
    name: str,
    value: Any,
    at_least: float | None = None,
    at_most: float | None = None,
) -> None:
    """Check a Python number's type and range; tensors are left to torch."""
    if isinstance(value, torch.Tensor):
        return
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(
            f"{fn} expects {name} to be a number, received: {name}={value!r} "
            f"of type {type(value).__name__}"
        )
    too_low = at_least is not None and value < at_least
    too_high = at_most is not None and value > at_most
    if too_low or too_high:
        low = "-inf" if at_least is None else at_least
        high = "inf" if at_most is None else at_most
        raise ValueError(f"{fn} expects {name} in [{low}, {high}], received: {name}={value}")


def _check_positive(fn: str, name: str, value: Any) -> None:
    _check_number(fn, name, value)
    if not isinstance(value, torch.Tensor) and value <= 0:
        raise ValueError(f"{fn} expects {name} > 0, received: {name}={value}")


def _integer_bound(fn: str, name: str, value: Any) -> int:
    if is_int(value):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise TypeError(f"{fn} expects {name} to be an int, received: {name}={value!r}")


def _parameter(
    fn: str, name: str, value: Any, size: tuple[int, ...], dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """A distribution parameter as a float tensor of exactly ``size``."""
    work = torch.float64 if dtype == torch.float64 else torch.float32
    tensor = torch.as_tensor(value, dtype=work, device=device)
    try:
        return tensor.broadcast_to(size)
    except RuntimeError as e:
        raise ValueError(
            f"{fn} expects {name} to broadcast to shape {size}, received: "
            f"{name} of shape {tuple(tensor.shape)}"
        ) from e


def _floating(x: Any) -> torch.Tensor:
    tensor = convert_to_tensor(x)
    if tensor.is_floating_point():
        return tensor
    return tensor.to(config.standardize_dtype(None))


def _mask_shape(noise_shape: Any, input_shape: torch.Size) -> tuple[int, ...]:
    if noise_shape is None:
        return tuple(input_shape)
    if not isinstance(noise_shape, (tuple, list, torch.Size)) or not all(
        d is None or is_int(d) for d in noise_shape
    ):
        raise TypeError(
            "dropout expects noise_shape to be a tuple of ints and None, received: "
            f"noise_shape={noise_shape!r}"
        )
    fits = len(noise_shape) == len(input_shape) and all(
        d is None or d in (1, size) for d, size in zip(noise_shape, input_shape)
    )
    if not fits:
        raise ValueError(
            f"dropout expects noise_shape to broadcast to the input shape "
            f"{tuple(input_shape)} (one entry per axis, each None, 1 or the input's size), "
            f"received: noise_shape={tuple(noise_shape)}"
        )
    return tuple(size if d is None else int(d) for d, size in zip(noise_shape, input_shape))
