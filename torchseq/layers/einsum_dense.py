"""EinsumDense: a dense layer whose contraction is written as an einsum equation."""

from __future__ import annotations

import copy
import dataclasses
import re
from typing import Any

import torch

from torchseq import activations, constraints, initializers, regularizers
from torchseq.initializers._variance_scaling import VarianceScaling
from torchseq.layers.layer import InputSpec, Layer
from torchseq.utils.integers import int_or_none, is_int

__all__ = ["EinsumDense"]

# The three forms Keras accepts: "ab,bc->ac", "...ab,bc->...ac" and "ab...,bc->ac...".
_PLAIN = re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$")
_LEFT_ELIDED = re.compile(r"\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)$")
_RIGHT_ELIDED = re.compile(r"([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\.$")


class EinsumDense(Layer):
    """A dense layer computed as ``activation(einsum(equation, inputs, kernel) + bias)``.

    Mirrors ``keras.layers.EinsumDense``. The kernel's shape is read off the equation: each
    kernel axis takes its size from the output (``output_shape``) when the output has it,
    otherwise from the input. ``bias_axes`` names the output axes that carry a bias; the
    bias spans the output from the first of them to the end (size 1 on the others), so it
    broadcasts against the output.

    Args:
        equation: ``"<input>,<kernel>-><output>"`` with letters for axes, optionally with
            ``...`` leading the input and output (``"...ab,bc->...ac"``) or trailing them
            (``"ab...,bc->ac..."``).
        output_shape: Int or tuple, the output's shape without the batch axis and without
            the axes the ellipsis stands for; ``None`` for a size taken from the input.
        activation: Activation function or name; default none (linear).
        bias_axes: Optional string of output letters that get a bias; default no bias.
        kernel_initializer: Default ``"glorot_uniform"``; a variance-scaling initializer
            without ``input_axes``/``output_axes`` gets the kernel's contracted and output
            axes as its fans, as in Keras.
        bias_initializer: Default ``"zeros"``.
        kernel_regularizer, bias_regularizer, activity_regularizer: Optional regularizers.
        kernel_constraint, bias_constraint: Optional constraints.

    Input shape: as the equation's input side says. Output shape: as its output side says.

    Example:
        >>> layer = EinsumDense("abc,cd->abd", output_shape=(5, 8), bias_axes="d")
        >>> layer(torch.ones(2, 5, 4)).shape
        torch.Size([2, 5, 8])
    """

    def __init__(
        self,
        equation: str,
        output_shape: int | tuple[int | None, ...],
        activation: Any = None,
        bias_axes: str | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        spec = _parse_equation(equation)
        partial_output_shape = _standardize_output_shape(output_shape)
        if bias_axes is not None:
            if not isinstance(bias_axes, str):
                raise TypeError(
                    f"EinsumDense: bias_axes must be a string of output axis letters or None, "
                    f"received: bias_axes={bias_axes!r}"
                )
            missing = [char for char in bias_axes if char not in spec.output]
            if missing or not bias_axes:
                raise ValueError(
                    f"EinsumDense: bias_axes must name axes of the output '{spec.output}', "
                    f"received: bias_axes={bias_axes!r} (not in the output: {missing})"
                )
        super().__init__(**kwargs)
        self.equation = equation
        self.partial_output_shape = partial_output_shape
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._spec = spec
        self._lazy_weight("kernel")
        if bias_axes is not None:
            self._lazy_weight("bias")
        else:
            self.register_parameter("bias", None)

    def build(self, input_shape: tuple) -> None:
        shapes = _analyze(self._spec, self.bias_axes, tuple(input_shape), self.partial_output_shape)
        unknown = [
            (name, shape)
            for name, shape in (("kernel", shapes.kernel), ("bias", shapes.bias))
            if shape is not None and None in shape
        ]
        if unknown:
            name, shape = unknown[0]
            raise ValueError(
                f'EinsumDense layer "{self.name}": the {name} shape {tuple(shape)} has unknown '
                f"sizes; give them in output_shape or in the input shape. Received "
                f"equation={self.equation!r}, output_shape={self.partial_output_shape}, "
                f"input shape {tuple(input_shape)}"
            )
        self.add_weight(
            shape=shapes.kernel,
            initializer=self._kernel_initializer_for(shapes.input_axes, shapes.output_axes),
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        if shapes.bias is not None:
            self.add_weight(
                shape=shapes.bias,
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )
        self.input_spec = InputSpec(ndim=len(input_shape))

    def _kernel_initializer_for(self, input_axes: list[int], output_axes: list[int]) -> Any:
        """Keras's rule: a variance-scaling initializer counts the kernel's fans over the
        axes the equation contracts and produces, unless it was told other axes."""
        initializer = self.kernel_initializer
        if not isinstance(initializer, VarianceScaling) or (
            initializer.input_axes is not None and initializer.output_axes is not None
        ):
            return initializer
        initializer = copy.copy(initializer)
        initializer.input_axes = input_axes
        initializer.output_axes = output_axes
        return initializer

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        outputs = torch.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            outputs = outputs + self.bias
        in_place, after = activations.stages(self.activation)
        if in_place is not None:
            return in_place(outputs)
        return outputs if after is None else after(outputs)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shapes = _analyze(self._spec, self.bias_axes, tuple(input_shape), self.partial_output_shape)
        return tuple(shapes.output)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


# ---------------------------------------------------------------------- equation analysis


@dataclasses.dataclass(frozen=True)
class _EquationSpec:
    """The letters of each side of the equation, and where an ellipsis sits."""

    input: str
    kernel: str
    output: str
    ellipsis: str | None  # "left", "right" or None


@dataclasses.dataclass
class _Shapes:
    kernel: list[int | None]
    bias: list[int | None] | None
    output: list[int | None]
    input_axes: list[int]  # kernel axes taken from the input (the fan-in)
    output_axes: list[int]  # kernel axes taken from the output (the fan-out)


def _parse_equation(equation: Any) -> _EquationSpec:
    if not isinstance(equation, str):
        raise TypeError(
            f"EinsumDense: equation must be a string such as 'ab,bc->ac', received: "
            f"equation={equation!r}"
        )
    for pattern, ellipsis in ((_PLAIN, None), (_LEFT_ELIDED, "left"), (_RIGHT_ELIDED, "right")):
        match = pattern.match(equation)
        if match:
            return _EquationSpec(*match.groups(), ellipsis=ellipsis)
    raise ValueError(
        "EinsumDense: expected an equation of the form [X],[Y]->[Z], ...[X],[Y]->...[Z] or "
        f"[X]...,[Y]->[Z]... (letters only), received: equation={equation!r}"
    )


def _standardize_output_shape(output_shape: Any) -> tuple[int | None, ...]:
    values = (output_shape,) if is_int(output_shape) else output_shape
    if not isinstance(values, (list, tuple)) or any(
        v is not None and not is_int(v) for v in values
    ):
        raise TypeError(
            "EinsumDense: output_shape must be an int or a tuple of ints and None, "
            f"received: output_shape={output_shape!r}"
        )
    if any(v is not None and v <= 0 for v in values):
        raise ValueError(
            f"EinsumDense: output_shape sizes must be positive, received: "
            f"output_shape={output_shape!r}"
        )
    return tuple(int_or_none(v) for v in values)


def _analyze(
    spec: _EquationSpec,
    bias_axes: str | None,
    input_shape: tuple,
    partial_output_shape: tuple,
) -> _Shapes:
    """The kernel, bias and output shapes for an input of ``input_shape``."""
    elided = len(input_shape) - len(spec.input)
    if elided < 0 or (elided > 0 and spec.ellipsis is None):
        raise ValueError(
            f"EinsumDense: the equation's input side '{spec.input}' expects an input of rank "
            f"{len(spec.input)}{' or more' if spec.ellipsis else ''}, received input shape "
            f"{input_shape}"
        )
    left = elided if spec.ellipsis == "left" else 0
    if spec.ellipsis == "left":
        output = [*input_shape[:elided], *partial_output_shape]
    else:
        output = [input_shape[0], *partial_output_shape, *input_shape[len(input_shape) - elided :]]
    if len(output) != left + len(spec.output) + (elided if spec.ellipsis == "right" else 0):
        raise ValueError(
            f"EinsumDense: output_shape must give one size per output axis after the batch "
            f"(and outside the ellipsis) of '{spec.output}', received: "
            f"output_shape={partial_output_shape}"
        )
    input_index = {dim: left + i for i, dim in enumerate(spec.input)}
    output_index = {dim: left + i for i, dim in enumerate(spec.output)}
    for dim in spec.input:
        if dim in output_index:
            size_in, size_out = input_shape[input_index[dim]], output[output_index[dim]]
            if size_in is not None and size_out is not None and size_in != size_out:
                raise ValueError(
                    f"EinsumDense: input and output disagree on the shared axis '{dim}': the "
                    f"input has {size_in}, output_shape says {size_out}"
                )
    for dim in spec.output:
        if dim not in spec.input and dim not in spec.kernel:
            raise ValueError(
                f"EinsumDense: output axis '{dim}' of '{spec.output}' appears neither in the "
                f"input '{spec.input}' nor in the kernel '{spec.kernel}'"
            )
    kernel: list[int | None] = []
    input_axes: list[int] = []
    output_axes: list[int] = []
    for i, dim in enumerate(spec.kernel):
        if dim in output_index:
            kernel.append(output[output_index[dim]])
            output_axes.append(i)
        elif dim in input_index:
            kernel.append(input_shape[input_index[dim]])
            input_axes.append(i)
        else:
            raise ValueError(
                f"EinsumDense: kernel axis '{dim}' of '{spec.kernel}' appears neither in the "
                f"input '{spec.input}' nor in the output '{spec.output}'"
            )
    bias = None
    if bias_axes is not None:
        first = min(spec.output.index(char) for char in bias_axes)
        bias = [
            output[output_index[char]] if char in bias_axes else 1 for char in spec.output[first:]
        ]
        if spec.ellipsis == "right":
            bias += [1] * elided
    return _Shapes(kernel, bias, output, input_axes, output_axes)
