"""Function transformations: ``custom_gradient``, ``vectorize`` and ``jvp``."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import torch

__all__ = ["custom_gradient", "jvp", "vectorize"]


class _CustomGradient(torch.autograd.Function):
    """Runs ``f`` without tape; its gradient is the ``grad_fn`` that ``f`` returns."""

    @staticmethod
    def forward(ctx: Any, f: Callable[..., Any], *args: Any) -> Any:
        output, ctx.grad_fn = f(*args)
        return output

    @staticmethod
    def backward(ctx: Any, *upstream: Any) -> Any:
        grads = ctx.grad_fn(*upstream)
        grads = grads if isinstance(grads, (tuple, list)) else (grads,)
        return (None, *grads)


def custom_gradient(f: Callable[..., tuple[Any, Callable[..., Any]]]) -> Callable[..., Any]:
    """Decorate ``f(*args) -> (output, grad_fn)`` so that autograd uses
    ``grad_fn(upstream)`` (one gradient per argument) as the gradient of ``output``.

    Example:

    >>> @custom_gradient
    ... def clipped_identity(x):
    ...     return x, lambda upstream: upstream.clamp(-1.0, 1.0)
    """

    @functools.wraps(f)
    def wrapped(*args: Any) -> Any:
        return _CustomGradient.apply(f, *args)

    return wrapped


def vectorize(
    pyfunc: Callable[..., Any], *, excluded: set[int | str] | None = None, signature: str | None = None
) -> Callable[..., Any]:
    """``pyfunc`` made to broadcast over its tensor arguments (numpy's ``vectorize``).

    Args:
        pyfunc: A function of scalars (or of core shapes given by ``signature``).
        excluded: Positions or names of arguments passed through unvectorised.
        signature: Core dimensions such as ``"(n),(n)->()"``: those trailing axes reach
            ``pyfunc`` whole. Defaults to ``None``: every argument is scalar.
    """
    excluded = set(excluded or ())
    cores = _core_ranks(signature)

    @functools.wraps(pyfunc)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        fixed = {i: a for i, a in enumerate(args) if i in excluded}
        mapped = [torch.as_tensor(a) for i, a in enumerate(args) if i not in excluded]
        static = {k: v for k, v in kwargs.items() if k in excluded}
        ranks = cores or [0] * len(mapped)
        batch = torch.broadcast_shapes(*(t.shape[: t.ndim - r] for t, r in zip(mapped, ranks)))
        mapped = [t.expand(batch + t.shape[t.ndim - r :]) for t, r in zip(mapped, ranks)]

        def call(*tensors: Any) -> Any:
            values = iter(tensors)
            full = [fixed[i] if i in fixed else next(values) for i in range(len(args))]
            return pyfunc(*full, **static, **{k: v for k, v in kwargs.items() if k not in static})

        for _ in batch:
            call = torch.vmap(call)
        return call(*mapped)

    return wrapped


def _core_ranks(signature: str | None) -> list[int] | None:
    if signature is None:
        return None
    inputs = signature.split("->")[0]
    groups = inputs.replace(" ", "").split("),(")
    return [len([d for d in g.strip("()").split(",") if d]) for g in groups]


def jvp(
    fun: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any], has_aux: bool = False
) -> tuple[Any, ...]:
    """Forward-mode derivative: ``(fun(*primals), J @ tangents)``, plus ``aux`` when
    ``has_aux`` (``fun`` then returns ``(output, aux)``)."""
    return torch.func.jvp(fun, tuple(primals), tuple(tangents), has_aux=has_aux)
