"""The optimizer base: Keras 3's arguments and update order on a ``torch.optim.Optimizer``.

A subclass declares its per-parameter slots (``_slots``; ``_slot_names`` and
``_new_slots`` when they differ between parameters or do not start as constants),
optionally per-step scalars (``_step_coefficients``), and implements one multi-tensor
update (``_update``); the base does the rest in Keras's order: skip missing gradients,
unscale, accumulate, clip, decay the weights, update, keep the moving average,
count the step. Slots are made at the first step, on the parameters' device.

The step count lives twice: a Python int that schedules and bias corrections
read (no device read-back per step) and the int32 ``iterations`` tensor (Keras's
dtype on torch) that mirrors it on the device.

:meth:`Optimizer.keras_variables` and :meth:`Optimizer.load_keras_variables` move
the whole state to and from Keras's ``optimizer.variables`` (a ``.keras`` file's
``optimizer/vars``), in Keras's order and weight layouts.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import torch

from torchseq import config
from torchseq.optimizers import _gradients, _keras_state, schedules
from torchseq.optimizers._arguments import (
    accept_keras_positional,
    check_int,
    check_learning_rate,
    check_number,
)
from torchseq.optimizers._learning_rate import LearningRateVariable, ScheduleSlot
from torchseq.optimizers._weight_decay import WeightDecayFilter
from torchseq.utils import layouts
from torchseq.utils.naming import to_snake_case, unique_name

__all__ = ["Optimizer"]

LearningRate = float | schedules.LearningRateSchedule | Callable[..., Any]
ParamsT = Iterable[torch.Tensor] | Iterable[dict[str, Any]]

# (group, parameters with a gradient, their gradients) for each parameter group
_Batch = list[tuple[dict[str, Any], list[torch.Tensor], list[torch.Tensor]]]

_GROUP_KEYS = ("params", "lr", "learning_rate", "weight_decay", "param_names", "name")


class Optimizer(torch.optim.Optimizer):
    """Base class of torchseq's optimizers, mirroring ``keras.optimizers.Optimizer``.

    An optimizer is made either the Keras way, without parameters (``SGD(0.01,
    momentum=0.9)``: ``compile`` later calls :meth:`build` with the model's
    trainable weights), or the torch way, parameters first (``SGD(model.parameters(),
    learning_rate=0.01)``), and is then used like any ``torch.optim.Optimizer``:
    ``zero_grad()``, ``loss.backward()``, ``step()``. A number, schedule or callable
    given first is taken as the learning rate, so Keras's positional calls work.

    Args:
        params: Parameters or parameter-group dicts (torch style); ``None`` (Keras
            style) until :meth:`build`. A group may set its own ``"lr"`` and
            ``"weight_decay"``.
        learning_rate: A number, a :class:`~torchseq.optimizers.schedules.LearningRateSchedule`,
            or a callable taking the step count (or, as in Keras 3, no argument).
        weight_decay: Decoupled weight decay: before each update ``w -= w * weight_decay * lr``.
            Defaults to ``None``.
        clipnorm: Clip each gradient to this L2 norm. Defaults to ``None``.
        clipvalue: Clip each gradient element to ``[-clipvalue, clipvalue]``. Defaults to ``None``.
        global_clipnorm: Clip all gradients together to this joint L2 norm. Only one of
            the three clipping options may be set. Defaults to ``None``.
        use_ema: Keep an exponential moving average of the weights. Defaults to ``False``.
        ema_momentum: ``average = ema_momentum * average + (1 - ema_momentum) * w``.
            Defaults to ``0.99``.
        ema_overwrite_frequency: Copy the averages into the weights every this many
            steps; ``None`` waits for :meth:`finalize_variable_values`. Defaults to ``None``.
        loss_scale_factor: Gradients are divided by this (see :meth:`scale_loss`).
            Defaults to ``None``.
        gradient_accumulation_steps: Update only every this many steps, with the mean
            gradient of those steps. Defaults to ``None``.
        name: Defaults to the snake-case class name, made unique.
        lr: Keras 2's spelling of ``learning_rate``; wins when both are given.
        decay: Keras 2's time decay: the rate used at step ``t`` is
            ``learning_rate / (1 + decay * t)``. Defaults to ``0.0``.

    Other hyperparameters are read at each step, but slots are created once, so a
    zero/non-zero switch (e.g. of SGD's ``momentum``) after building is not supported.
    """

    # Set while fit runs a train_step of the user's data-parallel (see
    # training/distributed.averaging_your_updates): apply and step first average the
    # gradients over the processes with it.
    _gradient_averager: Callable[[list], list] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = accept_keras_positional(cls.__dict__["__init__"])

    def __init__(
        self,
        params: ParamsT | None = None,
        learning_rate: LearningRate = 0.001,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        *,
        lr: LearningRate | None = None,
        decay: float = 0.0,
    ) -> None:
        if isinstance(params, torch.nn.Module):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of tensors or parameter "
                f"groups, received a module ({type(params).__name__}); pass module.parameters()"
            )
        learning_rate = learning_rate if lr is None else lr
        owner = type(self).__name__
        self.name = name or unique_name(to_snake_case(owner))
        self.clipnorm = check_number(owner, "clipnorm", clipnorm, low=0, optional=True)
        self.clipvalue = check_number(owner, "clipvalue", clipvalue, low=0, optional=True)
        self.global_clipnorm = check_number(
            owner, "global_clipnorm", global_clipnorm, low=0, optional=True
        )
        if sum(value is not None for value in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                f"{owner}: only one of clipnorm, clipvalue and global_clipnorm "
                f"can be set, received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}"
            )
        self.use_ema = bool(use_ema)
        self.ema_momentum = check_number(owner, "ema_momentum", ema_momentum, low=0, high=1)
        self.ema_overwrite_frequency = check_int(
            owner, "ema_overwrite_frequency", ema_overwrite_frequency, minimum=1
        )
        self.loss_scale_factor = check_number(
            owner, "loss_scale_factor", loss_scale_factor, low=0, low_open=True, optional=True
        )
        self.gradient_accumulation_steps = check_int(
            owner, "gradient_accumulation_steps", gradient_accumulation_steps, minimum=2
        )
        self._rate = ScheduleSlot(owner, check_number(owner, "decay", decay, low=0))
        rate = self._rate.accept(learning_rate)
        if decay:
            warnings.warn(
                f"{owner}(decay=...) is Keras 2's time decay, which Keras 2 itself deprecated; "
                "it still works here. Prefer learning_rate=optimizers.schedules."
                "InverseTimeDecay(...).",
                DeprecationWarning,
                stacklevel=2,
            )
        self._iteration_count = 0
        self._iterations = torch.zeros((), dtype=torch.int32)
        self._extra_state: dict[str, float] = {}
        self._weight_decay_filter = WeightDecayFilter()
        defaults = {
            "lr": self._current_rate(0) if rate is None else rate,
            "weight_decay": check_number(owner, "weight_decay", weight_decay, low=0, optional=True),
        }
        # torch refuses an empty parameter list; Keras-style optimizers get theirs in build().
        super().__init__([{"params": []}] if params is None else params, defaults)
        if params is None:
            self.param_groups.clear()
        self.built = params is not None
        # Parameters whose slots were made and turned out to be none (plain SGD): the step
        # does not try again.
        self._slotless: set[torch.Tensor] = set()

    # ------------------------------------------------------------------ building

    def build(self, params: ParamsT) -> None:
        """Attach the parameters to update (what ``compile`` does with the trainable weights).

        Building again with other parameters (after ``trainable`` changed) keeps the
        slots of the parameters that stay and creates slots for the new ones.
        """
        groups = list(params)
        if groups and not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        if self.built and _same_parameters(self.param_groups, groups):
            return
        self.param_groups = []
        for group in groups:
            self.add_param_group(dict(group))
        self.built = True
        self._after_build()

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """torch's ``add_param_group``; a group may set ``"lr"`` (or ``"learning_rate"``)
        and ``"weight_decay"``, other options are refused."""
        unknown = sorted(set(param_group) - set(_GROUP_KEYS))
        if unknown:
            raise ValueError(
                f"{type(self).__name__}: unknown parameter-group option(s) {unknown}; "
                f"valid options are {list(_GROUP_KEYS)}"
            )
        if "learning_rate" in param_group:
            param_group["lr"] = param_group.pop("learning_rate")
        if "lr" in param_group:
            param_group["lr"] = check_learning_rate(type(self).__name__, param_group["lr"])
        super().add_param_group(param_group)

    def _after_build(self) -> None:
        # Slots are made at the first step, as torch does, so a model moved to its
        # device after compile() gets them there.
        kept = {p for group in self.param_groups for p in group["params"]}
        for stale in [p for p in self.state if p not in kept]:
            del self.state[stale]
        self._weight_decay_filter.forget()

    def _follow_device(self, device: torch.device) -> None:
        """Move the counter and the slots to the parameters after the model moved."""
        self._iterations = self._iterations.to(device)
        for param, state in self.state.items():
            for name, value in state.items():
                state[name] = value.to(param.device)

    # Slots kept in Keras's layout with a shape of their own (Adafactor's factored
    # moments), rather than in their parameter's stored layout and shape.
    _keras_shaped_slots: tuple[str, ...] = ()

    def _slots(self) -> dict[str, float]:
        """Slot name -> initial value of the subclass's per-parameter slots; subclasses add."""
        return {}

    def _slot_names(self, param: torch.Tensor) -> tuple[str, ...]:
        """The subclass's slots ``param`` has: all of :meth:`_slots` unless a subclass says."""
        return tuple(self._slots())

    def _new_slots(self, param: torch.Tensor) -> dict[str, torch.Tensor]:
        """The subclass's slots for ``param``, made at its first step: filled like ``param``."""
        initial = self._slots()
        return {
            name: torch.full_like(param, initial[name], memory_format=torch.preserve_format)
            for name in self._slot_names(param)
        }

    def _slot_keras_shape(self, name: str, keras_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The Keras shape of slot ``name`` of a weight of Keras shape ``keras_shape``."""
        return keras_shape

    def _own_slot_groups(self) -> list[tuple[str, ...]]:
        """The subclass's slot names grouped as Keras's ``build`` adds them.

        The names of one group alternate per parameter (Adam's momentum and velocity:
        ``m0, v0, m1, v1``), skipping the slots a parameter does not have (see
        :meth:`_slot_names`); groups follow one another. By default all slots form one
        group; a subclass whose Keras ``build`` adds them separately overrides this.
        """
        names = tuple(self._slots())
        return [names] if names else []

    def _slot_order(self, params: list[torch.Tensor]) -> list[tuple[torch.Tensor, str]]:
        """(parameter, slot name) for every slot, in Keras's variable order."""
        groups = [("average",)] if self.use_ema else []
        if self.gradient_accumulation_steps:
            groups.append(("gradient_accumulator",))
        shared = [name for group in groups for name in group]
        present = [{*shared, *self._slot_names(param)} for param in params]
        return [
            (param, name)
            for group in groups + self._own_slot_groups()
            for param, names in zip(params, present)
            for name in group
            if name in names
        ]

    def _slots_of(self, param: torch.Tensor) -> dict[str, torch.Tensor]:
        state = self.state[param]
        if not state and param not in self._slotless:
            shared = {"average": 0.0} if self.use_ema else {}
            if self.gradient_accumulation_steps:
                shared["gradient_accumulator"] = 0.0
            for name, value in shared.items():
                state[name] = torch.full_like(param, value, memory_format=torch.preserve_format)
            state.update(self._new_slots(param))
            if not state:
                self._slotless.add(param)
        return state

    # ------------------------------------------------------------------ the step

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Apply one update from the parameters' ``.grad`` (parameters without one are skipped).

        Args:
            closure: Optional callable that recomputes and returns the loss.
        """
        self._check_built("step")
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        pairs = [
            (group, [p for p in group["params"] if p.grad is not None])
            for group in self.param_groups
        ]
        batch = [(group, params, [p.grad for p in params]) for group, params in pairs]
        if Optimizer._gradient_averager is not None:
            batch = _averaged(batch)
        self._apply(batch)
        return loss

    def _check_built(self, what: str) -> None:
        if not self.built:
            raise RuntimeError(
                f"{type(self).__name__} has no parameters yet, so it cannot {what}: pass them "
                f"first ({type(self).__name__}(model.parameters(), ...)) or call "
                "build(parameters); compile() does this for a model"
            )

    def apply_gradients(self, grads_and_vars: Iterable[tuple[torch.Tensor, torch.Tensor]]) -> None:
        """Keras's ``apply_gradients(zip(grads, variables))``: update with explicit gradients."""
        grads, variables = zip(*grads_and_vars)
        self.apply(list(grads), list(variables))

    @torch.no_grad()
    def apply(
        self, grads: list[torch.Tensor | None], trainable_variables: list[torch.Tensor] | None = None
    ) -> None:
        """Keras's ``apply``: update ``trainable_variables`` (building on first use) with ``grads``."""
        if trainable_variables is None:
            trainable_variables = [p for group in self.param_groups for p in group["params"]]
        if not self.built:
            self.build(trainable_variables)
        given = {
            id(p): layouts.stored_gradient(g)  # `v.value.grad` comes in Keras's layout
            for p, g in zip(trainable_variables, grads)
            if g is not None
        }
        batch = []
        for group in self.param_groups:
            params = [p for p in group["params"] if id(p) in given]
            batch.append((group, params, [given[id(p)] for p in params]))
        if Optimizer._gradient_averager is not None:
            batch = _averaged(batch)
        self._apply(batch)

    def _apply(self, batch: _Batch) -> None:
        batch = [entry for entry in batch if entry[1]]
        if not batch:
            return
        grads = [g for _, _, group_grads in batch for g in group_grads]
        if grads[0].device != self._iterations.device:  # once, after a move
            self._follow_device(grads[0].device)
        if self.loss_scale_factor is not None:
            grads = torch._foreach_div(grads, self.loss_scale_factor)
        count = self._iteration_count
        if not self.gradient_accumulation_steps:
            self._update_all(batch, grads, count)
        elif (count + 1) % self.gradient_accumulation_steps == 0:
            accumulators = self._slot_list(batch, "gradient_accumulator")
            grads = torch._foreach_add(accumulators, grads)
            torch._foreach_div_(grads, self.gradient_accumulation_steps)
            self._update_all(batch, grads, count)
            torch._foreach_zero_(accumulators)
        else:
            torch._foreach_add_(self._slot_list(batch, "gradient_accumulator"), grads)
        if self.use_ema:
            self._update_moving_averages()
        self._iteration_count = count + 1
        self._iterations.add_(1)

    def _update_all(self, batch: _Batch, grads: list[torch.Tensor], count: int) -> None:
        grads = self._clip(grads)
        rate = self._current_rate(count)
        coefficients = self._step_coefficients(self._update_count)
        start = 0
        for group, params, _ in batch:
            group_grads = grads[start : start + len(params)]
            start += len(params)
            lr = self._rate.decayed(group["lr"], count) if rate is None else rate
            states = [self._slots_of(p) for p in params]  # before the decay, as Keras builds
            self._decay_weights(group, params, lr)
            # A slot a parameter does not have (see _slot_names) is None in its list.
            slots = {name: [state.get(name) for state in states] for name in self._slots()}
            self._update(params, group_grads, slots, *self._update_scalars(lr, coefficients))

    def _clip(self, grads: list[torch.Tensor]) -> list[torch.Tensor]:
        if self.clipnorm:
            return _gradients.clip_by_norm(grads, self.clipnorm)
        if self.global_clipnorm:
            return _gradients.clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue:
            return _gradients.clip_by_value(grads, self.clipvalue)
        return grads

    def _decay_weights(self, group: dict[str, Any], params: list[torch.Tensor], lr: float) -> None:
        if group["weight_decay"]:
            self._decay(params, group["weight_decay"], lr)

    def _decay(self, params: list[torch.Tensor], weight_decay: float | None, lr: float) -> None:
        """``w -= w * weight_decay * lr`` for the parameters not exempted from decay."""
        if not weight_decay:
            return
        decayed = [p for p in params if self._weight_decay_filter.applies_to(p)]
        if decayed:
            torch._foreach_mul_(decayed, self._decay_factor(weight_decay, lr))

    def _decay_factor(self, weight_decay: float | None, lr: float) -> float | None:
        """``1 - weight_decay * lr`` as Keras computes it, or ``None`` without decay."""
        if not weight_decay:
            return None
        real = self._real
        return float(real(1) - real(weight_decay) * real(lr))

    @property
    def _real(self) -> type[np.floating]:
        """The float type Keras computes per-step scalars in (its variables' type).

        Scalars such as ``1 - beta_2 ** t`` lose digits in float32; computing them
        as Keras does, on the host, keeps the trajectories equal to Keras's.
        """
        return np.float64 if config.floatx() == "float64" else np.float32

    def _step_coefficients(self, iteration: int) -> Any:
        """Per-step scalars shared by all groups (bias corrections); called once per update."""
        return None

    def _update_scalars(self, lr: float, coefficients: Any) -> tuple[Any, Any]:
        """``(lr, coefficients)`` of one group as its :meth:`_update` takes them.

        Arithmetic on the rate and the step coefficients (Adam's step size) belongs here,
        on the host in :attr:`_real` as Keras computes it, so that ``_update`` does tensor
        work only: an optimizer that says so (``_traceable_update``) has its ``_update``
        run inside the compiled training step, where these numbers arrive as 0-d tensors.
        """
        return lr, coefficients

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: Any,
        coefficients: Any,
    ) -> None:
        """Apply the update rule in place to ``params`` and ``slots`` (lists aligned with params).

        ``lr`` and ``coefficients`` are what :meth:`_update_scalars` returned.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement _update()")

    def _slot_list(self, batch: _Batch, name: str) -> list[torch.Tensor]:
        return [self._slots_of(p)[name] for _, params, _ in batch for p in params]

    @property
    def _update_count(self) -> int:
        """Keras's ``iterations``: updates applied (steps over accumulation steps)."""
        return self._iteration_count // (self.gradient_accumulation_steps or 1)

    # ------------------------------------------------------------------ the compiled step

    # Whether `_update` does tensor work only, on what `_update_scalars` made, so that the
    # compiled training step can run it (see `_traces_update`).
    _traceable_update = False

    @property
    def _traces_update(self) -> bool:
        """Whether ``jit_compile=True`` puts this optimizer's update in the compiled step.

        The subclass says its ``_update`` does tensor work only (``_traceable_update``).
        ``gradient_accumulation_steps`` and ``use_ema`` decide on the host, per step,
        what the step does, so with either the compiled step applies the update eagerly.
        """
        return (
            self._traceable_update
            and self.built
            and not self.gradient_accumulation_steps
            and not self.use_ema
        )

    def _traced_layout(self) -> tuple[list[int], list[bool]]:
        """Group sizes, and whether weight decay applies to each parameter (in group order)."""
        params = [p for group in self.param_groups for p in group["params"]]
        sizes = [len(group["params"]) for group in self.param_groups]
        return sizes, [self._weight_decay_filter.applies_to(p) for p in params]

    def _traced_slots(self) -> dict[str, list[torch.Tensor | None]]:
        """Slot name -> the slots of every parameter in group order (made if missing)."""
        params = [p for group in self.param_groups for p in group["params"]]
        if params and params[0].device != self._iterations.device:  # once, after a move
            self._follow_device(params[0].device)
        states = [self._slots_of(p) for p in params]
        return {name: [state.get(name) for state in states] for name in self._slots()}

    def _host_update(self) -> list[tuple[Any, Any, Any]]:
        """The host half of one update, which it counts: the per-step numbers of each group.

        Per group ``(weight-decay factor or None, lr, coefficients)``, computed exactly as
        the eager step computes them, for :meth:`_traced_update`.
        """
        count = self._iteration_count
        rate = self._current_rate(count)
        coefficients = self._step_coefficients(self._update_count)
        scalars = []
        for group in self.param_groups:
            lr = self._rate.decayed(group["lr"], count) if rate is None else rate
            factor = self._decay_factor(group["weight_decay"], lr)
            scalars.append((factor, *self._update_scalars(lr, coefficients)))
        self._iteration_count = count + 1
        self._iterations.add_(1)
        return scalars

    def _host_state(self) -> tuple[int, dict[str, float]]:
        """What :meth:`_host_update` changes, for :meth:`_uncount_host_update`."""
        return self._iteration_count, dict(self._extra_state)

    def _uncount_host_update(self, state: tuple[int, dict[str, float]]) -> None:
        """Take back a :meth:`_host_update` whose compiled step failed before it ran."""
        count, extra = state
        self._iterations.sub_(self._iteration_count - count)
        self._iteration_count = count
        self._extra_state.clear()
        self._extra_state.update(extra)

    def _traced_update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor | None]],
        scalars: list[tuple[Any, Any, Any]],
        layout: tuple[list[int], list[bool]],
    ) -> None:
        """The tensor half of one update, traced into the compiled step.

        ``params``, ``grads`` and each slot list run over all groups in order (see
        :meth:`_traced_layout`); ``scalars`` are :meth:`_host_update`'s, as 0-d tensors.
        """
        if self.loss_scale_factor is not None:
            grads = torch._foreach_div(grads, self.loss_scale_factor)
        grads = self._clip(grads)
        sizes, decays = layout
        start = 0
        for size, (factor, lr, coefficients) in zip(sizes, scalars):
            end = start + size
            group_params = params[start:end]
            decayed = [p for p, decays_p in zip(group_params, decays[start:end]) if decays_p]
            if factor is not None and decayed:
                torch._foreach_mul_(decayed, factor)
            group_slots = {name: values[start:end] for name, values in slots.items()}
            self._update(group_params, grads[start:end], group_slots, lr, coefficients)
            start = end

    # ------------------------------------------------------------------ moving average

    def _update_moving_averages(self) -> None:
        params = [p for group in self.param_groups for p in group["params"]]
        averages = [self._slots_of(p)["average"] for p in params]
        momentum = self.ema_momentum if self._update_count != 0 else 0.0
        torch._foreach_mul_(averages, momentum)
        torch._foreach_add_(averages, params, alpha=1.0 - momentum)
        frequency = self.ema_overwrite_frequency
        if frequency and (self._update_count + 1) % frequency == 0:
            torch._foreach_copy_(params, averages)

    @torch.no_grad()
    def finalize_variable_values(self, var_list: Iterable[torch.Tensor] | None = None) -> None:
        """With ``use_ema``, copy the moving averages into the weights (the end of ``fit``)."""
        if not self.use_ema:
            return
        params = (
            [p for group in self.param_groups for p in group["params"]]
            if var_list is None
            else list(var_list)
        )
        params = [p for p in params if "average" in self.state.get(p, {})]
        if params:
            torch._foreach_copy_(params, [self.state[p]["average"] for p in params])

    @property
    def scales_loss(self) -> bool:
        """Whether :meth:`scale_loss` changes the loss (``fit`` then calls it)."""
        return self.loss_scale_factor is not None

    def scale_loss(self, loss: torch.Tensor) -> torch.Tensor:
        """Multiply the loss by ``loss_scale_factor`` (if set) before ``backward``."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    # ------------------------------------------------------------------ weight decay

    def exclude_from_weight_decay(
        self, var_list: Iterable[torch.Tensor] | None = None, var_names: Iterable[str] | None = None
    ) -> None:
        """Exempt parameters from weight decay.

        Args:
            var_list: Parameters to exempt.
            var_names: Substrings (regular expressions) searched in a parameter's
                ``path`` (``"dense/bias"``) or ``name``; a match exempts it.
        """
        self._weight_decay_filter.exclude(var_list, var_names)

    @property
    def weight_decay(self) -> float | None:
        """The default decoupled weight decay; setting it changes every parameter group."""
        return self.defaults["weight_decay"]

    @weight_decay.setter
    def weight_decay(self, value: float | None) -> None:
        value = check_number(type(self).__name__, "weight_decay", value, low=0, optional=True)
        self.defaults["weight_decay"] = value
        for group in self.param_groups:
            group["weight_decay"] = value

    # ------------------------------------------------------------------ learning rate

    @property
    def learning_rate(self) -> Any:
        """The rate of the next update: the schedule at :attr:`iterations`, or the set value.

        With Keras 2's ``decay`` this is the undecayed rate, as Keras 2's ``lr`` was.
        It is a :class:`~torchseq.optimizers._learning_rate.LearningRateVariable`: a ``float``
        that also has Keras's variable methods (``optimizer.learning_rate.assign(0.01)``).
        Setting a number changes every parameter group; setting a schedule or a
        callable replaces the current one.
        """
        if self._rate.schedule is not None:
            return LearningRateVariable(self._current_rate(self._iteration_count), self)
        rate = self.param_groups[0]["lr"] if self.param_groups else self.defaults["lr"]
        return LearningRateVariable(rate, self)

    @learning_rate.setter
    def learning_rate(self, value: LearningRate) -> None:
        rate = self._rate.accept(value)
        if rate is not None:
            self.defaults["lr"] = rate
            for group in self.param_groups:
                group["lr"] = rate

    lr = learning_rate  # Keras 2's name

    @property
    def decay(self) -> float:
        """Keras 2's time decay of a numeric learning rate."""
        return self._rate.decay

    def _current_rate(self, count: int) -> float | None:
        """The scheduled rate at ``count``, or ``None`` when the groups' ``"lr"`` apply."""
        rate = self._rate.rate_at(count)
        if rate is not None:
            for group in getattr(self, "param_groups", ()):  # for torch code reading "lr"
                group["lr"] = rate
        return rate

    # ------------------------------------------------------------------ counters and state

    @property
    def iterations(self) -> torch.Tensor:
        """Updates applied so far (Keras's ``iterations``), an int32 tensor on the device."""
        if self.gradient_accumulation_steps:
            return self._iterations // self.gradient_accumulation_steps
        return self._iterations

    @iterations.setter
    def iterations(self, value: int) -> None:
        count = int(value)
        self._iteration_count = count
        self._iterations.fill_(count)

    @property
    def variables(self) -> list[torch.Tensor]:
        """The optimizer's state in the order of Keras's ``optimizer.variables``.

        The raw call counter (live; int32, counting accumulation steps too, as
        Keras's), the learning rate (a copy; absent with a schedule or callable),
        then, once built, the slots (live, in the parameters' stored layout):
        moving averages, gradient accumulators, then the optimizer's own slots in
        Keras's grouping; then copies of per-optimizer scalars (Nadam's momentum
        product). For the values in Keras's weight layouts, see :meth:`keras_variables`.
        """
        result = [self._iterations]
        if self._rate.schedule is None:
            rate = torch.tensor(self.learning_rate, dtype=getattr(torch, config.floatx()))
            result.append(rate)
        if not self.built:
            return result
        params = [p for group in self.param_groups for p in group["params"]]
        result += [self._slots_of(param)[name] for param, name in self._slot_order(params)]
        dtype = params[0].dtype if params else getattr(torch, config.floatx())
        result += [torch.tensor(value, dtype=dtype) for value in self._extra_state.values()]
        return result

    def keras_variables(
        self, weights: _keras_state.WeightsWithLayouts | None = None
    ) -> list[np.ndarray]:
        """The state as Keras's ``[v.numpy() for v in optimizer.variables]``: a ``.keras`` file's.

        Same order and count as :attr:`variables` (an unbuilt optimizer has the
        iteration count and the learning rate only, as in Keras), as numpy arrays:
        the count as int32, the learning rate in ``floatx``, each slot in the Keras
        layout of its parameter (bfloat16 as float32). The parameters' order is the
        one the optimizer was built with (``compile`` builds it with
        ``model.trainable_weights``, Keras's order).

        Args:
            weights: The parameters with their layouts: tensors, or ``(tensor, layout)``
                pairs where ``layout`` is ``None`` (stored as Keras stores it), a
                permutation from the Keras shape to the stored one (a layer's
                ``_weight_specs[name].layout``, e.g. ``(3, 2, 0, 1)`` for a conv
                kernel), or an object with ``to_keras(stored)`` and
                ``to_stored(keras_value)``. It must include every parameter the
                optimizer updates; others are ignored. Defaults to ``None``: every
                slot in its parameter's stored layout.

        Returns:
            A list of numpy arrays (copies).

        Raises:
            ValueError: When ``weights`` misses a parameter of the optimizer, or a
                permutation does not fit its parameter.
            TypeError: For an entry of ``weights`` or a layout of another type.

        Example:
            >>> import torch
            >>> from torchseq.optimizers import Adam
            >>> kernel = torch.nn.Parameter(torch.ones(4, 3, 2, 2))  # (out, in, kh, kw)
            >>> optimizer = Adam([kernel])
            >>> [a.shape for a in optimizer.keras_variables([(kernel, (3, 2, 0, 1))])]
            [(), (), (2, 2, 3, 4), (2, 2, 3, 4)]
        """
        return _keras_state.export_variables(self, weights)

    @torch.no_grad()
    def load_keras_variables(
        self,
        arrays: Iterable[Any],
        weights: _keras_state.WeightsWithLayouts | None = None,
    ) -> None:
        """Set the whole state from Keras's ``optimizer.variables`` values (a ``.keras`` file's).

        The inverse of :meth:`keras_variables`. An unbuilt optimizer is first built
        for the tensors of ``weights`` (in their order, Keras's), as Keras's
        ``compile_from_config`` builds its optimizer before loading; without
        ``weights`` it stays unbuilt and takes the two counters only (what Keras
        writes for an unbuilt optimizer). Every shape is
        checked before anything changes; then the iteration count, the learning
        rate (set on every parameter group), the slots (converted to each
        parameter's stored layout and dtype) and per-optimizer scalars are copied.
        A file written by an optimizer with a learning-rate schedule has no
        learning-rate variable, and neither has this optimizer when it was made
        from that file's config.

        Args:
            arrays: One array-like per Keras variable, in Keras's order
                (``optimizer/vars/0`` ... of the weights file).
            weights: As for :meth:`keras_variables`; for an unbuilt optimizer, the
                tensors to build it for, in Keras's order. Defaults to ``None``.

        Raises:
            ValueError: When the number of arrays differs from the number of
                variables this optimizer has for these weights (Keras warns and skips
                the optimizer then; the caller decides), or an array's shape differs
                from its variable's Keras shape (the message names the index and the
                variable). Nothing is changed then.

        Example:
            >>> import torch
            >>> from torchseq.optimizers import SGD
            >>> weight = torch.nn.Parameter(torch.zeros(2))
            >>> source = SGD([weight], momentum=0.9)
            >>> weight.grad = torch.ones(2)
            >>> source.step()
            >>> target = SGD(momentum=0.9)
            >>> target.load_keras_variables(source.keras_variables(), [weight])
            >>> int(target.iterations), target.state[weight]["momentum"].tolist()
            (1, [-0.009999999776482582, -0.009999999776482582])
        """
        _keras_state.load_variables(self, list(arrays), weights)

    def __getstate__(self) -> dict[str, Any]:
        # torch pickles only defaults, state and groups; Keras's settings travel too.
        own = {k: v for k, v in self.__dict__.items() if not k.startswith("_optimizer_")}
        own.pop("step", None)  # a torch LR scheduler's wrapper, re-made by the scheduler
        return {**own, **super().__getstate__()}

    def state_dict(self) -> dict[str, Any]:
        """torch's state dict, plus the iteration count and per-optimizer scalars."""
        state = super().state_dict()
        state["iterations"] = self._iteration_count
        state["extra_state"] = dict(self._extra_state)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the output of :meth:`state_dict` (a plain torch one works too)."""
        state_dict = dict(state_dict)
        count = state_dict.pop("iterations", 0)
        self._extra_state.update(state_dict.pop("extra_state", {}))
        super().load_state_dict(state_dict)
        self.iterations = count

    # ------------------------------------------------------------------ config

    def get_config(self) -> dict[str, Any]:
        """Keras's optimizer config (plus ``decay`` when Keras 2's decay is used)."""
        schedule = self._rate.schedule
        result = {
            "name": self.name,
            "learning_rate": float(self.learning_rate) if schedule is None else self._rate.serialize(),
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }
        if self.decay:
            result["decay"] = self.decay
        return result

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> Optimizer:
        """Rebuild an (unbuilt) optimizer from the output of :meth:`get_config`."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(
                config["learning_rate"], custom_objects=custom_objects
            )
        return cls(**config)


# ---------------------------------------------------------------------- helpers


def _same_parameters(current: list[dict[str, Any]], new: list[dict[str, Any]]) -> bool:
    def ids(groups: list[dict[str, Any]]) -> list[list[int]]:
        return [[id(p) for p in group["params"]] for group in groups]

    return ids(current) == ids(new) and all(
        old.get(key) == group[key] for old, group in zip(current, new) for key in group
        if key != "params"
    )


def _averaged(batch: _Batch) -> _Batch:
    """``batch`` with its gradients averaged by ``Optimizer._gradient_averager``."""
    averaged = iter(Optimizer._gradient_averager([g for _, _, grads in batch for g in grads]))
    return [(group, params, [next(averaged) for _ in grads]) for group, params, grads in batch]


@contextlib.contextmanager
def averaged_already() -> Iterator[None]:
    """Turns the gradient averaging off inside (a wrapper that averaged its gradients
    hands them on to its inner optimizer)."""
    averager = Optimizer._gradient_averager
    Optimizer._gradient_averager = None
    try:
        yield
    finally:
        Optimizer._gradient_averager = averager
