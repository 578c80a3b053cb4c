"""Core layers: Dense, Activation, Lambda, Embedding."""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable
from threading import get_ident
from typing import Any

import torch
import torch.nn.functional as F

from torchseq import activations, constraints, initializers, regularizers
from torchseq.layers.layer import InputSpec, Layer
from torchseq.utils import tree
from torchseq.utils.integers import is_int

__all__ = ["Activation", "Dense", "Embedding", "Lambda"]


class Dense(Layer):
    """A densely connected layer: ``activation(inputs @ kernel + bias)``.

    The kernel is stored as Keras shows it, ``(input_dim, units)``.

    Args:
        units: Positive int, size of the output's last axis.
        activation: Activation function or name; default none (linear).
        use_bias: Whether to add a bias vector.
        kernel_initializer: Default ``"glorot_uniform"``.
        bias_initializer: Default ``"zeros"``.
        kernel_regularizer, bias_regularizer, activity_regularizer: Optional regularizers.
        kernel_constraint, bias_constraint: Optional constraints.

    Input shape: ``(batch, ..., input_dim)``. Output shape: ``(batch, ..., units)``.

    Example:
        >>> layer = Dense(3)
        >>> layer(torch.ones(1, 4)).shape
        torch.Size([1, 3])
    """

    def __init__(
        self,
        units: int,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units <= 0:
            raise ValueError(f"Dense: units must be a positive integer, received: units={units!r}")
        units = int(units)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.supports_masking = True
        self._lazy_weight("kernel")
        if use_bias:
            self._lazy_weight("bias")
        else:
            self.register_parameter("bias", None)

    def build(self, input_shape: tuple) -> None:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f'Layer "{self.name}": the last axis of the input must be known to build a '
                f"Dense layer, received input shape {input_shape}"
            )
        self.add_weight(
            shape=(input_dim, self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        if self.use_bias:
            self.add_weight(
                shape=(self.units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.ndim < 2 or not inputs.dtype.is_floating_point:
            inputs = self._standardize(inputs)
        if inputs.ndim == 2 and self.bias is not None:
            outputs = torch.addmm(self.bias, inputs, self.kernel)  # one fused kernel
        else:
            outputs = F.linear(inputs, self.kernel.t(), self.bias)
        if self._emits_logits and self._emits_logits == get_ident():
            return outputs
        in_place, after = activations.stages(self.activation)
        if in_place is not None:
            return in_place(outputs)
        return outputs if after is None else after(outputs)

    def _standardize(self, inputs: torch.Tensor) -> torch.Tensor:
        """Refuse a rank-1 input as Keras does (torch would take it as one sample), and
        compute integer or boolean inputs in the kernel's dtype, as Keras's matmul promotes
        them (complex inputs pass on, to be refused with their own message)."""
        if inputs.ndim < 2:
            self.input_spec.check(self.name, 0, tuple(inputs.shape))
        if inputs.is_complex() or inputs.dtype.is_floating_point:
            return inputs
        return inputs.to(self.kernel.dtype)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class Activation(Layer):
    """Applies an activation function to its input; mirrors ``keras.layers.Activation``.

    Args:
        activation: An activation name (e.g. ``"relu"``) or any callable on tensors.

    Input shape: any. Output shape: the input's shape.

    Example:
        >>> Activation("relu")(torch.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        resolved = activations.get(activation)
        super().__init__(**kwargs)
        self.activation = resolved
        self.supports_masking = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if self._emits_logits and self._emits_logits == get_ident():
            return inputs
        return self.activation(inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Lambda(Layer):
    """Wraps a function of tensors as a layer; mirrors ``keras.layers.Lambda``.

    The function gets the layer's input as its first argument, the entries of
    ``arguments`` as keyword arguments, and ``mask=``/``training=`` when its signature
    names them.

    Args:
        function: Callable taking the input tensor (or structure of tensors).
        output_shape: Optional output shape. A tuple without the batch axis (the input's
            batch size is put in front), or a function from the full input shape to the
            full output shape. Default: inferred by running ``function`` on fake tensors.
        mask: Optional output mask: a function ``(inputs, mask) -> mask`` or a fixed tensor.
        arguments: Optional dict of keyword arguments passed to ``function``.

    Input shape: whatever ``function`` accepts. Output shape: whatever it returns.

    ``get_config`` writes the functions as Keras does: a public or registered function by
    name, a lambda as its bytecode. ``from_config`` resolves names among torchseq's public
    and registered functions and rebuilds bytecode only outside safe mode (``load_model(...,
    safe_mode=False)``); a config may also hold the callables themselves.

    Example:
        >>> Lambda(lambda x: x ** 2)(torch.tensor([3.0])).tolist()
        [9.0]
    """

    def __init__(
        self,
        function: Any,
        output_shape: Any = None,
        mask: Any = None,
        arguments: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not callable(function):
            raise TypeError(
                f"Lambda: function must be callable, received: function={function!r} "
                f"of type {type(function).__name__}"
            )
        if output_shape is not None and not callable(output_shape):
            output_shape = _standardize_output_shape(output_shape)
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(
                "Lambda: arguments must be a dict of keyword arguments or None, received: "
                f"arguments={arguments!r} of type {type(arguments).__name__}"
            )
        super().__init__(**kwargs)
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None
        self._output_shape = output_shape
        accepted = _parameter_names(function)
        self._fn_expects_mask = "mask" in accepted
        self._fn_expects_training = "training" in accepted

    def call(self, inputs: Any, mask: Any = None, training: bool | None = None) -> Any:
        kwargs = dict(self.arguments)
        if self._fn_expects_mask:
            kwargs["mask"] = mask
        if self._fn_expects_training:
            kwargs["training"] = self.training if training is None else training
        return self.function(inputs, **kwargs)

    @property
    def produces_masks(self) -> bool:
        return self.mask is not None

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The output mask: ``mask(inputs, mask)`` when callable, else the fixed mask."""
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        if self._output_shape is None:
            # Fake-tensor inference keeps the inputs' dtypes (an argmax gives integers).
            return self._inferred(lambda: self._infer_output_spec(*args, **kwargs))
        return super().compute_output_spec(*args, **kwargs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self._output_shape is None:
            return self._inferred(lambda: super(Lambda, self).compute_output_shape(input_shape))
        if callable(self._output_shape):
            return tree.map_shapes(tuple, self._output_shape(input_shape))
        batch_size = tree.flatten(input_shape)[0]
        return tree.map_shapes(lambda shape: (batch_size, *shape), self._output_shape)

    def _inferred(self, infer: Callable[[], Any]) -> Any:
        try:
            return infer()
        except Exception as error:
            raise ValueError(
                f'Layer "{self.name}": could not infer the output shape of '
                f"{_function_name(self.function)} by running it on placeholder tensors "
                f"({type(error).__name__}: {error}). Pass output_shape= to the Lambda."
            ) from error

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"function": _function_config(self.function)}
        if self._output_shape is not None:
            config["output_shape"] = (
                _function_config(self._output_shape)
                if callable(self._output_shape)
                else self._output_shape
            )
        if self.mask is not None:
            config["mask"] = (
                _function_config(self.mask)
                if callable(self.mask)
                else torch.as_tensor(self.mask).tolist()
            )
        return {**super().get_config(), **config, "arguments": dict(self.arguments)}

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> Lambda:
        """Rebuild the layer; stored functions are resolved as :func:`load_model` does.

        Raises:
            TypeError: A function is stored by a bare name, which resolves to nothing.
            ValueError: A stored lambda in safe mode, or a function that is neither public
                nor registered nor in ``custom_objects``.
        """
        from torchseq.saving import serialization_lib  # late: saving sits above layers

        config = dict(config)
        for key in ("function", "output_shape", "mask"):
            value = config.get(key)
            if isinstance(value, str):
                raise TypeError(
                    f"Lambda.from_config: the config names its {key} only as {value!r}, "
                    "and code is never rebuilt from a bare name. Put the callable itself in "
                    f"the config (config[{key!r}] = your_function), or rebuild the layer in "
                    "code."
                )
            if isinstance(value, dict) and "class_name" in value:
                config[key] = serialization_lib.deserialize_keras_object(
                    value, custom_objects, safe_mode=None
                )
        return cls(**cls._arguments_from_config(config))


class Embedding(Layer):
    """Turns non-negative integer indices into dense vectors; mirrors ``keras.layers.Embedding``.

    Args:
        input_dim: Positive int, the vocabulary size (largest index + 1).
        output_dim: Positive int, the size of each embedding vector.
        embeddings_initializer: Default ``"uniform"`` (uniform in [-0.05, 0.05]).
        embeddings_regularizer: Optional regularizer of the embeddings matrix.
        embeddings_constraint: Optional constraint of the embeddings matrix.
        mask_zero: Whether index 0 is padding; ``compute_mask`` then returns
            ``inputs != 0``.
        weights: Optional initial embeddings, an ``(input_dim, output_dim)`` array (or a
            list holding one); the layer is then built at once, as in Keras.
        input_length: Keras 2 argument: sets the input shape to ``(input_length,)``.

    Input shape: integer tensor of any shape ``(batch, ...)``, int32 or int64 (other
    dtypes are truncated to integers, as Keras does).
    Output shape: ``(batch, ..., output_dim)``, float.

    Example:
        >>> layer = Embedding(10, 4)
        >>> layer(torch.tensor([[1, 2, 3]])).shape
        torch.Size([1, 3, 4])
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        weights: Any = None,
        input_length: int | None = None,
        **kwargs: Any,
    ) -> None:
        for argument, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not is_int(value) or value <= 0:
                raise ValueError(
                    f"Embedding: {argument} must be a positive integer, received: "
                    f"{argument}={value!r}"
                )
        if input_length is not None and not any(
            kwargs.get(key) is not None for key in ("input_shape", "batch_input_shape")
        ):
            kwargs["input_shape"] = (input_length,)
        super().__init__(**kwargs)
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self._lazy_weight("embeddings")
        if weights is not None:
            # The embeddings do not depend on the input shape, so Keras builds at once.
            self._build_for(None)
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape: Any = None) -> None:
        self.add_weight(
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
            name="embeddings",
        )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.dtype not in (torch.int32, torch.int64):
            inputs = inputs.long()
        try:
            return F.embedding(inputs, self.embeddings)
        except IndexError as error:
            raise IndexError(
                f'Layer "{self.name}": indices must lie in [0, {self.input_dim}) '
                f"(input_dim={self.input_dim}); {error}"
            ) from error

    @property
    def produces_masks(self) -> bool:
        return self.mask_zero

    def compute_mask(self, inputs: torch.Tensor, mask: Any = None) -> torch.Tensor | None:
        """``inputs != 0`` when ``mask_zero``, else ``None``."""
        if not self.mask_zero:
            return None
        return inputs != 0

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape, self.output_dim)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        }


def _standardize_output_shape(output_shape: Any) -> Any:
    """A shape (or list/tuple/dict of shapes) without the batch axis, shapes as tuples."""
    if tree.is_shape(output_shape):
        return tuple(output_shape)
    if isinstance(output_shape, dict):
        return {key: _standardize_output_shape(value) for key, value in output_shape.items()}
    if isinstance(output_shape, (list, tuple)):
        return type(output_shape)(_standardize_output_shape(value) for value in output_shape)
    raise TypeError(
        "Lambda: output_shape must be a tuple of ints or None (without the batch axis), a "
        f"list of such tuples, or a function; received: output_shape={output_shape!r}"
    )


def _parameter_names(function: Any) -> set[str]:
    try:
        return set(inspect.signature(function).parameters)
    except (TypeError, ValueError):  # some builtins have no introspectable signature
        return set()


def _function_name(function: Any) -> str:
    return getattr(function, "__name__", type(function).__name__)


def _function_config(function: Any) -> Any:
    """A function as Keras stores it (by name, or a lambda's bytecode); other callables
    (a module, a ``functools.partial``) by name only."""
    if not (inspect.isfunction(function) or inspect.isbuiltin(function)):
        return _function_name(function)
    from torchseq.saving import serialization_lib  # late: saving sits above layers

    return serialization_lib.serialize_keras_object(function)
