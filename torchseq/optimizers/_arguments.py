"""Argument handling shared by the optimizers: range checks, learning rates, Keras positionals.

Messages name the optimizer and the argument and echo what was received.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import torch

from torchseq.optimizers import schedules

__all__ = [
    "accept_keras_positional",
    "check_int",
    "check_learning_rate",
    "check_number",
    "takes_one_argument",
]


def check_number(
    owner: str,
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    optional: bool = False,
) -> float | None:
    """Return ``value`` as a float after checking it is a finite number in the bounds.

    Args:
        owner: The optimizer's class name, for messages.
        name: The argument's name.
        value: What was received.
        low: Smallest allowed value (or the open lower bound with ``low_open``).
        high: Largest allowed value.
        low_open: Exclude ``low`` itself.
        optional: Accept (and return) ``None``.

    Raises:
        TypeError: For a value that is not a real number (``bool`` included).
        ValueError: For a non-finite value or one outside the bounds.
    """
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        expected = "a number or None" if optional else "a number"
        raise TypeError(
            f"{owner}: {name} must be {expected}, received: {name}={value!r} "
            f"of type {type(value).__name__}"
        )
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and value > high
    if not math.isfinite(value) or too_low or too_high:
        raise ValueError(
            f"{owner}: {name} must be {_describe(low, high, low_open)}, received: {name}={value}"
        )
    return float(value)


def check_int(
    owner: str, name: str, value: Any, *, minimum: int, optional: bool = True
) -> int | None:
    """Return ``value`` after checking it is an int ``>= minimum`` (or ``None``, if optional)."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        expected = "an int or None" if optional else "an int"
        raise TypeError(
            f"{owner}: {name} must be {expected}, received: {name}={value!r} "
            f"of type {type(value).__name__}"
        )
    if value < minimum:
        raise ValueError(f"{owner}: {name} must be >= {minimum}, received: {name}={value}")
    return int(value)


def check_learning_rate(owner: str, value: Any) -> float:
    """Return a numeric learning rate (a 0-d tensor is read once) as a float ``>= 0``."""
    if isinstance(value, torch.Tensor) and value.ndim == 0:
        value = value.item()  # once, when the rate is set, never per step
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{owner}: learning_rate must be a number, a "
            "LearningRateSchedule or a callable of the step, received: "
            f"learning_rate={value!r} of type {type(value).__name__}"
        )
    return check_number(owner, "learning_rate", value, low=0)


def accept_keras_positional(init: Callable[..., None]) -> Callable[..., None]:
    """Let ``SGD(0.01, 0.9)`` mean Keras's ``(learning_rate, momentum)`` despite ``params`` first."""

    @functools.wraps(init)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
        if args and _looks_like_learning_rate(args[0]):
            args = (None, *args)
        init(self, *args, **kwargs)

    return wrapper


def _looks_like_learning_rate(value: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return value.ndim == 0
    if isinstance(value, (numbers.Real, schedules.LearningRateSchedule)):
        return not isinstance(value, bool)
    return callable(value) and not isinstance(value, (torch.nn.Module, Iterable))


def takes_one_argument(function: Callable[..., Any]) -> bool:
    """Whether a learning-rate callable takes the step (Keras 3's plain callables take none)."""
    try:
        inspect.signature(function).bind(0)
    except TypeError:
        return False
    except ValueError:  # no signature available (some builtins): assume Keras's step argument
        return True
    return True


def _describe(low: float | None, high: float | None, low_open: bool) -> str:
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low}, {high}]"
    if low is not None:
        return f"a finite number {'>' if low_open else '>='} {low}"
    if high is not None:
        return f"a finite number <= {high}"
    return "a finite number"
