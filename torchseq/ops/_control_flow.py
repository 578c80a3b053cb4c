"""Control flow with Keras's (and JAX's) signatures: ``cond``, ``switch``, ``while_loop``,
``fori_loop``, ``scan``, ``associative_scan``, ``map`` and ``vectorized_map``.

On torch these run eagerly as Python control flow, so the functions may do anything a
Python function can. They take Python callables and are never graph nodes: given symbolic
tensors, the callables themselves build the graph (``fori_loop(0, 3, body, x)`` on a
``keras.Input`` adds ``body``'s ops three times). ``cond`` and ``switch`` need a real
predicate or index.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Any

import torch

from torchseq import tree
from torchseq.ops._convert import TensorLike, _to_tensor
from torchseq.utils.integers import is_int

__all__ = [
    "associative_scan",
    "cond",
    "fori_loop",
    "map",
    "scan",
    "switch",
    "vectorized_map",
    "while_loop",
]


def _check_callable(f: Any, name: str, argument: str) -> None:
    if not callable(f):
        raise TypeError(f"{name} expected {argument} to be callable, received: {f!r}")


def cond(pred: TensorLike, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """``true_fn()`` if ``pred`` holds, else ``false_fn()``."""
    _check_callable(true_fn, "cond", "true_fn")
    _check_callable(false_fn, "cond", "false_fn")
    return true_fn() if bool(pred) else false_fn()


def switch(index: TensorLike, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """``branches[index](*operands)``, ``index`` clamped into ``[0, len(branches) - 1]``."""
    if not branches:
        raise ValueError("switch expected at least one branch, received: branches=[]")
    position = builtins.min(builtins.max(int(index), 0), len(branches) - 1)
    return branches[position](*operands)


def while_loop(
    cond: Callable[..., Any],
    body: Callable[..., Any],
    loop_vars: Any,
    maximum_iterations: int | None = None,
) -> Any:
    """Apply ``body`` to ``loop_vars`` while ``cond(*loop_vars)`` holds.

    Args:
        cond: Takes the loop variables (unpacked if a tuple or list), returns a boolean.
        body: Takes them the same way, returns the new loop variables of the same structure.
        loop_vars: A tensor, or a tuple or list of them.
        maximum_iterations: Stop after this many iterations. Defaults to ``None``: no limit.
    """
    _check_callable(cond, "while_loop", "cond")
    _check_callable(body, "while_loop", "body")
    packed = isinstance(loop_vars, (tuple, list))
    state = tuple(loop_vars) if packed else (loop_vars,)
    iterations = 0
    while (maximum_iterations is None or iterations < maximum_iterations) and bool(cond(*state)):
        state = body(*state)
        state = tuple(state) if isinstance(state, (tuple, list)) else (state,)
        iterations += 1
    return state if packed else state[0]


def fori_loop(lower: int, upper: int, body_fun: Callable[[int, Any], Any], init_val: Any) -> Any:
    """``init_val`` passed through ``body_fun(i, value)`` for ``i`` from ``lower`` to
    ``upper - 1``."""
    _check_callable(body_fun, "fori_loop", "body_fun")
    value = init_val
    for i in range(int(lower), int(upper)):
        value = body_fun(i, value)
    return value


def scan(
    f: Callable[[Any, Any], tuple[Any, Any]],
    init: Any,
    xs: Any = None,
    length: int | None = None,
    reverse: bool = False,
    unroll: int | bool = 1,
) -> tuple[Any, Any]:
    """Carry a state over the leading axis of ``xs``, stacking each step's output (JAX's
    ``lax.scan``).

    Args:
        f: ``f(carry, x) -> (new_carry, y)``; ``x`` is one slice of ``xs`` (or ``None``).
        init: The first carry (a structure of tensors).
        xs: A structure of tensors to scan over their first axis, or ``None``.
        length: Number of steps; needed when ``xs`` is ``None``.
        reverse: Scan from the last slice to the first. Defaults to ``False``.
        unroll: Accepted for compatibility (a compiler hint); the loop runs eagerly.

    Returns:
        ``(final_carry, ys)``: ``ys`` stacks the outputs along a new first axis (in the
        order of ``xs`` also when ``reverse``).
    """
    _check_callable(f, "scan", "f")
    if isinstance(unroll, bool) is False and (not is_int(unroll) or unroll < 1):
        raise ValueError(f"scan expected unroll to be a bool or an int >= 1, received: unroll={unroll!r}")
    if xs is None and length is None:
        raise ValueError("scan expected xs or length, received neither")
    leaves = [] if xs is None else [_to_tensor(leaf) for leaf in tree.flatten(xs)]
    steps = int(length) if length is not None else leaves[0].shape[0]
    carry = tree.map_structure(_to_tensor, init)
    outputs = []
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    for i in order:
        x = None if xs is None else tree.pack_sequence_as(xs, [leaf[i] for leaf in leaves])
        carry, y = f(carry, x)
        outputs.append(y)
    if reverse:
        outputs.reverse()
    if not outputs or outputs[0] is None:
        stacked = None
    else:
        stacked = tree.map_structure(lambda *ys: torch.stack(ys), *outputs)
    return carry, stacked


def map(f: Callable[[Any], Any], xs: Any) -> Any:
    """``f`` applied to each slice of ``xs`` along its first axis, the results stacked."""
    _check_callable(f, "map", "f")
    return scan(lambda carry, x: (carry, f(x)), (), xs)[1]


def vectorized_map(function: Callable[[Any], Any], elements: Any) -> Any:
    """``function`` mapped over the first axis of ``elements`` in one batched call
    (``torch.vmap``)."""
    _check_callable(function, "vectorized_map", "function")
    return torch.vmap(function)(elements)


def associative_scan(
    f: Callable[[Any, Any], Any], elems: Any, reverse: bool = False, axis: int = 0
) -> Any:
    """All prefix combinations ``f(...f(f(e0, e1), e2)..., ei)`` along ``axis``, for an
    associative ``f`` that works element-wise on slices (JAX's ``lax.associative_scan``).

    It takes ``ceil(log2(n))`` batched calls of ``f`` (Hillis and Steele's scan).

    Args:
        f: Associative combination of two structures like ``elems``.
        elems: A tensor or structure of tensors, all of one length along ``axis``.
        reverse: Scan from the end. Defaults to ``False``.
        axis: The axis to scan along. Defaults to 0.
    """
    _check_callable(f, "associative_scan", "f")
    leaves = [_to_tensor(leaf) for leaf in tree.flatten(elems)]
    lengths = {leaf.shape[axis] for leaf in leaves}
    if len(lengths) != 1:
        raise ValueError(
            "associative_scan expected elems of one length along axis, received: shapes "
            f"{[tuple(leaf.shape) for leaf in leaves]}"
        )
    (length,) = lengths
    if reverse:
        leaves = [torch.flip(leaf, (axis,)) for leaf in leaves]
    shift = 1
    while shift < length:
        earlier = [leaf.narrow(axis, 0, length - shift) for leaf in leaves]
        later = [leaf.narrow(axis, shift, length - shift) for leaf in leaves]
        combined = tree.flatten(
            f(tree.pack_sequence_as(elems, earlier), tree.pack_sequence_as(elems, later))
        )
        leaves = [
            torch.cat([leaf.narrow(axis, 0, shift), _to_tensor(new)], dim=axis)
            for leaf, new in zip(leaves, combined)
        ]
        shift *= 2
    if reverse:
        leaves = [torch.flip(leaf, (axis,)) for leaf in leaves]
    return tree.pack_sequence_as(elems, leaves)
