"""Activation functions by their Keras names, as plain functions on torch tensors.

Mirrors ``keras.activations``: the same names, arguments and defaults, computed
with ``torch.nn.functional`` kernels wherever their formula is the one Keras
uses on its torch backend, so results match Keras to the last bit or ulp.

Example:
    >>> import torch
    >>> from torchseq import activations
    >>> activations.get("relu")(torch.tensor([-1.0, 2.0]))
    tensor([0., 2.])
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

__all__ = [
    "celu",
    "deserialize",
    "elu",
    "exponential",
    "gelu",
    "get",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "serialize",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh",
    "tanh_shrink",
    "threshold",
]

Axis = int | tuple[int, ...] | None


# --- Rectifiers -------------------------------------------------------------


def relu(
    x: torch.Tensor,
    negative_slope: float = 0.0,
    max_value: float | None = None,
    threshold: float = 0.0,
) -> torch.Tensor:
    """Rectified linear unit, optionally leaky, capped and shifted.

    With the defaults this is ``max(x, 0)``. Values above ``threshold`` pass
    (clipped to ``max_value`` when given); values below it become
    ``negative_slope * (x - threshold)``.

    Args:
        x: Input tensor.
        negative_slope: Slope below the threshold. Defaults to ``0.0``.
        max_value: Largest value returned, or ``None`` for no cap.
        threshold: Value below which the input is damped. Defaults to ``0.0``.

    Returns:
        A tensor with the shape and dtype of ``x``.
    """
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return F.relu(x)
    if max_value is None and threshold == 0.0:
        return F.leaky_relu(x, negative_slope)
    return _general_relu(x, negative_slope, max_value, threshold)


def _general_relu(
    x: torch.Tensor, negative_slope: float, max_value: float | None, threshold: float
) -> torch.Tensor:
    if threshold != 0.0:
        positive = torch.where(x > threshold, x, torch.zeros_like(x))
    else:
        positive = F.relu(x)
    if max_value is not None:
        positive = torch.clamp(positive, 0.0, max_value)
    if negative_slope == 0.0:
        return positive
    return positive - negative_slope * F.relu(threshold - x)


def leaky_relu(x: torch.Tensor, negative_slope: float = 0.2) -> torch.Tensor:
    """Leaky ReLU: ``x`` for ``x >= 0``, ``negative_slope * x`` otherwise.

    Args:
        x: Input tensor.
        negative_slope: Slope for negative inputs. Defaults to ``0.2`` as in
            Keras (torch's default is ``0.01``).
    """
    return F.leaky_relu(x, negative_slope)


def relu6(x: torch.Tensor) -> torch.Tensor:
    """ReLU capped at 6: ``min(max(x, 0), 6)``."""
    return F.relu6(x)


def elu(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """Exponential linear unit: ``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``.

    Args:
        x: Input tensor.
        alpha: Scale of the negative part. Defaults to ``1.0``.
    """
    return F.elu(x, alpha)


def selu(x: torch.Tensor) -> torch.Tensor:
    """Scaled ELU with the self-normalising constants (alpha≈1.6733, scale≈1.0507)."""
    return F.selu(x)


def celu(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """Continuously differentiable ELU: ``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Args:
        x: Input tensor.
        alpha: Shape parameter. Defaults to ``1.0``.
    """
    return F.celu(x, alpha)


# --- Smooth rectifiers ------------------------------------------------------


def softplus(x: torch.Tensor) -> torch.Tensor:
    """Softplus: ``log(exp(x) + 1)``."""
    return F.softplus(x)


def softsign(x: torch.Tensor) -> torch.Tensor:
    """Softsign: ``x / (abs(x) + 1)``."""
    return F.softsign(x)


def squareplus(x: torch.Tensor, b: float = 4) -> torch.Tensor:
    """Squareplus: ``(x + sqrt(x**2 + b)) / 2``.

    Args:
        x: Input tensor.
        b: Smoothness of the bend. Defaults to ``4``.
    """
    return (x + torch.sqrt(torch.square(x) + b)) / 2


def sparse_plus(x: torch.Tensor) -> torch.Tensor:
    """SparsePlus: ``0`` for ``x <= -1``, ``(x + 1)**2 / 4`` for ``|x| < 1``, ``x`` for ``x >= 1``."""
    quadratic = 0.25 * torch.square(x + 1)
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x < 1, quadratic, x))


def silu(x: torch.Tensor) -> torch.Tensor:
    """SiLU, also called swish: ``x * sigmoid(x)``."""
    return F.silu(x)


def gelu(x: torch.Tensor, approximate: bool = False) -> torch.Tensor:
    """Gaussian error linear unit: ``x * Phi(x)``.

    Args:
        x: Input tensor.
        approximate: Use the tanh approximation. Defaults to ``False`` as in
            ``keras.activations.gelu`` (``keras.ops.gelu`` defaults to ``True``).
    """
    return F.gelu(x, approximate="tanh" if approximate else "none")


def mish(x: torch.Tensor) -> torch.Tensor:
    """Mish: ``x * tanh(softplus(x))``."""
    return F.mish(x)


def glu(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """Gated linear unit: split ``x`` in halves ``a, b`` along ``axis``, return ``a * sigmoid(b)``.

    Args:
        x: Input tensor; its size along ``axis`` must be even.
        axis: The axis to split. Defaults to ``-1``.
    """
    return F.glu(x, dim=axis)


# --- Squashing functions ----------------------------------------------------


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Logistic sigmoid: ``1 / (1 + exp(-x))``."""
    return torch.sigmoid(x)


def tanh(x: torch.Tensor) -> torch.Tensor:
    """Hyperbolic tangent."""
    return torch.tanh(x)


def hard_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Piecewise-linear sigmoid: ``0`` below -3, ``1`` above 3, ``x / 6 + 0.5`` between.

    This is Keras 3's formula; Keras 2 used ``0.2 * x + 0.5`` clipped at ±2.5.
    """
    return F.hardsigmoid(x)


def hard_silu(x: torch.Tensor) -> torch.Tensor:
    """Hard SiLU (hard swish): ``x * hard_sigmoid(x)``."""
    return F.hardswish(x)


def hard_tanh(x: torch.Tensor) -> torch.Tensor:
    """Hard tanh: ``x`` clipped to ``[-1, 1]``."""
    return F.hardtanh(x, -1.0, 1.0)


def sparse_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Sparse sigmoid: ``(x + 1) / 2`` clipped to ``[0, 1]``."""
    return torch.clamp(0.5 * (x + 1), 0.0, 1.0)


def log_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Logarithm of the sigmoid, computed stably: ``-softplus(-x)``."""
    return F.logsigmoid(x)


# --- Shrinkage and thresholds -----------------------------------------------


def soft_shrink(x: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """Soft shrink: move ``x`` towards zero by ``threshold``, zero inside ``[-threshold, threshold]``.

    Args:
        x: Input tensor.
        threshold: Half-width of the zero band. Defaults to ``0.5``.
    """
    return F.softshrink(x, threshold)


def hard_shrink(x: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """Hard shrink: ``x`` where ``|x| > threshold``, ``0`` elsewhere.

    Args:
        x: Input tensor.
        threshold: Half-width of the zero band. Defaults to ``0.5``.
    """
    return F.hardshrink(x, threshold)


def tanh_shrink(x: torch.Tensor) -> torch.Tensor:
    """Tanh shrink: ``x - tanh(x)``."""
    return F.tanhshrink(x)


def threshold(x: torch.Tensor, threshold: float, default_value: float) -> torch.Tensor:
    """``x`` where ``x > threshold``, ``default_value`` elsewhere.

    Both arguments are required, as in Keras, so the name ``"threshold"`` is
    only usable as a layer activation through ``functools.partial``.

    Args:
        x: Input tensor.
        threshold: Values at or below this are replaced.
        default_value: The replacement value.
    """
    return F.threshold(x, threshold, default_value)


# --- Identity and exponential -----------------------------------------------


def linear(x: torch.Tensor) -> torch.Tensor:
    """Identity: returns ``x`` unchanged."""
    return x


def exponential(x: torch.Tensor) -> torch.Tensor:
    """Exponential: ``exp(x)``."""
    return torch.exp(x)


# --- Normalising functions --------------------------------------------------


def softmax(x: torch.Tensor, axis: Axis = -1) -> torch.Tensor:
    """Softmax: ``exp(x) / sum(exp(x))`` along ``axis``.

    Warns, as Keras does, when ``axis`` has size 1 (the result is then always 1).

    Args:
        x: Input tensor.
        axis: An axis, a tuple of axes normalised together, or ``None`` for all
            axes. Defaults to ``-1``.

    Example:
        >>> softmax(torch.tensor([0.0, 0.0]))
        tensor([0.5000, 0.5000])
    """
    if isinstance(axis, int) and -x.ndim <= axis < x.ndim and x.shape[axis] == 1:
        warnings.warn(
            f"softmax over axis {axis} of a tensor of shape {tuple(x.shape)}: this axis has "
            "size 1, so the result is always 1. Did you mean sigmoid?",
            UserWarning,
            stacklevel=2,
        )
    return _over_axes(F.softmax, x, axis)


def log_softmax(x: torch.Tensor, axis: Axis = -1) -> torch.Tensor:
    """Log-softmax: ``x - logsumexp(x)`` along ``axis``, computed stably.

    Args:
        x: Input tensor.
        axis: An axis, a tuple of axes, or ``None`` for all axes. Defaults to ``-1``.
    """
    return _over_axes(F.log_softmax, x, axis)


def _over_axes(fn: Callable[..., torch.Tensor], x: torch.Tensor, axis: Axis) -> torch.Tensor:
    """Apply a normalisation over one axis, several axes, or all of them."""
    if isinstance(axis, int):
        return fn(x, dim=axis)
    axes = tuple(range(x.ndim)) if axis is None else tuple(a % x.ndim for a in axis)
    moved = torch.movedim(x, axes, tuple(range(x.ndim - len(axes), x.ndim)))
    flat = fn(moved.reshape(*moved.shape[: x.ndim - len(axes)], -1), dim=-1)
    return torch.movedim(flat.reshape(moved.shape), tuple(range(x.ndim - len(axes), x.ndim)), axes)


def sparsemax(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """Sparsemax: the Euclidean projection of ``x`` onto the probability simplex along ``axis``.

    Like softmax it sums to 1, but small entries become exactly 0.

    Args:
        x: Input tensor.
        axis: The axis to normalise. Defaults to ``-1``.
    """
    moved = torch.movedim(x, axis, -1)
    ranked, _ = torch.sort(moved, dim=-1, descending=True)
    cumulative = torch.cumsum(ranked, dim=-1)
    ks = torch.arange(1, moved.shape[-1] + 1, device=x.device, dtype=x.dtype)
    in_support = ranked - (cumulative - 1) / ks > 0
    support_size = in_support.sum(dim=-1, keepdim=True)
    support_sum = torch.where(in_support, cumulative, torch.zeros_like(cumulative)).sum(
        dim=-1, keepdim=True
    )
    tau = (support_sum - 1) / support_size
    return torch.movedim(torch.clamp(moved - tau, min=0.0), -1, axis)


# --- Lookup -----------------------------------------------------------------

swish = silu
hard_swish = hard_silu

_BY_NAME: dict[str, Callable[..., torch.Tensor]] = {
    fn.__name__: fn
    for fn in (
        celu,
        elu,
        exponential,
        gelu,
        glu,
        hard_shrink,
        hard_sigmoid,
        hard_silu,
        hard_tanh,
        leaky_relu,
        linear,
        log_sigmoid,
        log_softmax,
        mish,
        relu,
        relu6,
        selu,
        sigmoid,
        silu,
        soft_shrink,
        softmax,
        softplus,
        softsign,
        sparse_plus,
        sparse_sigmoid,
        sparsemax,
        squareplus,
        tanh,
        tanh_shrink,
        threshold,
    )
}
_BY_NAME["swish"] = silu
_BY_NAME["hard_swish"] = hard_silu

# Aliases serialise to the canonical Keras name (``swish`` -> ``"silu"``).
_NAME_OF: dict[Callable[..., torch.Tensor], str] = {fn: fn.__name__ for fn in _BY_NAME.values()}


# Element-wise built-ins with an in-place torch form (see ``stages``).
_IN_PLACE: tuple[tuple[Callable[..., torch.Tensor], Callable[..., torch.Tensor]], ...] = (
    (relu, torch.relu_),
    (sigmoid, torch.sigmoid_),
    (tanh, torch.tanh_),
)


def stages(
    activation: Callable[..., Any],
) -> tuple[Callable[..., Any] | None, Callable[..., Any] | None]:
    """How a layer applies ``activation`` to the output its kernel has just created.

    Returns ``(in_place, after)``, at most one of them set. ``in_place`` is the in-place form
    of an element-wise built-in, to run on the kernel's output itself, before any view of it
    (on a view, autograd would copy the whole base back): it needs no new memory, which on
    the CPU also spares the page faults of touching fresh memory. ``after`` is any other
    activation, run on the layer's final output; both are ``None`` for ``linear``.
    Resolved on every call, so assigning ``layer.activation`` later takes effect.
    """
    if activation is linear:
        return None, None
    for function, in_place in _IN_PLACE:
        if activation is function:
            return in_place, None
    return None, activation


def get(identifier: str | dict[str, Any] | Callable[..., Any] | None) -> Callable[..., Any]:
    """Resolve an activation identifier to a function.

    Args:
        identifier: ``None`` (gives :func:`linear`), a Keras name such as
            ``"relu"`` (case-sensitive), a Keras config dict such as
            ``{"class_name": "function", "config": "relu"}``, or any callable,
            returned as is.

    Returns:
        The activation function.

    Raises:
        ValueError: If the name is unknown; the message lists the valid names.
        TypeError: If ``identifier`` is of any other type.

    Example:
        >>> get("swish") is silu
        True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(
        "activation must be a string name, a config dict, a callable or None, "
        f"received: {identifier!r} of type {type(identifier).__name__}"
    )


def serialize(activation: Callable[..., Any]) -> str | dict[str, Any]:
    """Return what :func:`get` resolves back to this function, as Keras writes it.

    Built-ins give their Keras name (``swish`` gives ``"silu"`` as in Keras); other
    functions give Keras's function config, naming them as registered
    (``"package>name"``) or by their ``__name__``:
    ``{"module": "builtins", "class_name": "function", "config": name, ...}``.

    Raises:
        TypeError: If ``activation`` is not callable or has no ``__name__``.
    """
    if activation in _NAME_OF:
        return _NAME_OF[activation]
    name = getattr(activation, "__name__", None)
    if not callable(activation) or not isinstance(name, str):
        raise TypeError(
            "activation must be a function with a __name__, "
            f"received: {activation!r} of type {type(activation).__name__}"
        )
    from torchseq.saving import object_registration  # late: saving sits above the layers

    return {
        "module": "builtins",
        "class_name": "function",
        "config": object_registration.get_registered_name(activation),
        "registered_name": "function",
    }


def deserialize(
    config: str | dict[str, Any],
    custom_objects: dict[str, Callable[..., Any]] | None = None,
) -> Callable[..., Any]:
    """Resolve a name or a Keras function config dict to an activation function.

    Args:
        config: A name such as ``"relu"`` or a dict such as
            ``{"class_name": "function", "config": "relu"}``.
        custom_objects: Extra name -> function entries. Names are looked up as Keras
            does: in an active ``custom_object_scope``, the functions registered with
            ``register_keras_serializable`` (``"package>name"``), ``custom_objects``,
            then the built-ins.

    Raises:
        ValueError: If the name is unknown or the dict is malformed.
        TypeError: If ``config`` is neither a string nor a dict.
    """
    if isinstance(config, dict):
        config = _name_from_config(config)
    if not isinstance(config, str):
        raise TypeError(
            f"activation config must be a string or a dict, received: {config!r} "
            f"of type {type(config).__name__}"
        )
    from torchseq.saving import object_registration  # late: saving sits above the layers

    found = object_registration.get_registered_object(config, custom_objects, _BY_NAME)
    if found is None:
        known = {**_BY_NAME, **(custom_objects or {})}
        raise ValueError(
            f"Unknown activation: expected one of {sorted(known)} or a registered "
            f"function, received: {config!r}"
        )
    return found


def _name_from_config(config: dict[str, Any]) -> Any:
    """The function name inside a Keras ``{"class_name": "function", "config": name}`` dict."""
    if config.get("class_name") != "function" or "config" not in config:
        raise ValueError(
            "activation config dict must look like {'class_name': 'function', 'config': name}, "
            f"received: {config!r}"
        )
    return config["config"]
