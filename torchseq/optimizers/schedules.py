"""Learning-rate schedules with Keras 3's names, defaults, formulas and configs.

A schedule maps the optimizer's step count to a learning rate. Given a Python
number (what torchseq's optimizers pass, from a host-side counter) it returns a
Python float, so evaluating it costs no device work; given a tensor it returns a
tensor of ``config.floatx()`` on the same device, as Keras's schedules do.

Example:
    >>> from torchseq.optimizers import SGD, schedules
    >>> schedule = schedules.ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)
    >>> schedule(100)
    0.05
    >>> optimizer = SGD(learning_rate=schedule)
"""

from __future__ import annotations

import bisect
import itertools
import math
import numbers
from collections.abc import Sequence
from typing import Any

import torch

from torchseq import config
from torchseq.utils import identifiers

__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "deserialize",
    "serialize",
]

# A value that is either a Python float (host path) or a 0-d float tensor (device path).
_Value = float | torch.Tensor


class LearningRateSchedule:
    """Base class: subclasses implement ``__call__(step)`` and ``get_config()``.

    ``step`` is the number of optimizer updates applied so far (0 for the first
    update), a Python number or an integer tensor.

    Example:
        >>> class Halving(LearningRateSchedule):
        ...     def __init__(self, initial_learning_rate):
        ...         self.initial_learning_rate = initial_learning_rate
        ...     def __call__(self, step):
        ...         return self.initial_learning_rate / (step + 1)
        ...     def get_config(self):
        ...         return {"initial_learning_rate": self.initial_learning_rate}
        >>> Halving(1.0)(1)
        0.5
    """

    def __call__(self, step: Any) -> Any:
        raise NotImplementedError(
            f"Learning rate schedule {type(self).__name__} must implement __call__(self, step)"
        )

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-serialisable."""
        raise NotImplementedError(
            f"Learning rate schedule {type(self).__name__} must implement get_config() "
            "to be serializable"
        )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        """Rebuild a schedule from the output of :meth:`get_config`."""
        return cls(**config)

    def __repr__(self) -> str:
        try:
            args = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Args:
        initial_learning_rate: The learning rate at step 0.
        decay_steps: Positive number of steps per factor of ``decay_rate``.
        decay_rate: The factor applied every ``decay_steps`` steps.
        staircase: If ``True``, ``step / decay_steps`` is floored, so the rate
            drops in discrete steps. Defaults to ``False``.
        name: Defaults to ``"ExponentialDecay"``.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ) -> None:
        self.initial_learning_rate = _number("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _positive("decay_steps", decay_steps)
        self.decay_rate = _number("decay_rate", decay_rate)
        self.staircase = staircase
        self.name = name

    def __call__(self, step: Any) -> _Value:
        progress = _as_float(step) / self.decay_steps
        if self.staircase:
            progress = _floor(progress)
        return self.initial_learning_rate * self.decay_rate**progress

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    Args:
        initial_learning_rate: The learning rate at step 0.
        decay_steps: Positive number of steps per unit of ``decay_rate``.
        decay_rate: How fast the rate falls.
        staircase: If ``True``, ``step / decay_steps`` is floored. Defaults to ``False``.
        name: Defaults to ``"InverseTimeDecay"``.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ) -> None:
        self.initial_learning_rate = _number("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _positive("decay_steps", decay_steps)
        self.decay_rate = _number("decay_rate", decay_rate)
        self.staircase = staircase
        self.name = name

    def __call__(self, step: Any) -> _Value:
        progress = _as_float(step) / self.decay_steps
        if self.staircase:
            progress = _floor(progress)
        return self.initial_learning_rate / (1.0 + self.decay_rate * progress)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, then ``values[1]`` up to ``boundaries[1]``, ...

    Args:
        boundaries: Strictly increasing step numbers.
        values: One more value than ``boundaries``: the rate on each interval.
        name: Defaults to ``"PiecewiseConstant"``.
    """

    def __init__(
        self, boundaries: Sequence[float], values: Sequence[float], name: str = "PiecewiseConstant"
    ) -> None:
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "PiecewiseConstantDecay expected one more value than boundaries, received: "
                f"boundaries={list(boundaries)} (length {len(boundaries)}) and "
                f"values={list(values)} (length {len(values)})"
            )
        if any(low >= high for low, high in itertools.pairwise(boundaries)):
            raise ValueError(
                "PiecewiseConstantDecay expected strictly increasing boundaries, "
                f"received: boundaries={list(boundaries)}"
            )
        self.boundaries = list(boundaries)
        self.values = list(values)
        self.name = name

    def __call__(self, step: Any) -> _Value:
        if isinstance(step, torch.Tensor):
            boundaries = torch.tensor(self.boundaries, dtype=torch.float64, device=step.device)
            values = torch.tensor(self.values, dtype=_floatx(), device=step.device)
            return values[torch.bucketize(step.to(torch.float64), boundaries)]
        return self.values[bisect.bisect_left(self.boundaries, step)]

    def get_config(self) -> dict[str, Any]:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """From ``initial_learning_rate`` to ``end_learning_rate`` along ``(1 - step / decay_steps) ** power``.

    After ``decay_steps`` the rate stays at ``end_learning_rate``, unless ``cycle``:
    then the decay restarts over the next multiple of ``decay_steps``.

    Args:
        initial_learning_rate: The learning rate at step 0.
        decay_steps: Positive number of steps to reach ``end_learning_rate``.
        end_learning_rate: Defaults to ``0.0001``.
        power: Defaults to ``1.0`` (linear).
        cycle: Defaults to ``False``.
        name: Defaults to ``"PolynomialDecay"``.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ) -> None:
        self.initial_learning_rate = _number("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _positive("decay_steps", decay_steps)
        self.end_learning_rate = _number("end_learning_rate", end_learning_rate)
        self.power = _number("power", power)
        self.cycle = cycle
        self.name = name

    def __call__(self, step: Any) -> _Value:
        step = _as_float(step)
        if self.cycle:
            periods = _where(step == 0, 1.0, _ceil(step / self.decay_steps))
            decay_steps = self.decay_steps * periods
        else:
            step = _minimum(step, self.decay_steps)
            decay_steps = self.decay_steps
        remaining = 1.0 - step / decay_steps
        span = self.initial_learning_rate - self.end_learning_rate
        return span * remaining**self.power + self.end_learning_rate

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class CosineDecay(LearningRateSchedule):
    """Optional linear warm-up, then a half cosine down to ``alpha`` times the peak rate.

    Without ``warmup_target`` the decay starts from ``initial_learning_rate``.
    With it, the rate first rises linearly from ``initial_learning_rate`` to
    ``warmup_target`` over ``warmup_steps``, then decays from ``warmup_target``.

    Args:
        initial_learning_rate: The learning rate at step 0.
        decay_steps: Positive number of steps of the cosine decay.
        alpha: The final rate as a fraction of the peak. Defaults to ``0.0``.
        name: Defaults to ``"CosineDecay"``.
        warmup_target: The rate at the end of the warm-up, or ``None`` for no
            warm-up. Defaults to ``None``.
        warmup_steps: Length of the warm-up. Defaults to ``0``.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: float = 0,
    ) -> None:
        self.initial_learning_rate = _number("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _positive("decay_steps", decay_steps)
        self.alpha = _number("alpha", alpha)
        self.name = name
        self.warmup_target = None if warmup_target is None else _number("warmup_target", warmup_target)
        self.warmup_steps = _number("warmup_steps", warmup_steps)

    def __call__(self, step: Any) -> _Value:
        step = _as_float(step)
        if self.warmup_target is None:
            step = _minimum(step, self.decay_steps)
            return self._decay(step, self.initial_learning_rate)
        step = _minimum(step, self.decay_steps + self.warmup_steps)
        in_warmup = step < self.warmup_steps
        if not isinstance(step, torch.Tensor):
            return self._warmup(step) if in_warmup else self._decay(step - self.warmup_steps)
        return torch.where(in_warmup, self._warmup(step), self._decay(step - self.warmup_steps))

    def _warmup(self, step: _Value) -> _Value:
        rise = self.warmup_target - self.initial_learning_rate
        return rise * (step / self.warmup_steps) + self.initial_learning_rate

    def _decay(self, step: _Value, peak: float | None = None) -> _Value:
        peak = self.warmup_target if peak is None else peak
        cosine = 0.5 * (1.0 + _cos(math.pi * (step / self.decay_steps)))
        return peak * ((1.0 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR).

    The first period lasts ``first_decay_steps``; each later period is ``t_mul``
    times longer and starts from ``m_mul`` times the previous peak.

    Args:
        initial_learning_rate: The learning rate at step 0.
        first_decay_steps: Positive length of the first period.
        t_mul: Growth of the period length. Defaults to ``2.0``.
        m_mul: Factor on the peak rate at each restart. Defaults to ``1.0``.
        alpha: The lowest rate as a fraction of ``initial_learning_rate``.
            Defaults to ``0.0``.
        name: Defaults to ``"SGDRDecay"``.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: float,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ) -> None:
        self.initial_learning_rate = _number("initial_learning_rate", initial_learning_rate)
        self.first_decay_steps = _positive("first_decay_steps", first_decay_steps)
        self.t_mul = _number("t_mul", t_mul)
        self.m_mul = _number("m_mul", m_mul)
        self.alpha = _number("alpha", alpha)
        self.name = name

    def __call__(self, step: Any) -> _Value:
        fraction = _as_float(step) / self.first_decay_steps
        if self.t_mul == 1.0:
            restarts = _floor(fraction)
            fraction = fraction - restarts
        else:
            restarts = _floor(_log(1.0 - fraction * (1.0 - self.t_mul)) / math.log(self.t_mul))
            finished = (1.0 - self.t_mul**restarts) / (1.0 - self.t_mul)
            fraction = (fraction - finished) / self.t_mul**restarts
        cosine = 0.5 * self.m_mul**restarts * (1.0 + _cos(math.pi * fraction))
        return self.initial_learning_rate * ((1.0 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self.t_mul,
            "m_mul": self.m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


_CLASSES: tuple[type[LearningRateSchedule], ...] = (
    LearningRateSchedule,
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
    CosineDecay,
    CosineDecayRestarts,
)
_OBJECTS: dict[str, type[LearningRateSchedule]] = {cls.__name__: cls for cls in _CLASSES}


def serialize(schedule: LearningRateSchedule) -> dict[str, Any]:
    """Keras's config dict: ``{"module", "class_name", "config", "registered_name"}``."""
    return identifiers.serialize_object(
        schedule, kind="learning rate schedule", module="keras.optimizers.schedules",
        objects=_OBJECTS,
    )


def deserialize(
    config: dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> LearningRateSchedule:
    """Build a schedule from the output of :func:`serialize`.

    Args:
        config: ``{"class_name": ..., "config": {...}}``.
        custom_objects: Extra name -> class entries, searched first.

    Raises:
        ValueError: For an unknown class name (the message lists the valid names).
    """
    return identifiers.deserialize_object(
        config, kind="learning rate schedule", objects=_OBJECTS, custom_objects=custom_objects
    )


# ---------------------------------------------------------------- float-or-tensor maths
# Each schedule is written once; these helpers take Python floats on the host path
# and 0-d tensors on the device path.


def _floatx() -> torch.dtype:
    return getattr(torch, config.floatx())


def _as_float(step: Any) -> _Value:
    if isinstance(step, torch.Tensor):
        return step.to(_floatx())
    return float(step)


def _floor(x: _Value) -> _Value:
    return torch.floor(x) if isinstance(x, torch.Tensor) else float(math.floor(x))


def _ceil(x: _Value) -> _Value:
    return torch.ceil(x) if isinstance(x, torch.Tensor) else float(math.ceil(x))


def _cos(x: _Value) -> _Value:
    return torch.cos(x) if isinstance(x, torch.Tensor) else math.cos(x)


def _log(x: _Value) -> _Value:
    return torch.log(x) if isinstance(x, torch.Tensor) else math.log(x)


def _minimum(x: _Value, bound: float) -> _Value:
    return torch.clamp(x, max=bound) if isinstance(x, torch.Tensor) else min(x, bound)


def _where(condition: Any, if_true: float, if_false: _Value) -> _Value:
    if isinstance(condition, torch.Tensor):
        return torch.where(condition, if_true, if_false)
    return if_true if condition else if_false


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a number, received: {name}={value!r} of type {type(value).__name__}"
        )
    return value


def _positive(name: str, value: Any) -> float:
    _number(name, value)
    if not value > 0:
        raise ValueError(f"{name} must be > 0, received: {name}={value}")
    return value
