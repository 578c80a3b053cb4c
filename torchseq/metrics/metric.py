"""The ``Metric`` base class and the reduction metrics ``Mean``, ``Sum``, ``MeanMetricWrapper``.

A metric is a ``torch.nn.Module`` whose state lives in buffers: ``.to(device)`` moves it,
``update_state`` changes it in place with torch ops (no ``.item()``, no host sync), and
``result()`` returns a 0-d tensor (or a vector) on the state's device. The buffers are not
persistent, so a model that owns metrics keeps the same ``state_dict`` as one that does not.

Example:
    >>> import torch
    >>> from torchseq import metrics
    >>> m = metrics.Mean()
    >>> m.update_state(torch.tensor([1.0, 3.0, 5.0, 7.0]), sample_weight=[1, 1, 0, 0])
    >>> m.result()
    tensor(2.)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn.parameter import UninitializedBuffer, is_lazy

from torchseq import config, ops
from torchseq import initializers as initializers_module
from torchseq.layers import symbolic, variables
from torchseq.losses._inputs import explain_shape_error
from torchseq.utils import naming

__all__ = ["Mean", "MeanMetricWrapper", "Metric", "Sum"]

_Number = (int, float)


def _without_grad(update: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(update)
    def update_state(*args: Any, **kwargs: Any) -> Any:
        if symbolic.in_shape_inference():  # a layer's call on fake tensors counts no batch
            return None
        if not torch.is_grad_enabled():  # the trainer already updates under no_grad
            return update(*args, **kwargs)
        with torch.no_grad():
            return update(*args, **kwargs)

    update_state._runs_without_grad = True  # type: ignore[attr-defined]
    return update_state


class Metric(nn.Module):
    """Base class of all metrics; mirrors ``keras.metrics.Metric``.

    Subclasses create their state in ``__init__`` with :meth:`add_variable`, change it in
    ``update_state`` with in-place torch ops and compute the value in ``result``.
    ``update_state`` runs without autograd (a subclass's override is wrapped
    automatically), so predictions that require grad never leak into the state.

    Args:
        name: Name of the metric, used as its log key. Defaults to ``None``: the snake-case
            class name, made unique (``"precision"``, ``"precision_1"``...) as Keras does.
        dtype: Dtype of the state and result. Defaults to ``None``: ``config.floatx()``.

    Example:
        >>> class Total(Metric):
        ...     def __init__(self, name="total", dtype=None):
        ...         super().__init__(name=name, dtype=dtype)
        ...         self.total = self.add_variable(shape=(), name="total")
        ...     def update_state(self, y_true, y_pred, sample_weight=None):
        ...         self.total.add_(torch.sum(torch.as_tensor(y_pred)))
        ...     def result(self):
        ...         return self.total.clone()
    """

    def __init__(self, name: str | None = None, dtype: str | torch.dtype | None = None) -> None:
        super().__init__()
        if name is not None and not isinstance(name, str):
            raise TypeError(
                f"{type(self).__name__}: name must be a string or None, "
                f"received: name={name!r} of type {type(name).__name__}"
            )
        self.name = name or naming.unique_name(_snake_case(type(self).__name__))
        self._compute_dtype = config.standardize_dtype(dtype)
        self._variable_names: list[str] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        update = cls.__dict__.get("update_state")
        if update is not None and not getattr(update, "_runs_without_grad", False):
            cls.update_state = _without_grad(update)  # type: ignore[method-assign]

    @property
    def dtype(self) -> str:
        """The dtype of the state and result, spelt as Keras does (``"float32"``)."""
        return config.dtype_name(self._compute_dtype)

    def add_variable(
        self,
        shape: tuple[int, ...] | list[int] | None = (),
        initializer: Any = "zeros",
        dtype: str | torch.dtype | None = None,
        name: str | None = None,
    ) -> torch.Tensor:
        """Create a state buffer and return it.

        Args:
            shape: Shape of the state. ``None`` creates a lazy buffer whose shape is given
                later with :meth:`_materialize` (for state sized by the first batch).
            initializer: Keras initializer identifier for the initial value. Defaults to
                ``"zeros"``; :meth:`reset_state` sets the state back to zeros, as Keras does.
            dtype: Dtype of the buffer. Defaults to the metric's dtype.
            name: Attribute name of the buffer. Defaults to ``"variable"``, made unique.
        """
        name = name or _free_name(self, "variable")
        target = self._compute_dtype if dtype is None else config.standardize_dtype(dtype)
        device = self._state_device()
        if shape is None:
            value: torch.Tensor = UninitializedBuffer(device=device, dtype=target)
        else:
            init = initializers_module.get(initializer or "zeros")
            value = torch.as_tensor(init(tuple(shape), dtype=target), device=device)
        if not is_lazy(value):
            variables.attach(value, f"{self.name}/{name}")
        self.register_buffer(name, value, persistent=False)
        self._variable_names.append(name)
        return getattr(self, name)

    add_weight = add_variable  # Keras's backwards-compatible alias

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        """Accumulate statistics from one batch."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state()")

    def result(self) -> torch.Tensor:
        """The current value, a tensor on the state's device."""
        raise NotImplementedError(f"{type(self).__name__} must implement result()")

    @property
    def variables(self) -> list[torch.Tensor]:
        """The state buffers made by :meth:`add_variable`, this metric's and its sub-metrics'."""
        return [
            getattr(metric, name)
            for metric in self.modules()
            if isinstance(metric, Metric)
            for name in metric._variable_names
        ]

    def reset_state(self) -> None:
        """Set every (built) state variable back to zero, in place."""
        with torch.no_grad():
            for variable in self.variables:
                if not is_lazy(variable):
                    variable.zero_()

    def forward(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        """``update_state(*args, **kwargs)`` then ``result()``: Keras's stateful call."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-serialisable."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        """Rebuild a metric from the output of :meth:`get_config`."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"

    def _state_device(self) -> torch.device:
        buffer = next(self.buffers(), None)
        return torch.device("cpu") if buffer is None else buffer.device

    def _as_tensor(self, x: Any, dtype: torch.dtype | None = None) -> torch.Tensor:
        """``x`` as a tensor; arrays and numbers are placed on the state's device."""
        if isinstance(x, torch.Tensor):
            return x if dtype is None else x.to(dtype)
        return ops.convert_to_tensor(x, dtype).to(self._state_device())

    def _materialize(self, name: str, shape: tuple[int, ...]) -> None:
        """Give a lazy buffer from ``add_variable(shape=None)`` its shape, filled with zeros."""
        buffer = getattr(self, name)
        buffer.materialize(shape)
        variables.attach(buffer, f"{self.name}/{name}").zero_()

    def _attach_variables(self) -> None:
        """Give the state back its Keras variable face after torch replaced a buffer."""
        for name in self._variable_names:
            buffer = self._buffers.get(name)
            if buffer is not None and not is_lazy(buffer):
                variables.attach(buffer, f"{self.name}/{name}")

    # `.to(device)` replaces the buffers; unpickling rebuilds them as plain tensors.
    def _apply(self, fn: Any, recurse: bool = True) -> Metric:
        result = super()._apply(fn, recurse)
        self._attach_variables()
        return result

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._attach_variables()


class Sum(Metric):
    """The (weighted) sum of the values; mirrors ``keras.metrics.Sum``.

    Args:
        name: Defaults to ``"sum"``.
        dtype: Defaults to ``config.floatx()``.

    Example:
        >>> m = Sum()
        >>> m.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1, 1, 0, 0])
        >>> m.result()
        tensor(4.)
    """

    def __init__(self, name: str = "sum", dtype: str | torch.dtype | None = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), name="total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values, _ = reduce_to_samplewise(self, values, sample_weight, torch.sum)
        self.total.add_(torch.sum(values))

    def result(self) -> torch.Tensor:
        return self.total.clone()


class Mean(Metric):
    """The (weighted) mean of the values; mirrors ``keras.metrics.Mean``.

    Each sample (first axis) counts once, with its weight; values beyond the weight's rank
    are averaged first. A scalar ``sample_weight`` weighs the batch's mean as one sample,
    which is how a trainer tracks a loss: ``update_state(loss, sample_weight=batch_size)``.

    Args:
        name: Defaults to ``"mean"``.
        dtype: Defaults to ``config.floatx()``.

    Example:
        >>> m = Mean()
        >>> m.update_state([1.0, 3.0, 5.0, 7.0])
        >>> m.result()
        tensor(4.)
    """

    def __init__(self, name: str = "mean", dtype: str | torch.dtype | None = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), name="total")
        self.count = self.add_variable(shape=(), name="count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values, sample_weight = reduce_to_samplewise(self, values, sample_weight, torch.mean)
        self.total.add_(torch.sum(values))
        if sample_weight is None:
            self.count.add_(values.shape[0] if values.ndim >= 1 else 1)
        elif isinstance(sample_weight, _Number):
            self.count.add_(sample_weight)
        else:
            self.count.add_(torch.sum(sample_weight))

    def result(self) -> torch.Tensor:
        return divide_no_nan(self.total, self.count)


class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred, **kwargs)`` over all samples seen.

    Mirrors ``keras.metrics.MeanMetricWrapper``. ``fn`` returns per-sample values (any
    shape whose first axis is the batch) or one scalar per batch, as seed 004's
    ``def mean_pred(y_true, y_pred): return K.mean(y_pred)`` does; a scalar counts as one
    sample.

    Args:
        fn: The function to average, ``fn(y_true, y_pred, **kwargs)``.
        name: Defaults to ``None``: ``"mean_metric_wrapper"``, made unique, as in Keras.
            ``metrics.get(fn)`` names it after the function instead.
        dtype: Defaults to ``config.floatx()``.
        **kwargs: Keyword arguments passed on to ``fn``.

    Example:
        >>> def mean_pred(y_true, y_pred):
        ...     return torch.mean(y_pred)
        >>> m = MeanMetricWrapper(mean_pred, name="mean_pred")
        >>> m(torch.zeros(2, 1), torch.tensor([[0.2], [0.4]]))
        tensor(0.3000)
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        name: str | None = None,
        dtype: str | torch.dtype | None = None,
        **kwargs: Any,
    ) -> None:
        if not callable(fn):
            raise TypeError(
                f"MeanMetricWrapper: fn must be a callable f(y_true, y_pred), "
                f"received: fn={fn!r} of type {type(fn).__name__}"
            )
        super().__init__(name=name, dtype=dtype)  # type: ignore[arg-type]
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = self._as_tensor(y_pred)
        y_true = self._as_tensor(y_true)
        try:
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
        except RuntimeError as error:
            explain_shape_error(f"Metric {self.name!r}", y_true, y_pred, error)
            raise
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict[str, Any]:
        # Imported here: the package's serializer knows every module's functions.
        from torchseq.metrics import serialize

        return {**super().get_config(), "fn": serialize(self._fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        config = dict(config)
        if isinstance(config.get("fn"), (str, dict)):
            from torchseq.metrics import _deserialize_function

            config["fn"] = _deserialize_function(config["fn"])
        return cls(**config)


class FixedFunctionMean(MeanMetricWrapper):
    """The mean of one fixed function (a built-in metric such as ``MeanSquaredError``).

    Its config lists only the constructor's arguments (name, dtype and the function's
    options), so the class rebuilds itself from it as Keras's built-in metrics do.
    """

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}


def reduce_to_samplewise(
    metric: Metric, values: Any, sample_weight: Any, reduce_fn: Callable[..., torch.Tensor]
) -> tuple[torch.Tensor, Any]:
    """Weigh ``values`` and reduce them to one value per sample, as Keras's reduction metrics do.

    Values of higher rank than the weights are reduced (``reduce_fn``) down to the weights'
    rank, multiplied by the broadcast weights, then reduced to rank 1. Returns the values
    and the weights to count (``None``, a Python number, or a tensor per sample).
    """
    values = metric._as_tensor(values, metric._compute_dtype)
    if isinstance(sample_weight, _Number) and not isinstance(sample_weight, bool):
        # A number needs no tensor (and no host-to-device copy): the batch is one sample.
        if values.ndim > 0:
            values = reduce_fn(values)
        return values * sample_weight, sample_weight
    if sample_weight is not None:
        sample_weight = metric._as_tensor(sample_weight, metric._compute_dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim = sample_weight.ndim
        if values.ndim > weight_ndim:
            values = reduce_fn(values, dim=tuple(range(weight_ndim, values.ndim)))
        sample_weight = torch.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, dim=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, dim=tuple(range(1, values.ndim)))
    return values, sample_weight


def one_hot_classes(one_hot: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """The class ids of one-hot rows: their argmax along ``dim`` (boolean ones included,
    which ``torch.argmax`` refuses)."""
    if one_hot.dtype == torch.bool:
        one_hot = one_hot.view(torch.uint8)
    return torch.argmax(one_hot, dim=dim)


def squeeze_or_expand_to_same_rank(
    x1: torch.Tensor, x2: torch.Tensor, expand_rank_1: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Make the ranks equal when they differ by one trailing axis of size 1, as Keras does.

    The operand with the extra trailing 1 is squeezed, unless the other is rank 1 and
    ``expand_rank_1``: then that one gains a trailing axis instead.
    """
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        if x2.ndim == 1 and expand_rank_1:
            return x1, x2.unsqueeze(-1)
        return x1.squeeze(-1), x2
    if x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        if x1.ndim == 1 and expand_rank_1:
            return x1.unsqueeze(-1), x2
        return x1, x2.squeeze(-1)
    return x1, x2


def divide_no_nan(x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
    """``x1 / x2``, with 0 wherever ``x2`` is 0 (Keras's ``ops.divide_no_nan``)."""
    safe = torch.where(x2 == 0, torch.ones_like(x2), x2)
    return torch.where(x2 == 0, torch.zeros_like(x1), x1 / safe)


def _snake_case(name: str) -> str:
    """Keras's automatic-name spelling: non-word characters dropped, then snake_case."""
    return naming.to_snake_case(re.sub(r"\W+", "", name))


def _free_name(module: nn.Module, prefix: str) -> str:
    name, index = prefix, 0
    while hasattr(module, name):
        index += 1
        name = f"{prefix}_{index}"
    return name
