"""Wrapper layers: ``TimeDistributed`` and ``TorchModule`` (any ``torch.nn.Module`` as a layer).

``Wrapper`` is the shared base of layers that hold one inner layer (Keras's
``keras.layers.Wrapper``): it checks the inner layer's type, registers it as a child module
(so its weights are the wrapper's weights), builds it and serialises it in ``get_config``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn.modules.lazy import LazyModuleMixin
from torch.nn.parameter import is_lazy

from torchseq.layers.layer import InputSpec, Layer, training_mode
from torchseq.layers.serialization import deserialize_layer, serialize_layer
from torchseq.layers.symbolic import KerasTensor, infer_output_spec
from torchseq.utils import tree

__all__ = ["TimeDistributed", "TorchModule", "TorchModuleWrapper", "Wrapper"]

SummaryRow = tuple[str, str, tuple | None, int]


class Wrapper(Layer):
    """Base class of layers that wrap one other layer; mirrors ``keras.layers.Wrapper``.

    The inner layer is a registered child module: its weights are the wrapper's weights
    (``weights``, ``get_weights``, ``state_dict`` under ``layer.``), and ``trainable=False``
    on the wrapper freezes it.

    Args:
        layer: The torchseq ``Layer`` (or model) to wrap.
        **kwargs: Base layer arguments (``name``, ``trainable``, ``dtype``, ...).
    """

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            hint = (
                "; wrap a plain torch.nn.Module in TorchModule(module) first"
                if isinstance(layer, nn.Module)
                else ""
            )
            raise TypeError(
                f"{type(self).__name__}: layer must be a torchseq Layer instance, received: "
                f"{layer!r} of type {type(layer).__name__}{hint}"
            )
        super().__init__(**kwargs)
        self.layer = layer
        if not self.trainable:
            layer.trainable = False

    def build(self, input_shape: Any) -> None:
        """Build the inner layer for ``input_shape`` (unless it is built already)."""
        if not self.layer.built:
            self.layer._build_for(input_shape)

    def get_config(self) -> dict[str, Any]:
        layer = serialize_layer(self.layer, include_build_config=False)
        return {**super().get_config(), "layer": layer}

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> Wrapper:
        arguments = cls._arguments_from_config(config)
        layer = deserialize_layer(arguments.pop("layer"), custom_objects, owner=cls.__name__)
        return cls(layer, **arguments)


class TimeDistributed(Wrapper):
    """Applies a layer to every index of axis 1 (time) of its input.

    The time axis is merged into the batch axis with a view, the inner layer runs once on
    ``(batch * time, ...)``, and the result is split back: the same weights serve every
    step. The inner layer is built for the input shape without the time axis. It may be
    any layer, including a Sequential or Functional model.

    Unlike Keras 3, which calls the inner layer once per step, the steps run as one batch:
    the results are the same except for layers whose training-mode output depends on batch
    statistics (a ``BatchNormalization`` inside sees all steps at once).

    Args:
        layer: The torchseq ``Layer`` to apply to each step.
        **kwargs: Base layer arguments (``name``, ``trainable``, ...).

    Call arguments:
        inputs: Tensor of shape ``(batch, time, ...)``, at least 3-D.
        training: Passed on to the inner layer; ``None`` follows the layer's mode.
        mask: Optional ``(batch, time, ...)`` mask, passed on per step when the inner
            layer's ``call`` takes one.

    Input shape: ``(batch, time, *inner_input_shape)``.
    Output shape: ``(batch, time, *inner_output_shape)``.

    Example:
        >>> layer = TimeDistributed(Dense(8))
        >>> layer(torch.ones(2, 5, 4)).shape
        torch.Size([2, 5, 8])
    """

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        super().build(self._inner_input_shape(input_shape))
        self.input_spec = InputSpec(min_ndim=3)

    def call(
        self,
        inputs: torch.Tensor,
        training: bool | None = None,
        mask: torch.Tensor | None = None,
    ) -> Any:
        if inputs.dim() < 3:
            raise self._rank_error(inputs.shape)
        batch, time = inputs.shape[:2]
        kwargs: dict[str, Any] = {}
        if training is not None:
            kwargs["training"] = training
        if mask is not None:
            self._check_mask(inputs, mask)
            kwargs["mask"] = mask.flatten(0, 1)
        outputs = self.layer(inputs.flatten(0, 1), **kwargs)
        return tree.map_structure(lambda output: output.unflatten(0, (batch, time)), outputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        step_shape = self._inner_input_shape(input_shape)
        if self.layer.built and self.layer.input_spec is not None:
            self.layer.input_spec.check(self.layer.name, 0, step_shape)
        inner_shape = self.layer.compute_output_shape(step_shape)
        batch, time = input_shape[:2]
        return tree.map_shapes(lambda shape: (batch, time, *shape[1:]), inner_shape)

    def _inner_input_shape(self, input_shape: Any) -> tuple:
        """The shape one step has: batch and time merged into one axis."""
        if not tree.is_shape(input_shape):
            raise ValueError(
                f'Layer "{self.name}" (TimeDistributed) takes a single input tensor, '
                f"received input shapes {input_shape}"
            )
        if len(input_shape) < 3:
            raise self._rank_error(input_shape)
        batch, time = input_shape[:2]
        steps = None if batch is None or time is None else batch * time
        return (steps, *input_shape[2:])

    def _rank_error(self, shape: Any) -> ValueError:
        return ValueError(
            f'Layer "{self.name}" (TimeDistributed): the input must have at least 3 '
            f"dimensions (batch, time, ...), received input shape {tuple(shape)}"
        )

    def _check_mask(self, inputs: torch.Tensor, mask: torch.Tensor) -> None:
        if mask.dim() < 2 or mask.shape[:2] != inputs.shape[:2]:
            raise ValueError(
                f'Layer "{self.name}" (TimeDistributed): the mask must start with the '
                f"input's (batch, time) axes {tuple(inputs.shape[:2])}, received mask shape "
                f"{tuple(mask.shape)}"
            )


class TorchModule(Layer):
    """Any ``torch.nn.Module`` as a layer, for Sequential and Functional models.

    The module is a registered child: its parameters are the layer's trainable weights
    and its floating-point buffers (a ``BatchNorm``'s running statistics) are
    non-trainable weights, counted by ``count_params`` and in summaries. ``get_weights``
    and ``set_weights`` use the torch layouts, in the module's registration order.
    The module is put in inference mode (``eval()``) when wrapped and then follows the
    layer's mode: ``training=True`` in a call, ``model.train()`` or ``fit``.

    Mirrors ``keras.layers.TorchModuleWrapper``, except that ``training=None`` means the
    layer's current mode (Keras switches the module to training mode) and the module is
    not moved to a device (``model.to(device)`` does that).

    Args:
        module: The ``torch.nn.Module``; lazy modules must be initialised first (call
            them once).
        name: Layer name; default ``torch_module``, ``torch_module_1``, ...
        output_shape: Full output shape (batch axis first, ``None`` for unknown sizes),
            or a structure of shapes for several outputs. When omitted, symbolic calls infer
            it by running the module on fake tensors in inference mode (shapes only, no
            data); give it for modules whose output shape cannot be inferred that way.
        **kwargs: Base layer arguments (``trainable=False`` freezes every parameter).

    Input shape: whatever the module takes. Output shape: whatever it returns.

    Example:
        >>> layer = TorchModule(nn.Sequential(nn.Linear(4, 8), nn.ReLU()))
        >>> layer(torch.ones(2, 4)).shape
        torch.Size([2, 8])
        >>> layer.count_params()
        40
    """

    def __init__(
        self,
        module: nn.Module,
        name: str | None = None,
        output_shape: Any = None,
        **kwargs: Any,
    ) -> None:
        _check_module(module)
        if output_shape is not None and not _is_shape_structure(output_shape):
            raise TypeError(
                "TorchModule: output_shape must be a tuple of ints and None (or a list or "
                f"dict of them), received: output_shape={output_shape!r}"
            )
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = _module_dtype(module)
        super().__init__(name=name, **kwargs)
        self.module = module
        self._declared_output_shape = _freeze_shapes(output_shape)
        self.train(False)
        if not self.trainable:
            self.trainable = False
        self.built = True

    @property
    def type_name(self) -> str:
        """The summary's type column: ``TorchModule(Linear)``."""
        return f"{type(self).__name__}({type(self.module).__name__})"

    def call(self, *args: Any, training: bool | None = None, **kwargs: Any) -> Any:
        # The mode is already applied to the module tree by Layer.__call__.
        return self.module(*args, **kwargs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self._declared_output_shape is not None:
            return self._declared_output_shape
        inputs = tree.map_shapes(lambda shape: KerasTensor(shape, self._dtype), input_shape)
        outputs = self.compute_output_spec(inputs)
        return tree.map_structure(lambda tensor: tensor.shape, outputs)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """Symbolic outputs: the declared ``output_shape``, or fake-tensor inference."""
        if self._declared_output_shape is not None:
            return tree.map_shapes(
                lambda shape: KerasTensor(shape, self._dtype), self._declared_output_shape
            )
        return self._infer_output_spec(*args, **kwargs)

    def summary_rows(self, input_shape: Any = None) -> list[SummaryRow]:
        """Rows for ``summary(expand_nested=True)``: one per direct child of the module.

        Each row is ``(name, type_name, output_shape_or_None, param_count)``. Output shapes
        come from a fake-tensor run of the module (no computation) on ``input_shape`` (full
        shape, batch first) or, by default, on the input of the layer's first symbolic
        call; they are ``None`` when neither is known or the run fails.
        """
        children = list(self.module.named_children())
        inputs = self._summary_inputs(input_shape)
        shapes = _child_output_shapes(self.module, inputs) if inputs is not None else {}
        return [
            (
                name,
                getattr(child, "type_name", type(child).__name__),
                shapes.get(name),
                _count_weights(child),
            )
            for name, child in children
        ]

    def get_config(self) -> dict[str, Any]:
        module_type = type(self.module)
        return {
            **super().get_config(),
            "module_class": f"{module_type.__module__}.{module_type.__qualname__}",
            "output_shape": self._declared_output_shape,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TorchModule:
        raise ValueError(
            f"{cls.__name__}: a torch.nn.Module ({config.get('module_class', 'unknown class')}) "
            "cannot be rebuilt from a config; create the module in code, wrap it again with "
            f"{cls.__name__}(module), then load the weights (set_weights or load_state_dict)"
        )

    def _summary_inputs(self, input_shape: Any) -> tuple | None:
        if input_shape is not None:
            shapes = [input_shape] if tree.is_shape(input_shape) else list(input_shape)
            return tuple(KerasTensor(shape, self._dtype) for shape in shapes)
        if self._inbound_nodes:
            return tuple(self._inbound_nodes[0].call_args)
        return None


class TorchModuleWrapper(TorchModule):
    """Keras's name for :class:`TorchModule` (``keras.layers.TorchModuleWrapper``)."""


# ---------------------------------------------------------------------- helpers


def _check_module(module: Any) -> None:
    if not isinstance(module, nn.Module):
        raise TypeError(
            f"TorchModule: module must be a torch.nn.Module, received: {module!r} of type "
            f"{type(module).__name__}"
        )
    if isinstance(module, Layer):
        raise TypeError(
            f"TorchModule: module is already a torchseq layer ({type(module).__name__} "
            f'"{module.name}"); use it directly instead of wrapping it'
        )
    lazy = isinstance(module, LazyModuleMixin) and module.has_uninitialized_params()
    if lazy or any(is_lazy(p) for p in module.parameters()):
        raise ValueError(
            f"TorchModule: the module has uninitialized lazy parameters; call it once on an "
            f"input to initialize them before wrapping it. Received: {type(module).__name__}"
        )


def _is_shape_structure(value: Any) -> bool:
    if tree.is_shape(value):
        return True
    if isinstance(value, dict):
        return all(_is_shape_structure(v) for v in value.values())
    return (
        isinstance(value, (list, tuple))
        and bool(value)
        and all(_is_shape_structure(v) for v in value)
    )


def _freeze_shapes(shapes: Any) -> Any:
    """Shapes as tuples (lists of shapes stay lists), so configs compare equal."""
    return None if shapes is None else tree.map_shapes(tuple, shapes)


def _module_dtype(module: nn.Module) -> torch.dtype | None:
    for tensor in (*module.parameters(), *module.buffers()):
        if tensor.is_floating_point():
            return tensor.dtype
    return None


def _child_output_shapes(module: nn.Module, inputs: tuple) -> dict[str, tuple]:
    """Output shape of each direct child (its first tensor output) in one fake-tensor run."""
    children = dict(module.named_children())

    def run(*args: Any) -> dict[str, torch.Tensor]:
        seen: dict[str, torch.Tensor] = {}
        hooks = [
            child.register_forward_hook(_recorder(seen, name)) for name, child in children.items()
        ]
        try:
            module(*args)
        finally:
            for hook in hooks:
                hook.remove()
        return seen

    try:
        with training_mode(module, False):
            specs = infer_output_spec(run, inputs, {})
    except Exception:  # noqa: BLE001 - a summary shows what it can; shapes stay unknown
        return {}
    return {name: tensor.shape for name, tensor in specs.items()}


def _recorder(seen: dict[str, torch.Tensor], name: str) -> Any:
    def record(module: nn.Module, args: Any, output: Any) -> None:
        tensors = [leaf for leaf in tree.flatten(output) if isinstance(leaf, torch.Tensor)]
        if tensors and name not in seen:
            seen[name] = tensors[0]

    return record


def _count_weights(module: nn.Module) -> int:
    """Scalars in parameters and floating-point buffers, shared tensors once (as count_params)."""
    tensors = {
        id(tensor): tensor
        for tensor in module.state_dict(keep_vars=True).values()
        if tensor.is_floating_point() and not is_lazy(tensor)
    }
    return sum(tensor.numel() for tensor in tensors.values())
