"""The ``Layer`` base class: a ``torch.nn.Module`` with Keras's build/call life cycle.

A layer is created without weights; the first time it sees an input (a real tensor or a
symbolic ``Input``) it calls ``build(input_shape)``, which creates the weights with
``add_weight``. Layers declare their weights in ``__init__`` as torch lazy placeholders
(``UninitializedParameter``), so a state dict can be loaded into an unbuilt model.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import itertools
import math
import re
import threading
import warnings
from collections.abc import Iterator
from threading import get_ident
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn
from torch._subclasses.fake_tensor import unset_fake_temporarily
from torch.nn.modules.lazy import LazyModuleMixin
from torch.nn.parameter import (
    UninitializedBuffer,
    UninitializedParameter,
    UninitializedTensorMixin,
    is_lazy,
)

from torchseq import config, dtype_policies
from torchseq.layers import subclass_config, tracked_containers, variables
from torchseq.layers.symbolic import KerasTensor, Node, infer_output_spec, is_symbolic
from torchseq.utils import conversion, naming, tree
from torchseq.utils.integers import int_or_none, is_int
from torchseq.utils.layouts import stored_shape as _stored_shape
from torchseq.utils.layouts import to_keras as _keras_view
from torchseq.utils.layouts import to_stored as _to_stored

if TYPE_CHECKING:  # typing.Self is Python 3.11+; annotations are strings here
    from typing import Self

__all__ = ["InputSpec", "Layer", "WeightLayout", "with_keras_mask"]

_INPUT_SHAPE_KWARGS = ("input_shape", "input_dim", "batch_size", "batch_input_shape")


@dataclasses.dataclass
class InputSpec:
    """What a built layer accepts: a rank and the sizes of some axes.

    Args:
        ndim: Exact rank, or ``None``.
        min_ndim: Smallest rank, or ``None``.
        axes: ``{axis: size}`` for axes whose size is fixed once the layer is built.
    """

    ndim: int | None = None
    min_ndim: int | None = None
    axes: dict[int, int] = dataclasses.field(default_factory=dict)

    def check(self, layer_name: str, index: int, shape: tuple) -> None:
        """Raise a ``ValueError`` naming the layer if ``shape`` does not fit."""
        prefix = f'Input {index} of layer "{layer_name}" is incompatible with the layer:'
        if self.ndim is not None and len(shape) != self.ndim:
            raise ValueError(
                f"{prefix} expected ndim={self.ndim}, found ndim={len(shape)}. "
                f"Full shape received: {_format_shape(shape)}"
            )
        if self.min_ndim is not None and len(shape) < self.min_ndim:
            raise ValueError(
                f"{prefix} expected min_ndim={self.min_ndim}, found ndim={len(shape)}. "
                f"Full shape received: {_format_shape(shape)}"
            )
        for axis, size in self.axes.items():
            received = shape[axis] if -len(shape) <= axis < len(shape) else None
            if received is not None and received != size:
                raise ValueError(
                    f"{prefix} expected axis {axis} of input shape to have value {size}, "
                    f"but received input with shape {_format_shape(shape)}"
                )


class WeightLayout:
    """A stored layout that a permutation cannot express (e.g. a recurrent kernel's gate order).

    Subclasses convert between the Keras value and the stored tensor; ``add_weight(layout=...)``
    accepts an instance wherever it accepts a permutation.
    """

    def stored_shape(self, keras_shape: tuple[int, ...]) -> tuple[int, ...]:
        raise NotImplementedError

    def to_stored(self, keras_value: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def to_keras(self, stored: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


@dataclasses.dataclass
class _WeightSpec:
    """How a weight relates to Keras: layout, regularizer, constraint, variable path."""

    trainable: bool
    layout: tuple[int, ...] | WeightLayout | None = None  # Keras value -> stored tensor
    regularizer: Any = None
    constraint: Any = None
    path: str = ""  # "layer/weight", behind the name_scope blocks open when it was made


class Layer(LazyModuleMixin, nn.Module):
    """Base class of every torchseq layer and model; mirrors ``keras.layers.Layer``.

    Subclasses override ``build(input_shape)`` to create weights with ``add_weight``,
    ``call(inputs, training=None, mask=None)`` for the computation, and
    ``compute_output_shape`` so that symbolic calls run no computation.

    Layers are created in inference mode (``layer.training`` is ``False``), so calling a
    model on data gives Keras's inference results; ``fit`` switches to training mode, as
    does ``model.train()`` or a call with ``training=True``. The mode is per thread: a
    ``predict`` in one thread while ``fit`` trains in another runs in inference mode
    without switching the training steps (see ``training_mode``).

    Args:
        name: Layer name; unique per class by default (``dense``, ``dense_1``, ...).
        trainable: Whether the layer's weights are updated by training.
        dtype: The dtype of the weights and computation (default ``config.floatx()``).
        activity_regularizer: Optional regularizer applied to the layer's output.
        input_shape: Shape of one sample (Keras-2 spelling), for a model's first layer.
        input_dim: Size of a 2-D input's last axis; same as ``input_shape=(input_dim,)``.
        batch_size: Fixed batch size, used with ``input_shape``.
        batch_input_shape: Full input shape including the batch size.
    """

    cls_to_become = None
    # Whether ``compute_mask`` comes from a class outside torchseq (set per class below, so
    # that asking costs an attribute read on the training step's path).
    _users_compute_mask = False
    _fills_training = False
    # Set by the trainer around its step, to the id of the step's thread, for a
    # softmax/sigmoid output layer whose loss takes logits (training/fused_logits.py): the
    # layer then skips its activation in that thread (a predict in another gets it).
    _emits_logits: int | bool = False

    @property
    def training(self) -> bool:
        """Whether the layer runs in training mode, as this thread sees it (``training_mode``)."""
        if _overriding:
            overrides = _thread_modes.overrides
            if overrides is not None and id(self) in overrides:
                return overrides[id(self)]
        return self.__dict__["training"]

    @training.setter
    def training(self, mode: bool) -> None:
        self.__dict__["training"] = mode

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        layer = super().__new__(cls)
        if not cls.__module__.startswith("torchseq."):
            # A class of yours without its own get_config() is described by the arguments
            # its __init__ received (Keras's rule).
            arguments = subclass_config.record_init_arguments(cls, args, kwargs)
            object.__setattr__(layer, "_init_arguments", arguments)
        return layer

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        owner = next(klass for klass in cls.__mro__ if "compute_mask" in klass.__dict__)
        cls._users_compute_mask = owner is not Layer and not owner.__module__.startswith(
            "torchseq."
        )
        # A call(..., training=None) of yours receives the mode the layer runs in, as Keras
        # passes the outer call's training flag (torchseq's own layers read self.training).
        owner = next(klass for klass in cls.__mro__ if "call" in klass.__dict__)
        cls._fills_training = not owner.__module__.startswith("torchseq.") and (
            "training" in inspect.signature(owner.call).parameters
        )

    def __init__(
        self,
        *,
        name: str | None = None,
        trainable: bool = True,
        dtype: Any = None,
        activity_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        unknown = sorted(set(kwargs) - set(_INPUT_SHAPE_KWARGS))
        if unknown:
            raise TypeError(
                f"{type(self).__name__} got unexpected keyword argument(s) {unknown}; "
                f"the base layer accepts name, trainable, dtype, activity_regularizer and "
                f"{', '.join(_INPUT_SHAPE_KWARGS)}."
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Layer name must be a string, received: {name!r}")
        batch_input_shape = _batch_input_shape_from(type(self).__name__, kwargs)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Lazy modules are a new feature")
            super().__init__()
        from torchseq import regularizers

        self.name = name or naming.unique_name(naming.to_snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self._set_dtype_policy(dtype)
        self._batch_input_shape = batch_input_shape
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.built = False
        self.input_spec: InputSpec | None = None
        # Keras's rule: a layer that defines compute_mask supports masking.
        self.supports_masking = _overrides_compute_mask(type(self))
        self._build_shapes: Any = None
        self._weight_specs: dict[str, _WeightSpec] = {}
        self._inbound_nodes: list[Node] = []
        # thread id -> the losses the layer added during its last call in that thread
        self._losses_by_thread: dict[int, list[torch.Tensor]] = {}
        self.train(False)

    # ------------------------------------------------------------------ weights

    def _lazy_weight(self, name: str, *, trainable: bool = True) -> None:
        """Declare a weight in ``__init__``; ``build`` gives it a shape with ``add_weight``."""
        if trainable:
            self.register_parameter(name, UninitializedParameter(dtype=self._dtype))
        else:
            self.register_buffer(name, UninitializedBuffer(dtype=self._dtype))

    def add_weight(
        self,
        shape: Any = None,
        initializer: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        regularizer: Any = None,
        constraint: Any = None,
        name: str | None = None,
        *,
        layout: tuple[int, ...] | WeightLayout | None = None,
    ) -> torch.Tensor:
        """Create (or materialise) a weight and return it.

        Trainable weights are ``nn.Parameter``s; non-trainable ones (a BatchNormalization's
        moving statistics) are buffers. ``shape`` is the Keras shape; ``layout`` is the
        permutation from it to the stored torch layout (e.g. a conv kernel), so that the
        torch kernel needs no per-step copy.

        Args:
            shape: Keras shape of the weight.
            initializer: Initializer or its name (default glorot_uniform for floats).
            dtype: Weight dtype (default: the layer's dtype).
            trainable: Whether training updates the weight.
            regularizer: Regularizer or its name, counted in ``layer.losses``.
            constraint: Constraint or its name, applied after each optimizer step.
            name: Weight name; the attribute it is registered under.
            layout: Permutation from the Keras shape to the stored shape, or a
                ``WeightLayout`` for conversions a permutation cannot express.
        """
        from torchseq import constraints, initializers, regularizers

        if isinstance(shape, str):  # Keras 2 spelling: add_weight(name, shape=...)
            name, shape = shape, None
        if shape is None:
            raise ValueError(f'Layer "{self.name}": add_weight needs a shape, received None')
        shape = tuple(int(dim) for dim in shape)
        name = name or self._unused_weight_name()
        dtype = config.standardize_dtype(dtype) if dtype is not None else self._dtype
        if initializer is None:
            initializer = "glorot_uniform" if dtype.is_floating_point else "zeros"
        initializer = initializers.get(initializer)
        stored_shape = _stored_shape(shape, layout)

        existing = self._parameters.get(name, self._buffers.get(name))
        if existing is not None and not is_lazy(existing):
            if tuple(existing.shape) != stored_shape:
                raise ValueError(
                    f'Layer "{self.name}" weight "{name}" was loaded with shape '
                    f"{tuple(existing.shape)}, but the input needs shape {stored_shape}"
                )
            weight = existing  # values loaded from a state dict before the build: keep them
        else:
            with torch.no_grad():
                value = torch.as_tensor(initializer(shape, dtype=dtype), dtype=dtype)
                value = _to_stored(value, layout)
                if existing is not None:
                    existing.materialize(stored_shape)
                    existing.copy_(value)
                    weight = existing
                elif trainable:
                    weight = nn.Parameter(value.contiguous())
                else:
                    weight = value.contiguous()
            if existing is None:
                self._register_weight(name, weight, trainable)
        if isinstance(weight, nn.Parameter):
            weight.requires_grad_(self._trainable)
        path = variables.scoped_path(f"{self.name}/{name}")
        variables.attach(weight, path, layout)
        self._weight_specs[name] = _WeightSpec(
            trainable=trainable,
            layout=layout,
            regularizer=regularizers.get(regularizer),
            constraint=constraints.get(constraint),
            path=path,
        )
        return weight

    def _register_weight(self, name: str, weight: torch.Tensor, trainable: bool) -> None:
        if name in self.__dict__ or name in self._modules:
            raise ValueError(
                f'Layer "{self.name}": cannot create weight "{name}", the name is already an '
                "attribute of the layer"
            )
        if trainable:
            self._parameters[name] = weight
        else:
            self._buffers[name] = weight

    def _unused_weight_name(self) -> str:
        taken = set(self._parameters) | set(self._buffers)
        name, index = "variable", 0
        while name in taken:
            index += 1
            name = f"variable_{index}"
        return name

    def __setattr__(self, name: str, value: Any) -> None:
        # `self.w = self.add_weight(shape=...)` (a Keras custom layer): the weight was
        # registered under an automatic name; move it to the attribute's name.
        if isinstance(value, torch.Tensor) and "_weight_specs" in self.__dict__:
            old = self._registered_name_of(value)
            if old is not None and old != name and old.startswith("variable"):
                self._rename_weight(old, name)
                return
            if old is None and isinstance(value, variables.Variable):
                self._track_variable(name, value)
                return
        modules = self.__dict__.get("_modules")
        if modules is not None:
            # Sub-layers in a list, tuple or dict are the layer's own, as in Keras.
            if isinstance(modules.get(name), tracked_containers.ContainerModules):
                del modules[name]  # the container they came from is replaced
            if isinstance(value, (list, tuple, dict)):
                value = tracked_containers.track(self, name, value)
                super().__setattr__(name, value)
                tracked_containers.register(self, name, value)
                return
        super().__setattr__(name, value)

    def _track_variable(self, name: str, variable: torch.Tensor) -> None:
        """``self.v = keras.Variable(...)``: the variable becomes one of the layer's weights,
        keeping its own path, as Keras tracks it."""
        if name in self._parameters or name in self._buffers:
            self._weight_specs.pop(name, None)
            delattr(self, name)
        trainable = bool(variable.trainable)
        self._register_weight(name, variable, trainable)
        if isinstance(variable, nn.Parameter):
            variable.requires_grad_(self._trainable)
        layout = variable.__dict__.get("_keras_layout")  # another layer's conv kernel, shared
        self._weight_specs[name] = _WeightSpec(
            trainable=trainable, layout=layout, path=variable.path
        )

    def _registered_name_of(self, value: torch.Tensor) -> str | None:
        for key, tensor in (*self._parameters.items(), *self._buffers.items()):
            if tensor is value:
                return key
        return None

    def _rename_weight(self, old: str, new: str) -> None:
        store = self._parameters if old in self._parameters else self._buffers
        store[new] = store.pop(old)
        self._weight_specs = {
            (new if key == old else key): spec for key, spec in self._weight_specs.items()
        }
        spec = self._weight_specs.get(new)
        if spec is None:
            variables.attach(store[new], f"{self.name}/{new}")
            return
        spec.path = f"{spec.path.rpartition('/')[0]}/{new}"
        variables.attach(store[new], spec.path, spec.layout)

    def _attach_variables(self) -> None:
        """Give the weights back their Keras variable face after torch replaced a tensor."""
        for name, spec in self._weight_specs.items():
            tensor = self._parameters.get(name, self._buffers.get(name))
            if tensor is not None and not is_lazy(tensor):
                variables.attach(tensor, spec.path or f"{self.name}/{name}", spec.layout)

    # `.to()` / `.double()` replace buffers, `load_state_dict(assign=True)` and unpickling
    # replace tensors: each time, the new tensors get the face.
    def _apply(self, fn: Any, recurse: bool = True) -> Layer:
        result = super()._apply(fn, recurse)
        self._attach_variables()
        return result

    def _load_from_state_dict(self, *args: Any, **kwargs: Any) -> None:
        super()._load_from_state_dict(*args, **kwargs)
        self._attach_variables()

    def __getstate__(self) -> dict[str, Any]:
        # The last call's losses belong to that call's graph (torch cannot copy them): a
        # copied or pickled layer starts without them.
        state = super().__getstate__()
        state["_losses_by_thread"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._attach_variables()

    def _own_weight_entries(self) -> list[tuple[torch.Tensor, tuple[int, ...] | None]]:
        """The layer's own weights: those made trainable first, each group in creation
        order, as Keras lists them (``keras.Variable``s and weights interleave)."""
        entries = []
        for trainable in (True, False):
            for name, spec in self._weight_specs.items():
                tensor = self._parameters.get(name, self._buffers.get(name))
                if spec.trainable is trainable and tensor is not None and not is_lazy(tensor):
                    entries.append((tensor, spec.layout))
        return entries

    def _weight_entries(self) -> list[tuple[torch.Tensor, tuple[int, ...] | None]]:
        """(tensor, layout) for every weight, in Keras's order, shared weights once."""
        entries = self._own_weight_entries()
        for child in self._tracked_modules():
            if isinstance(child, Layer):
                entries += child._weight_entries()
            else:
                entries += [(w, None) for w in _plain_module_weights(child)]
        seen: set[int] = set()
        unique = []
        for tensor, layout in entries:
            if id(tensor) not in seen:
                seen.add(id(tensor))
                unique.append((tensor, layout))
        return unique

    def _tracked_modules(self) -> Iterator[nn.Module]:
        """Child layers, and plain torch modules holding weights, in registration order."""
        for child in self.children():
            yield from _walk_module(child)

    @property
    def weights(self) -> list[torch.Tensor]:
        """All weights (trainable first within each layer, as in Keras), as torch tensors."""
        return [tensor for tensor, _ in self._weight_entries()]

    @property
    def trainable_weights(self) -> list[torch.Tensor]:
        return [w for w in self.weights if isinstance(w, nn.Parameter) and w.requires_grad]

    @property
    def non_trainable_weights(self) -> list[torch.Tensor]:
        return [w for w in self.weights if not (isinstance(w, nn.Parameter) and w.requires_grad)]

    @property
    def variables(self) -> list[torch.Tensor]:
        return self.weights

    @property
    def trainable_variables(self) -> list[torch.Tensor]:
        """Keras's other name for :attr:`trainable_weights`."""
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list[torch.Tensor]:
        """Keras's other name for :attr:`non_trainable_weights`."""
        return self.non_trainable_weights

    def count_params(self) -> int:
        """The number of scalars in all weights."""
        if not self.built:
            raise ValueError(
                f'Layer "{self.name}" is not built yet, so it has no weights to count. '
                "Call it on an input first, or call build(input_shape)."
            )
        return sum(math.prod(w.shape) for w in self.weights)

    def get_weights(self) -> list[np.ndarray]:
        """The weights as numpy arrays in Keras's layouts and order."""
        return [_to_keras_array(tensor, layout) for tensor, layout in self._weight_entries()]

    def set_weights(self, weights: list[Any]) -> None:
        """Set the weights from numpy arrays in Keras's layouts and order.

        Every array is checked before any weight changes.
        """
        if not isinstance(weights, (list, tuple)):
            raise TypeError(
                f'Layer "{self.name}": set_weights expects a list of numpy arrays, received: '
                f"weights={weights!r} of type {type(weights).__name__}"
            )
        entries = self._weight_entries()
        weights = list(weights)
        expected = [_keras_shape(tensor, layout) for tensor, layout in entries]
        if len(weights) != len(entries):
            raise ValueError(
                f'Layer "{self.name}" expects {len(entries)} weight arrays with shapes '
                f"{expected}, but received {len(weights)} arrays"
            )
        arrays = []
        for index, (weight, shape) in enumerate(zip(weights, expected)):
            path = getattr(entries[index][0], "path", f"weight {index}")
            array = _numeric_array(weight, f'Layer "{self.name}": weight {index} ({path})')
            if tuple(array.shape) != shape:
                raise ValueError(
                    f'Layer "{self.name}": weight {index} ({path}) has shape {shape}, '
                    f"received an array of shape {tuple(array.shape)}"
                )
            arrays.append(torch.as_tensor(array))
        with torch.no_grad():
            for (tensor, layout), array in zip(entries, arrays):
                tensor.copy_(_to_stored(array, layout))

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        value = bool(value)
        self._trainable = value
        for name, spec in self._weight_specs.items():
            tensor = self._parameters.get(name)
            if spec.trainable and tensor is not None and not is_lazy(tensor):
                tensor.requires_grad_(value)
        for child in self._tracked_modules():
            if isinstance(child, Layer):
                child.trainable = value
            else:
                for parameter in child.parameters(recurse=False):
                    parameter.requires_grad_(value)

    # ------------------------------------------------------------------ losses

    @property
    def losses(self) -> list[torch.Tensor]:
        """Regularization penalties of the weights, plus losses added during the last call."""
        losses = list(self._call_losses)
        for name, spec in self._weight_specs.items():
            tensor = self._parameters.get(name, self._buffers.get(name))
            # isinstance rather than torch's is_lazy, which torch.compile cannot trace
            lazy = isinstance(tensor, UninitializedTensorMixin)
            if spec.regularizer is not None and tensor is not None and not lazy:
                losses.append(spec.regularizer(_keras_view(tensor, spec.layout)))
        for child in self._tracked_modules():
            if isinstance(child, Layer):
                losses += child.losses
        return losses

    @property
    def _call_losses(self) -> list[torch.Tensor]:
        """The losses added during the layer's last call in this thread (a call in another
        thread, a predict beside a training step, keeps its own)."""
        return self._losses_by_thread.get(_thread_key(), [])

    @_call_losses.setter
    def _call_losses(self, losses: list[torch.Tensor]) -> None:
        self._losses_by_thread[_thread_key()] = losses

    def add_loss(self, loss: torch.Tensor) -> None:
        """Add a loss term (e.g. from ``call``), counted by the trainer at this step.

        ``losses`` holds those of the last call: calling the outermost layer again
        starts the list afresh, as in Keras.
        """
        global _losses_added
        self._losses_by_thread.setdefault(_thread_key(), []).append(loss)
        _losses_added = True

    def _clear_losses(self) -> None:
        self._losses_by_thread.pop(_thread_key(), None)
        for child in self._tracked_modules():
            if isinstance(child, Layer):
                child._clear_losses()

    def _apply_constraints(self) -> None:
        """Project constrained weights back onto their constraint (after an update)."""
        with torch.no_grad():
            for name, spec in self._weight_specs.items():
                tensor = self._parameters.get(name)
                if spec.constraint is not None and tensor is not None and not is_lazy(tensor):
                    value = spec.constraint(_keras_view(tensor, spec.layout))
                    tensor.copy_(_to_stored(value, spec.layout))
        for child in self._tracked_modules():
            if isinstance(child, Layer):
                child._apply_constraints()

    # ------------------------------------------------------------------ build and call

    def build(self, input_shape: Any) -> None:
        """Create the layer's weights for inputs of ``input_shape`` (batch axis first)."""
        self.built = True

    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """The layer's computation. Layers without weights override just this."""
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement call()")

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        global _losses_added
        if self._fills_training and "training" not in kwargs:
            kwargs["training"] = self.training
        if _losses_added:
            outputs = self._counted_call(args, kwargs)
        elif self._autocast is None:
            outputs = self.call(*args, **kwargs)
        else:
            outputs = self._call_in_precision(args, kwargs)
        if self.activity_regularizer is not None:
            batch = outputs.shape[0] if outputs.ndim else 1
            self._losses_by_thread[_thread_key()] = [self.activity_regularizer(outputs) / batch]
            _losses_added = True
        return outputs

    def _counted_call(self, args: tuple, kwargs: dict) -> Any:
        """``call``, counting this thread's nested calls: an outermost call starts the
        tree's losses afresh. (Calls entered before any layer added a loss are not counted;
        a layer after them then takes itself for outermost and clears only its own tree,
        which has added nothing yet in this call.)"""
        calls = _traced_calls if torch.compiler.is_compiling() else _calls
        if calls.depth == 0:
            self._clear_losses()
        calls.depth += 1
        try:
            if self._autocast is None:
                return self.call(*args, **kwargs)
            return self._call_in_precision(args, kwargs)
        finally:
            calls.depth -= 1

    def _call_in_precision(self, args: tuple, kwargs: dict) -> Any:
        """``call`` under this layer's mixed policy (autocast), or out of an enclosing
        autocast in the layer's own float dtype (see ``_set_dtype_policy``)."""
        device_type = _device_type(args) or self._device().type
        if self._autocast is False:
            if not torch.is_autocast_enabled(device_type):
                return self.call(*args, **kwargs)
            with torch.autocast(device_type, enabled=False):
                args = tree.map_structure(self._cast_float, args)
                return self.call(*args, **kwargs)
        if torch.is_autocast_enabled(device_type) and (
            torch.get_autocast_dtype(device_type) == self._autocast
        ):
            return self.call(*args, **kwargs)
        with torch.autocast(device_type, dtype=self._autocast):
            return self.call(*args, **kwargs)

    def _cast_float(self, value: Any) -> Any:
        if isinstance(value, torch.Tensor) and value.is_floating_point():
            return value.to(self._dtype)
        return value

    def _device(self) -> torch.device:
        """Where the layer's weights are, built or not (an unbuilt layer moved with
        ``.to("cuda")`` keeps the device on its uninitialised parameters)."""
        for tensor in itertools.chain(self.parameters(), self.buffers()):
            return tensor.device
        return torch.device("cpu")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not kwargs and self.built and args and type(args[0]) is torch.Tensor:
            if hasattr(args[0], "_keras_mask") or self.supports_masking and self.produces_masks:
                return self._call_with_keras_masks(args, kwargs)
            try:  # the training step's path: a built layer called on one tensor
                return nn.Module.__call__(self, *args)
            except RuntimeError as error:
                self._explain_input_error(args, error)
                raise
        if not args and kwargs:
            args, kwargs = _inputs_as_first_argument(type(self), kwargs)
        if args and is_symbolic(args[0]) or kwargs and is_symbolic(kwargs):
            return self._call_symbolic(args, kwargs)
        if args and not isinstance(args[0], torch.Tensor):
            args = (self._convert_inputs(args[0]), *args[1:])
        if not self.built:
            self._build_for(tree.map_structure(_shape_of, args[0]))
        if args and (self.supports_masking and self.produces_masks or _carries_mask(args[0])):
            return self._call_with_keras_masks(args, kwargs)
        return self._call_unmasked(args, kwargs)

    def _call_with_keras_masks(self, args: tuple, kwargs: dict) -> Any:
        """An eager call with Keras's mask propagation.

        The input's ``_keras_mask`` goes to ``call(mask=...)`` when ``call`` takes a mask
        and none was given; a layer that supports masking sets ``compute_mask``'s result
        as the ``_keras_mask`` of outputs that have none yet.
        """
        mask = kwargs.get("mask")
        if mask is None:
            mask = _mask_of(args[0])
        outputs = self._call_unmasked(args, _with_input_masks(type(self), args, kwargs))
        already_masked = isinstance(outputs, torch.Tensor) and hasattr(outputs, "_keras_mask")
        if self.supports_masking and not already_masked:
            _set_masks(outputs, self.compute_mask(args[0], mask))
        return outputs

    def _call_unmasked(self, args: tuple, kwargs: dict) -> Any:
        if kwargs:
            kwargs = self._call_kwargs(kwargs)
            training = kwargs.get("training")
            if training is not None and bool(training) != self.training:
                with training_mode(self, bool(training)):
                    return self._run(args, kwargs)
        return self._run(args, kwargs)

    def _run(self, args: tuple, kwargs: dict) -> Any:
        """The torch module call (hooks, forward), with shape errors explained."""
        try:
            return super().__call__(*args, **kwargs)
        except RuntimeError as error:
            self._explain_input_error(args, error)
            raise

    def _convert_inputs(self, inputs: Any) -> Any:
        """numpy arrays in ``inputs`` as tensors, float data in the layer's float dtype as
        Keras casts a layer's inputs (a model casts them to its inputs' dtypes)."""
        self._check_input_kind(inputs)
        float_dtype = self._dtype if self._dtype.is_floating_point else None
        return tree.map_structure(functools.partial(_to_tensor, float_dtype=float_dtype), inputs)

    def _check_input_kind(self, inputs: Any) -> None:
        """``None`` or a string is no input for a layer that computes on numbers."""
        if inputs is None or isinstance(inputs, (str, bytes)) and not getattr(
            self, "_takes_strings", False
        ):
            raise TypeError(
                f'Layer "{self.name}" expects a tensor or a numpy array as its input, '
                f"received: {inputs!r} of type {type(inputs).__name__}"
            )

    def _call_kwargs(self, kwargs: dict) -> dict:
        """Drop ``training=None``/``mask=None``, and what ``call`` cannot take."""
        accepted = _call_parameters(type(self))
        return {
            key: value
            for key, value in kwargs.items()
            if not (key in ("training", "mask") and (value is None or key not in accepted))
        }

    def _explain_input_error(self, args: tuple, error: RuntimeError) -> None:
        """Turn a torch shape error into a ValueError naming this layer, and a dtype error
        from complex inputs into a TypeError, when it is one of those."""
        if not args:
            return
        for leaf in tree.flatten(args[0]):
            if isinstance(leaf, torch.Tensor) and leaf.is_complex() and not self._dtype.is_complex:
                raise TypeError(
                    f'Layer "{self.name}" computes in {self.compute_dtype} and expects real '
                    f"inputs, received a tensor of dtype {config.dtype_name(leaf.dtype)}"
                ) from error
            if (
                isinstance(leaf, torch.Tensor)
                and not leaf.is_floating_point()
                and self._dtype.is_floating_point
                and re.search(r"\b(dtype|type)\b", str(error))
            ):
                raise TypeError(
                    f'Layer "{self.name}" computes in {self.compute_dtype} and expects float '
                    f"inputs, received a tensor of dtype {config.dtype_name(leaf.dtype)}; cast "
                    "it first (ops.cast(x, 'float32'))"
                ) from error
        if self.input_spec is None:
            return
        shapes = tree.flatten_shapes(tree.map_structure(_shape_of, args[0]))
        try:
            for index, shape in enumerate(shapes[:1]):
                self.input_spec.check(self.name, index, shape)
        except ValueError as explained:
            raise explained from error

    def _build_for(self, input_shapes: Any) -> None:
        """Build the layer for inputs of these shapes; undo created weights on failure."""
        before = set(self._weight_specs)
        try:
            # A sub-layer first called while its parent's output shape is inferred on fake
            # tensors still gets real weights.
            with unset_fake_temporarily():
                self.build(input_shapes)
        except Exception:
            for name in set(self._weight_specs) - before:
                del self._weight_specs[name]
                trainable = name in self._parameters
                (self._parameters if trainable else self._buffers).pop(name, None)
                self._lazy_weight(name, trainable=trainable)
            raise
        self.built = True
        self._build_shapes = input_shapes
        missing = [name for name, value in self.named_parameters(recurse=False) if is_lazy(value)]
        if missing:
            raise RuntimeError(f'Layer "{self.name}": build() left weights {missing} uncreated')

    def _call_symbolic(self, args: tuple, kwargs: dict) -> Any:
        inputs = args[0] if args else next(iter(kwargs.values()))
        shapes = tree.map_structure(_shape_of, inputs)
        if self.input_spec is not None:
            for index, shape in enumerate(tree.flatten_shapes(shapes)[:1]):
                self.input_spec.check(self.name, index, shape)
        if not self.built:
            self._build_for(shapes)
        kwargs = self._call_kwargs(kwargs)
        # Masks are followed symbolically too (as mask specs on the KerasTensors) so that
        # shape inference calls a mask-consuming layer with a mask; they are not graph inputs.
        outputs = self.compute_output_spec(*args, **_with_input_masks(type(self), args, kwargs))
        Node(self, args, kwargs, outputs)
        mask = kwargs.get("mask")
        if mask is None and args:
            mask = _mask_of(args[0])
        if self.supports_masking and (mask is not None or self.produces_masks):
            _set_masks(outputs, self._mask_spec(args[0], mask))
        return outputs

    def _mask_spec(self, inputs: Any, mask: Any) -> Any:
        """``compute_mask`` run on fake tensors: the output mask's shape and dtype."""
        probe = tree.flatten(self.compute_mask(*tree.map_structure(_fake_probe, (inputs, mask))))
        present = [index for index, m in enumerate(probe) if m is not None]
        if not present:
            return None

        def present_masks(inputs: Any, mask: Any) -> list:
            masks = tree.flatten(self.compute_mask(inputs, mask))
            return [masks[index] for index in present]

        specs = infer_output_spec(present_masks, (inputs, mask), {})
        flat: list[Any] = [None] * len(probe)
        for index, spec in zip(present, specs):
            flat[index] = spec
        return flat

    @property
    def produces_masks(self) -> bool:
        """Whether the layer may create a mask from unmasked input (Embedding with
        mask_zero, Masking); models propagate masks only when one of their layers does.

        torchseq's layers say exactly when they do; a layer of yours that defines
        ``compute_mask`` may, so masks are propagated through it.
        """
        return self._users_compute_mask

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The output's mask: the input's mask for layers that support masking, else None."""
        return mask if self.supports_masking else None

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """Symbolic outputs for symbolic arguments.

        Uses ``compute_output_shape`` where the layer defines it; otherwise runs ``call``
        on fake tensors (shapes only, no data).
        """
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            input_shapes = tree.map_structure(_shape_of, args[0])
            output_shapes = self.compute_output_shape(input_shapes)
            return tree.map_shapes(lambda shape: KerasTensor(shape, self._dtype), output_shapes)
        return self._infer_output_spec(*args, **kwargs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape(s) for input shape(s); ``None`` marks unknown sizes."""
        inputs = tree.map_shapes(lambda shape: KerasTensor(shape, self._dtype), input_shape)
        return tree.map_structure(lambda t: t.shape, self._infer_output_spec(inputs))

    def _infer_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """Run ``call`` on fake tensors, in inference mode so that no statistics change."""
        with training_mode(self, False):
            return infer_output_spec(self.call, args, kwargs)

    # ------------------------------------------------------------------ graph access

    def _first_node(self, what: str) -> Node:
        if not self._inbound_nodes:
            raise ValueError(
                f'Layer "{self.name}" has never been called on a symbolic input and thus has '
                f"no defined {what}. Build the model with keras.Input(...) first."
            )
        return self._inbound_nodes[0]

    @property
    def input(self) -> Any:
        """The symbolic input of the layer's first call in a model graph."""
        node = self._first_node("input")
        return node.call_args[0] if node.call_args else node.outputs

    @property
    def output(self) -> Any:
        """The symbolic output of the layer's first call in a model graph."""
        return self._first_node("output").outputs

    # ------------------------------------------------------------------ config

    @property
    def dtype(self) -> str:
        return config.dtype_name(self._dtype)

    @property
    def compute_dtype(self) -> str:
        """The dtype the layer computes in: its weights' dtype, or half precision under a
        mixed policy (``"mixed_bfloat16"``, ``"mixed_float16"``)."""
        return self._dtype_policy.compute_dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype of the layer's weights (float32 under a mixed policy)."""
        return self._dtype_policy.variable_dtype

    @property
    def dtype_policy(self) -> dtype_policies.DTypePolicy:
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value: Any) -> None:
        """A new policy, as Keras allows; weights already made keep their dtype."""
        self._set_dtype_policy(value)

    def _set_dtype_policy(self, dtype: Any) -> None:
        """Resolve the ``dtype`` argument; ``None`` takes the global policy.

        ``_autocast`` is what ``forward`` does about precision: ``None`` nothing, a torch
        dtype run ``call`` under ``torch.autocast`` (a mixed policy), ``False`` run it
        outside autocast in the layer's own dtype (a float dtype given explicitly, as
        ``Activation("softmax", dtype="float32")`` at the end of a mixed model).
        """
        policy = _policy_from(type(self).__name__, dtype)
        self._dtype_policy = policy
        self._dtype = config.standardize_dtype(policy.variable_dtype)
        if policy.is_mixed:
            self._autocast: torch.dtype | bool | None = config.standardize_dtype(
                policy.compute_dtype
            )
        else:
            self._autocast = False if dtype is not None and self._dtype.is_floating_point else None

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments that recreate this layer (without its weights).

        The dtype is written as Keras writes it, a ``DTypePolicy`` config, so that Keras
        reads the config as well as torchseq does.
        """
        from torchseq import regularizers

        if hasattr(self, "_init_arguments") and type(self).get_config is Layer.get_config:
            return {
                **subclass_config.subclass_config(self, own_get_config=False),
                "dtype": dtype_policies.serialize(self._dtype_policy),
            }
        config_ = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": dtype_policies.serialize(self._dtype_policy),
        }
        if self._batch_input_shape is not None:
            config_["batch_input_shape"] = self._batch_input_shape
        if self.activity_regularizer is not None:
            config_["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config_

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """Rebuild a layer from ``get_config()``, its own or the one Keras writes.

        Options Keras writes that torchseq has no use for (``quantization_config``,
        ``lora_rank``, ...) are accepted while they hold Keras's default.

        A layer of yours whose ``__init__`` takes neither ``name`` nor ``**kwargs`` still
        gets its name and ``trainable`` flag back (Keras's ``from_config`` fails on it).

        Raises:
            ValueError: A Keras option holds a value torchseq cannot honour.
        """
        arguments = cls._arguments_from_config(config)
        if cls.__module__.startswith("torchseq."):
            return cls(**arguments)
        if "dtype" not in _constructor_parameters(cls):
            arguments.pop("dtype", None)
        return subclass_config.subclass_from_config(cls, arguments)

    @classmethod
    def _arguments_from_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        """The config without the Keras-only options the constructor does not take."""
        accepted = _constructor_parameters(cls)
        arguments = dict(config)
        for key, defaults in _KERAS_ONLY_OPTIONS.items():
            if key not in arguments or key in accepted:
                continue
            value = arguments.pop(key)
            if not any(value is default or _same_value(value, default) for default in defaults):
                expected = " or ".join(repr(default) for default in defaults)
                raise ValueError(
                    f'{cls.__name__} "{config.get("name")}": torchseq does not support the '
                    f"Keras option {key}; expected {key}={expected}, received: {key}={value!r}"
                )
        return arguments

    def get_build_config(self) -> dict[str, Any] | None:
        """The input shape(s) the layer was built with, as Keras stores them; None if unbuilt.

        A layer built on several inputs (a merge layer) gives a list of shapes. The batch
        axis is whatever the layer was built with: ``None`` after a symbolic build.
        """
        if not self.built or self._build_shapes is None:
            return None
        return {"input_shape": self._build_shapes}

    def build_from_config(self, build_config: dict[str, Any] | None) -> None:
        """Build the layer (create its weights) from :meth:`get_build_config`'s output.

        A loader calls this before it copies stored values into the weights. Shapes may be
        lists, as they come back from JSON. A built layer, or a config whose shape is
        ``None`` (nothing known), leaves the layer as it is. Keras stores a layer whose
        ``build`` takes several shapes as ``{"shapes_dict": {argument: shape}}``; the first
        entry is the main input's shape (an RNN's sequences), and layers that need the
        others (MultiHeadAttention) override this method.

        Args:
            build_config: ``{"input_shape": shape or list of shapes}``, or ``None``.

        Raises:
            ValueError: The config holds neither ``input_shape`` nor ``shapes_dict``.
        """
        if not build_config or self.built:
            return
        if "input_shape" in build_config:
            input_shape = build_config["input_shape"]
        elif build_config.get("shapes_dict"):
            input_shape = next(iter(build_config["shapes_dict"].values()))
        else:
            raise ValueError(
                f'Layer "{self.name}": a build config needs an "input_shape" entry, '
                f"received: {build_config!r}"
            )
        if input_shape is None:
            return
        shapes = shapes_from_config(input_shape)
        self._build_for(shapes)
        if any(is_lazy(weight) for weight in (*self.parameters(), *self.buffers())):
            # Sub-layers made in __init__ build on their first call: infer the output once
            # (on fake tensors, no data) so that every weight exists before values load.
            self.compute_output_spec(tree.map_shapes(lambda s: KerasTensor(s, self._dtype), shapes))

    @property
    def type_name(self) -> str:
        """The class name Keras shows for this layer (in ``repr`` and summaries)."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.type_name} name={self.name}, built={self.built}>"

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        # The lazy-module hook of torch: the layer is built in __call__ before forward runs.
        if not self.built and args:
            self._build_for(tree.map_structure(_shape_of, args[0]))


# ---------------------------------------------------------------------- helpers

# Options in Keras's layer configs that torchseq's constructors do not take, and the values
# (Keras's defaults) under which ignoring them changes nothing.
_KERAS_ONLY_OPTIONS: dict[str, tuple[Any, ...]] = {
    "quantization_config": (None,),
    "lora_rank": (None,),
    "lora_alpha": (None,),
    "ragged": (False, None),
    "optional": (False, None),
}


def _same_value(value: Any, default: Any) -> bool:
    return type(value) is type(default) and value == default


def _policy_from(layer_type: str, dtype: Any) -> dtype_policies.DTypePolicy:
    """A layer's policy from a name, a torch/numpy dtype, a ``DTypePolicy`` (torchseq's or
    Keras's) or its config; ``None`` takes the global policy (``config.set_dtype_policy``).
    Integer dtypes are allowed for layers that hold no float weights (lookups)."""
    if dtype is None:
        return config.dtype_policy()
    try:
        return dtype_policies.get(dtype)
    except (TypeError, ValueError) as error:
        integer = _integer_dtype_name(dtype)
        if integer is None:
            raise ValueError(f"{layer_type}: {error}; received: dtype={dtype!r}") from error
        return _IntegerPolicy(integer)


def _integer_dtype_name(dtype: Any) -> str | None:
    """The name of an integer (or bool) dtype given as a name, dtype or policy config."""
    name = dtype.get("config", {}).get("name") if isinstance(dtype, dict) else dtype
    try:
        standard = config.standardize_dtype(getattr(name, "name", name))
    except (TypeError, ValueError):
        return None
    return None if standard.is_floating_point else config.dtype_name(standard)


class _IntegerPolicy(dtype_policies.DTypePolicy):
    """An integer dtype as a plain policy (Keras allows ``dtype="int32"`` on lookups)."""

    def __init__(self, name: str) -> None:
        self._name = self._compute_dtype = self._variable_dtype = name


def _device_type(args: tuple) -> str | None:
    """The device type of the first tensor among a call's arguments."""
    for leaf in tree.flatten(args):
        if isinstance(leaf, torch.Tensor):
            return leaf.device.type
    return None


def shapes_from_config(shapes: Any) -> Any:
    """Shapes read back from JSON: each shape a tuple, lists of shapes kept as lists."""
    if isinstance(shapes, dict):
        return {key: shapes_from_config(value) for key, value in shapes.items()}
    if isinstance(shapes, (list, tuple)):
        if all(dim is None or isinstance(dim, int) for dim in shapes):
            return tuple(shapes)
        return [shapes_from_config(shape) for shape in shapes]
    return shapes


_CONSTRUCTOR_PARAMETERS: dict[type, frozenset[str]] = {}


def _constructor_parameters(layer_type: type) -> frozenset[str]:
    """Keyword names the constructor takes, following ``**kwargs`` up to ``Layer``."""
    names = _CONSTRUCTOR_PARAMETERS.get(layer_type)
    if names is None:
        found: set[str] = set(_INPUT_SHAPE_KWARGS)
        for klass in layer_type.__mro__:
            if "__init__" not in klass.__dict__:
                continue
            parameters = inspect.signature(klass.__dict__["__init__"]).parameters.values()
            found |= {p.name for p in parameters if p.kind is not inspect.Parameter.VAR_KEYWORD}
            if klass is Layer or not any(
                p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters
            ):
                break
        names = _CONSTRUCTOR_PARAMETERS[layer_type] = frozenset(found - {"self"})
    return names


def _overrides_compute_mask(layer_type: type) -> bool:
    return layer_type.compute_mask is not Layer.compute_mask




class _Calls(threading.local):
    """How deep this thread is in nested forward calls."""

    depth = 0


class _TracedCalls:
    """The same count while torch.compile traces (it cannot guard a thread-local)."""

    depth = 0


def _thread_key() -> int:
    """This thread's key for its call losses; one fixed key while torch.compile traces."""
    return 0 if torch.compiler.is_compiling() else get_ident()


# Keras clears a layer tree's call losses when its outermost layer is called again; the
# depth of nested forward calls (per thread) tells the outermost one. Until some layer adds
# a loss there is nothing to clear, and calls neither count nor walk the tree.
_calls = _Calls()
_traced_calls = _TracedCalls()
_losses_added = False


def _mask_of(inputs: Any) -> Any:
    """The inputs' ``_keras_mask``s in their structure; ``None`` when none has one."""
    if isinstance(inputs, (torch.Tensor, KerasTensor)):
        return getattr(inputs, "_keras_mask", None)
    if not _carries_mask(inputs):
        return None
    return tree.map_structure(lambda value: getattr(value, "_keras_mask", None), inputs)


def _carries_mask(inputs: Any) -> bool:
    if isinstance(inputs, (torch.Tensor, KerasTensor)):
        return hasattr(inputs, "_keras_mask")
    if isinstance(inputs, (list, tuple, dict)):
        return any(
            isinstance(leaf, (torch.Tensor, KerasTensor)) and hasattr(leaf, "_keras_mask")
            for leaf in tree.flatten(inputs)
        )
    return False


def _with_input_masks(layer_type: type, args: tuple, kwargs: dict) -> dict:
    """``kwargs`` plus the masks the inputs carry, for the mask arguments ``call`` takes.

    One input fills ``mask``; several fill ``<argument>_mask`` (``query_mask``, ...).
    Masks given explicitly win.
    """
    positional, accepted = _named_call_parameters(layer_type)
    if len(args) == 1:
        named = {"mask": args[0]}
    else:
        named = {f"{name}_mask": value for name, value in zip(positional, args)}
        named.update({f"{key}_mask": value for key, value in kwargs.items()})
    for key, value in named.items():
        if key in accepted and kwargs.get(key) is None:
            mask = _mask_of(value)
            if mask is not None:
                kwargs = {**kwargs, key: mask}
    return kwargs


_NAMED_CALL_PARAMETERS: dict[type, tuple[tuple[str, ...], frozenset[str]]] = {}


def _named_call_parameters(layer_type: type) -> tuple[tuple[str, ...], frozenset[str]]:
    """The positional argument names of ``call`` (after ``self``), and all names it spells
    out; a ``**kwargs`` catch-all gets no mask filled in, as in Keras."""
    found = _NAMED_CALL_PARAMETERS.get(layer_type)
    if found is None:
        parameters = list(inspect.signature(layer_type.call).parameters.values())[1:]
        kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        positional = tuple(p.name for p in parameters if p.kind in kinds)
        named = frozenset(
            p.name for p in parameters
            if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        )
        found = _NAMED_CALL_PARAMETERS[layer_type] = (positional, named)
    return found


def _inputs_as_first_argument(layer_type: type, kwargs: dict) -> tuple[tuple, dict]:
    """``call``'s first argument, given by keyword (``layer(logits=x, targets=y)``), moved
    to the front: Keras takes a call's first argument as its inputs however it is passed."""
    positional = _named_call_parameters(layer_type)[0]
    if not positional or positional[0] not in kwargs:
        return (), kwargs
    kwargs = dict(kwargs)
    return (kwargs.pop(positional[0]),), kwargs


def _fake_probe(leaf: Any) -> Any:
    """A zero tensor standing in for a symbolic one (unknown sizes as 2), for a quick probe."""
    if not isinstance(leaf, KerasTensor):
        return leaf
    return torch.zeros([2 if dim is None else dim for dim in leaf.shape], dtype=leaf.torch_dtype, device="meta")


def _set_masks(outputs: Any, masks: Any) -> None:
    """Attach each mask as its output's ``_keras_mask``, unless the output has one."""
    if masks is None:
        return
    flat_outputs = tree.flatten(outputs)
    flat_masks = [masks] if isinstance(masks, (torch.Tensor, KerasTensor)) else tree.flatten(masks)
    for output, mask in zip(flat_outputs, flat_masks):
        if (
            isinstance(output, (torch.Tensor, KerasTensor))
            and isinstance(mask, (torch.Tensor, KerasTensor))
            and not hasattr(output, "_keras_mask")
        ):
            output._keras_mask = mask


def with_keras_mask(inputs: Any, mask: Any) -> Any:
    """``inputs`` carrying ``mask`` as ``_keras_mask`` (a model's ``mask=`` argument).

    The mask goes on a view, so the caller's tensor is left as it was. Lists of inputs take
    a list of masks.
    """
    if mask is None:
        return inputs
    if isinstance(inputs, (list, tuple)):
        masks = mask if isinstance(mask, (list, tuple)) else [mask] + [None] * (len(inputs) - 1)
        return [with_keras_mask(value, m) for value, m in zip(inputs, masks)]
    if not isinstance(inputs, torch.Tensor) or getattr(inputs, "_keras_mask", None) is mask:
        return inputs
    view = inputs.view_as(inputs)
    view._keras_mask = mask
    return view


class _ThreadModes(threading.local):
    """The training flags this thread reads instead of the modules' own (see training_mode)."""

    overrides: dict[int, bool] | None = None


_thread_modes = _ThreadModes()
_modes_lock = threading.Lock()
# id(module) -> [thread, depth]: the thread whose training_mode the module's flag shows.
_mode_owners: dict[int, list] = {}
# How many training_mode blocks run on per-thread flags now; while none do, reading
# Layer.training costs one test of this number.
_overriding = 0


@contextlib.contextmanager
def training_mode(module: nn.Module, training: bool) -> Iterator[None]:
    """Run a block with a module tree in training (or inference) mode, in this thread only.

    The first thread to enter sets the modules' ``training`` flags (torch's own modules read
    them) and restores each one after. A second thread that enters while the first is
    inside (``predict`` from a server thread during ``fit``) leaves the flags alone: the
    torchseq layers of the tree read its mode from a thread-local table instead, so neither
    thread's mode leaks into the other's calls.
    """
    global _overriding
    modules = list(module.modules())
    thread = threading.get_ident()
    with _modes_lock:
        shared = any(_mode_owners.get(id(sub), (thread,))[0] != thread for sub in modules)
        if shared:
            _overriding += 1
        else:
            for sub in modules:
                _mode_owners.setdefault(id(sub), [thread, 0])[1] += 1
    if shared:
        outer = _thread_modes.overrides
        _thread_modes.overrides = {**(outer or {}), **{id(sub): training for sub in modules}}
        try:
            yield
        finally:
            _thread_modes.overrides = outer
            with _modes_lock:
                _overriding -= 1
        return
    modes = [(sub, sub.training) for sub in modules]
    module.train(training)
    try:
        yield
    finally:
        for sub, mode in modes:
            sub.training = mode
        with _modes_lock:
            for sub in modules:
                owner = _mode_owners[id(sub)]
                owner[1] -= 1
                if not owner[1]:
                    del _mode_owners[id(sub)]


def _batch_input_shape_from(layer_type: str, kwargs: dict) -> tuple | None:
    """Resolve the Keras-2 input spellings into one full shape (batch first)."""
    if "batch_input_shape" in kwargs and kwargs["batch_input_shape"] is not None:
        return tuple(int_or_none(dim) for dim in kwargs["batch_input_shape"])
    shape = kwargs.get("input_shape")
    if shape is None and kwargs.get("input_dim") is not None:
        shape = (kwargs["input_dim"],)
    if shape is None:
        if kwargs.get("batch_size") is not None:
            raise ValueError(
                f"{layer_type}: batch_size= needs input_shape= or input_dim= as well, "
                f"received batch_size={kwargs['batch_size']} alone"
            )
        return None
    if is_int(shape):
        shape = (shape,)
    if isinstance(shape, (tuple, list)):
        shape = tuple(int_or_none(dim) for dim in shape)
    if not tree.is_shape(shape):
        raise TypeError(
            f"{layer_type}: input_shape must be a tuple of ints or None, received: {shape!r}"
        )
    return (int_or_none(kwargs.get("batch_size")), *shape)


def _walk_module(module: nn.Module) -> Iterator[nn.Module]:
    if isinstance(module, Layer):
        yield module
        return
    yield module
    for child in module.children():
        yield from _walk_module(child)


def _plain_module_weights(module: nn.Module) -> list[torch.Tensor]:
    """Direct parameters and floating-point buffers of a plain torch module."""
    params = [p for p in module._parameters.values() if p is not None]
    buffers = [
        b
        for name, b in module._buffers.items()
        if b is not None and b.is_floating_point() and name not in module._non_persistent_buffers_set
    ]
    return params + buffers


def _keras_shape(
    tensor: torch.Tensor, layout: tuple[int, ...] | WeightLayout | None
) -> tuple[int, ...]:
    return tuple(_keras_view(tensor, layout).shape)


def _to_keras_array(
    tensor: torch.Tensor, layout: tuple[int, ...] | WeightLayout | None
) -> np.ndarray:
    return _keras_view(tensor.detach(), layout).cpu().numpy().copy()


def _numeric_array(value: Any, where: str) -> np.ndarray:
    """``value`` as a numpy array of booleans, integers or reals, or a TypeError naming ``where``."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if value is None:
        raise TypeError(f"{where} expects a numeric array, received: None")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as e:
        raise TypeError(
            f"{where} expects a numeric array, received: {type(value).__name__}"
        ) from e
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{where} expects an array of booleans, integers or real numbers, received an "
            f"array of dtype {array.dtype}"
        )
    return array


def _shape_of(value: Any) -> Any:
    if isinstance(value, (torch.Tensor, KerasTensor, np.ndarray)):
        return tuple(value.shape)
    return value


def _to_tensor(value: Any, float_dtype: torch.dtype | None = None) -> Any:
    """numpy arrays become tensors (float data as ``float_dtype``, floatx by default),
    through ``utils.conversion.to_tensor``; tensors and anything else pass."""
    if isinstance(value, np.ndarray):
        return conversion.to_tensor(value, float_dtype=float_dtype)
    return value


def _format_shape(shape: tuple) -> str:
    return "(" + ", ".join(str(dim) for dim in shape) + ("," if len(shape) == 1 else "") + ")"


_CALL_PARAMETERS: dict[type, frozenset[str]] = {}


def _call_parameters(layer_type: type) -> frozenset[str]:
    """Names ``call`` accepts; a ``**kwargs`` call accepts training and mask too.

    Cached in a plain dict rather than ``functools.cache``, which torch.compile warns about.
    """
    names = _CALL_PARAMETERS.get(layer_type)
    if names is None:
        parameters = inspect.signature(layer_type.call).parameters
        names = set(parameters)
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
            names |= {"training", "mask"}
        names = _CALL_PARAMETERS[layer_type] = frozenset(names)
    return names
