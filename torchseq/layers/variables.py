"""The Keras ``Variable`` face of a weight: ``assign``, ``numpy()``, ``value``, ``path``.

A weight stays the tensor torch trains: a trainable weight is a ``torch.nn.Parameter``, a
non-trainable one (a BatchNormalization's moving mean, a metric's total) a buffer. Its owner
gives it Keras's variable methods by switching its class, in place, to :class:`Parameter` or
:class:`Buffer` (subclasses that add only Python methods and, like ``nn.Parameter``, disable
``__torch_function__``), so optimizers, ``state_dict`` and ``torch.compile`` see the same
tensor as before and no torch operation pays for the face.

Keras speaks of a weight in Keras's layout; torchseq stores some weights in the layout of
torch's kernels (a conv kernel ``(kh, kw, in, out)`` is stored ``(out, in, kh, kw)``). The
face speaks Keras's layout: ``value``, ``numpy()`` (and so ``np.asarray(weight)``) return it,
and ``assign`` takes it, as ``get_weights`` / ``set_weights`` do. The tensor itself, its
``shape`` and its ``dtype`` stay torch's.

A weight made inside ``keras.name_scope`` blocks has their names in front of its path
(``"encoder/block/dense/kernel"``), as in Keras: :func:`scoped_path`.

Example:
    >>> import numpy as np
    >>> import torchseq as keras
    >>> layer = keras.layers.Dense(2)
    >>> _ = layer(np.zeros((1, 3), "float32"))
    >>> _ = layer.bias.assign([1.0, 2.0])
    >>> layer.bias.numpy(), layer.bias.path, layer.bias.name, layer.bias.dtype_name
    (array([1., 2.], dtype=float32), 'dense/bias', 'bias', 'float32')
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from torch import nn
from torch._C import _disabled_torch_function_impl
from torch.optim import optimizer as torch_optimizer

from torchseq import config, name_scopes
from torchseq.utils import layouts

__all__ = ["Buffer", "Parameter", "Variable", "attach", "scoped_path"]


class Variable:
    """What every weight adds to its tensor: Keras's ``Variable`` API.

    Mixed into :class:`Parameter` and :class:`Buffer`; ``isinstance(w, Variable)`` tells
    whether a tensor has the face. ``path`` (``"dense/kernel"``) and the Keras layout are
    kept in the tensor's ``__dict__`` by :func:`attach`.

    ``keras.Variable(initializer, shape=None, dtype=None, trainable=True, name=None)`` makes
    a standalone variable, as in Keras: a :class:`Parameter` when trainable, else a
    :class:`Buffer`. ``initializer`` is an initializer (or its name), called with
    ``shape``, or the value itself; ``dtype`` defaults to ``floatx()``. Assigned to an
    attribute of a layer, the variable becomes one of its weights. ``autocast``,
    ``aggregation`` and ``synchronization`` are accepted for compatibility.

    Example:
        >>> v = Variable(np.ones((2,)), name="scale")
        >>> v.path, v.trainable, v.numpy()
        ('scale', True, array([1., 1.], dtype=float32))
    """

    __torch_function__ = _disabled_torch_function_impl

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is not Variable:  # Parameter(data, requires_grad): torch's constructors
            return super().__new__(cls, *args, **kwargs)
        return _standalone_variable(*args, **kwargs)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass  # made whole by __new__

    @property
    def name(self) -> str:
        """The weight's short name (``"kernel"``), the last part of :attr:`path`."""
        return self.__dict__.get("path", "variable").rpartition("/")[2]

    @property
    def trainable(self) -> bool:
        """Whether training updates the weight: a parameter that requires grad."""
        return isinstance(self, nn.Parameter) and self.requires_grad

    @trainable.setter
    def trainable(self, value: bool) -> None:
        if not isinstance(self, nn.Parameter):
            if value:
                raise ValueError(
                    f'Variable "{self._label}" is a non-trainable weight (a buffer), so it '
                    "cannot be made trainable, received: trainable=True; create it with "
                    "add_weight(trainable=True) instead"
                )
            return
        self.requires_grad_(bool(value))

    @property
    def dtype_name(self) -> str:
        """The dtype as Keras spells it (``"float32"``); ``dtype`` stays torch's."""
        return config.dtype_name(self.dtype)

    @property
    def value(self) -> torch.Tensor:
        """The weight in Keras's layout: the tensor itself, or a differentiable view of it
        whose ``grad`` is the weight's gradient in that layout (so ``v.value.grad``, which
        Keras's torch guides pass to ``optimizer.apply``, reads as it does in Keras)."""
        layout = self.__dict__.get("_keras_layout")
        if layout is None:
            return self
        view = layouts.to_keras(self, layout).as_subclass(_KerasView)
        view.__dict__["_weight"] = self
        return view

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """A copy of the value in Keras's layout, also when the weight requires grad.

        bfloat16, which numpy lacks, comes back as float32. ``force`` is torch's
        argument and is accepted for compatibility.
        """
        keras_value = layouts.to_keras(self.detach(), self.__dict__.get("_keras_layout"))
        if keras_value.dtype == torch.bfloat16:
            keras_value = keras_value.float()
        return keras_value.cpu().numpy().copy()

    def assign(self, value: Any) -> Variable:
        """Overwrite the weight in place with ``value`` (in Keras's layout); return the weight.

        The write is not recorded by autograd. ``value`` may be a number, a nested list, a
        numpy array, a tensor or another variable (whose Keras value is used); it is cast
        to the weight's dtype and device and must have the weight's Keras shape.
        """
        layout = self.__dict__.get("_keras_layout")
        if isinstance(value, Variable):
            value = value.value
        value = _as_tensor(value)
        expected = self._keras_shape()
        received = tuple(value.shape)
        if received != expected:
            hint = ""
            if layout is not None and received == tuple(self.shape):
                hint = (
                    "; that is the stored torch layout, assign takes Keras's layout "
                    "(write a torch-layout value with `with torch.no_grad(): w.copy_(value)`)"
                )
            raise ValueError(
                f'Variable "{self._label}": assign expected a value of shape {expected}, '
                f"received: value with shape {received}{hint}"
            )
        with torch.no_grad():
            self.copy_(layouts.to_stored(value, layout))
        return self

    def assign_add(self, value: Any) -> Variable:
        """``assign(value + delta)`` in place; ``value`` broadcasts to the weight's shape."""
        with torch.no_grad():
            return self.assign(self.value + _as_tensor(value).to(self.device))

    def assign_sub(self, value: Any) -> Variable:
        """``assign(value - delta)`` in place; ``value`` broadcasts to the weight's shape."""
        with torch.no_grad():
            return self.assign(self.value - _as_tensor(value).to(self.device))

    @property
    def _label(self) -> str:
        return self.__dict__.get("path", "variable")

    def _keras_shape(self) -> tuple[int, ...]:
        layout = self.__dict__.get("_keras_layout")
        if layout is None:
            return tuple(self.shape)
        if hasattr(layout, "to_keras"):
            with torch.no_grad():
                return tuple(layout.to_keras(self.detach()).shape)
        return tuple(self.shape[axis] for axis in layouts.inverse(layout))

    def __deepcopy__(self, memo: dict[int, Any]) -> Variable:
        if id(self) in memo:
            return memo[id(self)]
        data = self.detach().clone(memory_format=torch.preserve_format)
        if isinstance(self, nn.Parameter):
            result = type(self)(data, self.requires_grad)
        else:
            result = data.requires_grad_(self.requires_grad)
            result.__class__ = type(self)
        memo[id(self)] = result
        result.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return result

    def __repr__(self) -> str:
        # Print as torch prints the tensor it was: ``Parameter containing: tensor(...)``.
        face = type(self)
        self.__class__ = nn.Parameter if isinstance(self, nn.Parameter) else torch.Tensor
        try:
            return repr(self)
        finally:
            self.__class__ = face

    def __reduce_ex__(self, protocol: Any) -> Any:
        # Pickle as the plain torch tensor (with its path), so `torch.load(weights_only=True)`
        # needs no torchseq class; the owning layer gives the face back when it is unpickled.
        if isinstance(self, nn.Parameter):
            plain = nn.Parameter(self.data, self.requires_grad)
        else:
            plain = self.as_subclass(torch.Tensor)
        if "path" in self.__dict__:
            plain.path = self.__dict__["path"]
        return plain.__reduce_ex__(protocol)


class Parameter(Variable, nn.Parameter):
    """A trainable weight: an ``nn.Parameter`` with the Keras variable face."""

    __torch_function__ = _disabled_torch_function_impl


class Buffer(Variable, torch.Tensor):
    """A non-trainable weight or a metric's state: a buffer with the Keras variable face."""

    __torch_function__ = _disabled_torch_function_impl


# torch.optim picks its multi-tensor (foreach) and fused kernels only for tensors whose type
# is exactly in this list; the face changes nothing torch computes, so its classes qualify.
_TORCH_OPTIM_TYPES = getattr(torch_optimizer, "_foreach_supported_types", None)
if isinstance(_TORCH_OPTIM_TYPES, list):
    _TORCH_OPTIM_TYPES.extend(cls for cls in (Parameter, Buffer) if cls not in _TORCH_OPTIM_TYPES)


class _KerasView(torch.Tensor):
    """``value`` of a weight stored in another layout than Keras's: a differentiable view,
    not a leaf, whose ``grad`` is the weight's (a view's own would stay ``None``)."""

    __torch_function__ = _disabled_torch_function_impl

    @property
    def grad(self) -> torch.Tensor | None:
        weight = self.__dict__["_weight"]
        return layouts.keras_gradient(weight, weight.__dict__.get("_keras_layout"))


def attach(tensor: torch.Tensor, path: str, layout: layouts.Layout = None) -> torch.Tensor:
    """Give ``tensor`` the variable face, in place, and return it.

    Only plain tensors and parameters change class (a fake or other subclassed tensor
    keeps its own); all get ``path`` and the layout.

    Args:
        tensor: A materialised weight: an ``nn.Parameter`` or a buffer.
        path: ``"layer_name/weight_name"``.
        layout: How Keras's value maps to the stored tensor (see ``utils.layouts``).
    """
    kind = type(tensor)
    if kind is nn.Parameter:
        tensor.__class__ = Parameter
    elif kind is torch.Tensor:
        tensor.__class__ = Buffer
    tensor.path = path
    tensor._keras_layout = layout
    return tensor


def _standalone_variable(
    initializer: Any,
    shape: Any = None,
    dtype: Any = None,
    trainable: bool = True,
    autocast: bool = True,
    aggregation: str | None = "none",
    synchronization: str | None = "auto",
    name: str | None = None,
) -> Parameter | Buffer:
    """``keras.Variable(...)``: see :class:`Variable`."""
    name = "variable" if name is None else name
    if not isinstance(name, str) or "/" in name:
        raise ValueError(
            f"Variable: name must be a string without '/', received: name={name!r}"
        )
    dtype = config.standardize_dtype(dtype)
    if isinstance(initializer, str) or callable(initializer) and not hasattr(
        initializer, "__array__"
    ):
        if shape is None:
            raise ValueError(
                "Variable: an initializer needs the variable's shape, received: shape=None "
                f"with initializer={initializer!r}"
            )
        from torchseq import initializers  # late: initializers build on the layers' helpers

        value = initializers.get(initializer)(tuple(int(dim) for dim in shape), dtype=dtype)
    else:
        value = initializer
    with torch.no_grad():
        tensor = torch.as_tensor(_as_tensor(value), dtype=dtype).clone().contiguous()
    if shape is not None and tuple(tensor.shape) != tuple(int(dim) for dim in shape):
        raise ValueError(
            f"Variable: the initial value has shape {tuple(tensor.shape)}, but "
            f"shape={tuple(shape)} was given"
        )
    weight = nn.Parameter(tensor) if trainable else tensor
    return attach(weight, scoped_path(name))  # type: ignore[return-value]


def scoped_path(path: str) -> str:
    """``path`` behind the open ``name_scope`` blocks: ``"dense/kernel"`` made inside
    ``name_scope("encoder")`` is ``"encoder/dense/kernel"``."""
    scope = name_scopes.current_path()
    return f"{scope}/{path}" if scope else path


def _as_tensor(value: Any) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach()
    return torch.as_tensor(np.asarray(value))
