"""An optimizer's variables as Keras 3 lists them, in Keras's layouts: what a ``.keras`` file holds.

Keras numbers an optimizer's variables in the order it creates them: the iteration
count, the learning rate (absent when a schedule or a callable gives it), then the
slots in the groups its ``build`` adds them (moving averages, gradient accumulators,
then the optimizer's own groups, e.g. Adam's momentum and velocity interleaved per
weight, then AMSGrad's ``velocity_hat`` per weight; Muon gives only some weights a
velocity), then variables made after the slots (Nadam's momentum product). An unbuilt
Keras optimizer has the first two only.

A slot has the Keras shape of its weight. A layer may store a weight in another
layout (a conv kernel is ``(out, in, kh, kw)`` in torch, ``(kh, kw, in, out)`` in
Keras), so each weight comes with its layout: ``None`` (the same), a permutation
from the Keras shape to the stored one, or an object with ``to_keras(stored)`` and
``to_stored(keras_value)`` (a layer's ``WeightLayout``). A few slots have a shape of
their own (Adafactor's factored moments, kept in Keras's layout): those are exported
as they are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from torchseq import config
from torchseq.utils import layouts
from torchseq.utils.layouts import Layout

if TYPE_CHECKING:
    from torchseq.optimizers.optimizer import Optimizer

__all__ = ["Layout", "WeightsWithLayouts", "export_variables", "load_variables"]

WeightsWithLayouts = Iterable[torch.Tensor | tuple[torch.Tensor, Layout]]


@dataclasses.dataclass
class _KerasVariable:
    """One entry of Keras's ``optimizer.variables``: a label for messages, its Keras shape, I/O."""

    label: str
    shape: tuple[int, ...]
    read: Callable[[], np.ndarray]
    write: Callable[[np.ndarray], None]
    is_slot: bool = False


def export_variables(optimizer: Optimizer, weights: WeightsWithLayouts | None) -> list[np.ndarray]:
    """Keras's ``[v.numpy() for v in optimizer.variables]`` for ``optimizer`` (see its method)."""
    params, layouts = _resolve_weights(optimizer, weights, building=False)
    return [variable.read() for variable in _describe(optimizer, params, layouts)]


def load_variables(
    optimizer: Optimizer, arrays: Sequence[Any], weights: WeightsWithLayouts | None
) -> None:
    """Check every array against Keras's list for ``optimizer``, then copy them all in."""
    owner = type(optimizer).__name__
    building = not optimizer.built and weights is not None
    params, layouts = _resolve_weights(optimizer, weights, building=building)
    variables = _describe(optimizer, params, layouts, built=optimizer.built or building)
    arrays = [np.asarray(array) for array in arrays]
    if len(arrays) != len(variables):
        hint = "" if optimizer.built or building else " (it is not built: pass the weights)"
        raise ValueError(
            f"{owner} {optimizer.name!r}: expected {len(variables)} optimizer variables in "
            f"Keras's order ({_summarize(variables, len(params))}){hint}, received "
            f"{len(arrays)}; nothing was loaded"
        )
    for index, (variable, array) in enumerate(zip(variables, arrays)):
        if tuple(array.shape) != variable.shape:
            raise ValueError(
                f"{owner} {optimizer.name!r}: optimizer variable {index} ({variable.label}) "
                f"expected shape {variable.shape}, received shape {tuple(array.shape)}; "
                "nothing was loaded"
            )
    if building:
        optimizer.build(params)
    for variable, array in zip(variables, arrays):
        variable.write(array)


# ---------------------------------------------------------------------- the list


def _resolve_weights(
    optimizer: Optimizer, weights: WeightsWithLayouts | None, *, building: bool
) -> tuple[list[torch.Tensor], dict[int, Layout]]:
    """The parameters in Keras's order (the optimizer's build order) and each one's layout."""
    owner = type(optimizer).__name__
    pairs = [_as_pair(owner, index, entry) for index, entry in enumerate(weights or ())]
    layouts = {id(tensor): layout for tensor, layout in pairs}
    if not optimizer.built:
        return ([tensor for tensor, _ in pairs] if building else []), layouts
    params = [p for group in optimizer.param_groups for p in group["params"]]
    if weights is not None:
        for index, param in enumerate(params):
            if id(param) not in layouts:
                raise ValueError(
                    f"{owner}: the weights given must include every parameter the optimizer "
                    f"updates, but its parameter {index} ({_weight_label(param, index)}, shape "
                    f"{tuple(param.shape)}) is not among them"
                )
    return params, layouts


def _describe(
    optimizer: Optimizer,
    params: list[torch.Tensor],
    layouts: dict[int, Layout],
    *,
    built: bool | None = None,
) -> list[_KerasVariable]:
    built = optimizer.built if built is None else built
    variables = [_iteration_variable(optimizer)]
    if optimizer._rate.schedule is None:
        variables.append(_learning_rate_variable(optimizer))
    if not built:
        return variables
    index_of = {id(p): index for index, p in enumerate(params)}
    for param, name in optimizer._slot_order(params):
        index = index_of[id(param)]
        variables.append(_slot_variable(optimizer, param, index, name, layouts.get(id(param))))
    dtype = _numpy_dtype(params[0].dtype) if params else config.floatx()
    variables += [_extra_variable(optimizer, key, dtype) for key in optimizer._extra_state]
    return variables


def _iteration_variable(optimizer: Optimizer) -> _KerasVariable:
    def write(array: np.ndarray) -> None:
        optimizer.iterations = int(array)

    # Keras counts every call (accumulation steps included) in an int32 on torch.
    return _KerasVariable(
        "iteration", (), lambda: np.asarray(optimizer._iteration_count, dtype=np.int32), write
    )


def _learning_rate_variable(optimizer: Optimizer) -> _KerasVariable:
    def write(array: np.ndarray) -> None:
        optimizer.learning_rate = float(array)

    return _KerasVariable(
        "learning_rate",
        (),
        lambda: np.asarray(optimizer.learning_rate, dtype=config.floatx()),
        write,
    )


def _slot_variable(
    optimizer: Optimizer, param: torch.Tensor, index: int, name: str, layout: Layout
) -> _KerasVariable:
    owner = type(optimizer).__name__
    shape = tuple(_to_keras(owner, index, param.detach(), layout).shape)
    if name in optimizer._keras_shaped_slots:  # a shape of its own, already in Keras's layout
        shape = tuple(optimizer._slot_keras_shape(name, shape))
        layout = None

    def read() -> np.ndarray:
        return _to_numpy(_to_keras(owner, index, optimizer._slots_of(param)[name], layout))

    def write(array: np.ndarray) -> None:
        slot = optimizer._slots_of(param)[name]
        slot.copy_(layouts.to_stored(torch.tensor(array, dtype=slot.dtype), layout))

    return _KerasVariable(f"{name} of {_weight_label(param, index)}", shape, read, write, True)


def _extra_variable(optimizer: Optimizer, key: str, dtype: str) -> _KerasVariable:
    def write(array: np.ndarray) -> None:
        optimizer._extra_state[key] = float(array)

    return _KerasVariable(
        key, (), lambda: np.asarray(optimizer._extra_state[key], dtype=dtype), write
    )


def _summarize(variables: list[_KerasVariable], weights: int) -> str:
    """``"iteration, learning_rate, 8 slots for 4 weights, u_product"``."""
    slots = sum(variable.is_slot for variable in variables)
    labels = [variable.label for variable in variables if not variable.is_slot]
    if slots:
        counters = 2 if "learning_rate" in labels else 1
        labels.insert(counters, f"{slots} slots for {weights} weights")
    return ", ".join(labels)


# ---------------------------------------------------------------------- layouts


def _as_pair(owner: str, index: int, entry: Any) -> tuple[torch.Tensor, Layout]:
    if isinstance(entry, torch.Tensor):
        return entry, None
    if isinstance(entry, (tuple, list)) and len(entry) == 2 and isinstance(entry[0], torch.Tensor):
        return entry[0], entry[1]
    raise TypeError(
        f"{owner}: weights must be tensors or (tensor, layout) pairs, received at index "
        f"{index}: {entry!r} of type {type(entry).__name__}"
    )


def _to_keras(owner: str, index: int, stored: torch.Tensor, layout: Layout) -> torch.Tensor:
    if layout is not None and not hasattr(layout, "to_keras"):
        _check_permutation(owner, index, stored, layout)
    return layouts.to_keras(stored, layout)


def _check_permutation(
    owner: str, index: int, stored: torch.Tensor, layout: Any
) -> tuple[int, ...]:
    expected = f"None, a permutation of its {stored.ndim} axes or a WeightLayout"
    if not isinstance(layout, (tuple, list)):
        raise TypeError(
            f"{owner}: the layout of weight {index} must be {expected}, received: {layout!r} "
            f"of type {type(layout).__name__}"
        )
    if sorted(layout) != list(range(stored.ndim)):
        raise ValueError(
            f"{owner}: the layout of weight {index} must be {expected}, received: {layout!r}"
        )
    return tuple(layout)


def _to_numpy(tensor: torch.Tensor) -> np.ndarray:
    tensor = tensor.detach()
    if tensor.dtype == torch.bfloat16:  # numpy has no bfloat16
        tensor = tensor.float()
    return tensor.cpu().numpy().copy()


def _numpy_dtype(dtype: torch.dtype) -> str:
    return "float32" if dtype == torch.bfloat16 else str(dtype).removeprefix("torch.")


def _weight_label(param: torch.Tensor, index: int) -> str:
    path = getattr(param, "path", None)
    return f"weight {index} {path!r}" if path else f"weight {index}"
