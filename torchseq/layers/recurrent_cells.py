"""Recurrent cells: one time step of SimpleRNN, LSTM and GRU (``SimpleRNNCell``, ``LSTMCell``,
``GRUCell``), for ``RNN(cell)`` and for the layers in ``recurrent.py``.

Weights are stored in the layout torch's fused kernels take (``weight_ih`` is ``(gates*units,
input_dim)``, GRU gates in torch's r, z, n order), so the layers' fused path uses them as they
are; ``get_weights``/``set_weights`` show Keras's layout ``(input_dim, gates*units)`` and gate
order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from torchseq import activations, constraints, initializers, regularizers
from torchseq.layers.layer import Layer, WeightLayout
from torchseq.utils.integers import int_or_none, is_int

__all__ = ["GRUCell", "LSTMCell", "SimpleRNNCell"]

_CELL_ARGUMENTS = (
    "units",
    "activation",
    "recurrent_activation",
    "use_bias",
    "kernel_initializer",
    "recurrent_initializer",
    "bias_initializer",
    "unit_forget_bias",
    "kernel_regularizer",
    "recurrent_regularizer",
    "bias_regularizer",
    "kernel_constraint",
    "recurrent_constraint",
    "bias_constraint",
    "dropout",
    "recurrent_dropout",
    "seed",
    "reset_after",
)


def _check_cell_arguments(owner: str, units: Any, dropout: Any, recurrent_dropout: Any) -> None:
    if not is_int(units):
        raise TypeError(f"{owner}: units must be an integer, received: units={units!r}")
    if units <= 0:
        raise ValueError(f"{owner}: units must be a positive integer, received: units={units}")
    for arg, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
        if not 0.0 <= float(rate) <= 1.0:
            raise ValueError(f"{owner}: {arg} must be in [0, 1], received: {arg}={rate}")


def forget_gate_ones(initializer: Any, units: int) -> Any:
    """An LSTM gate bias initializer (gates i, f, c, o of ``units`` each) whose forget-gate
    block is ones and the others ``initializer``'s: Keras's ``unit_forget_bias``."""

    def initialize(shape: tuple, dtype: Any = None) -> torch.Tensor:
        return torch.cat(
            [
                torch.as_tensor(initializer((units,), dtype=dtype)),
                torch.ones(units, dtype=dtype),
                torch.as_tensor(initializer((2 * units,), dtype=dtype)),
            ]
        )

    return initialize


def _lstm_gate_update(
    gates: torch.Tensor,
    carry: torch.Tensor,
    activation: Callable[[torch.Tensor], torch.Tensor],
    recurrent_activation: Callable[[torch.Tensor], torch.Tensor],
    axis: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The new ``(hidden, carry)`` of an LSTM step from its summed gate pre-activations,
    Keras's blocks i, f, c, o along ``axis`` (the features of ``LSTMCell``, the channels of
    ``ConvLSTMCell``)."""
    i, f, c, o = gates.chunk(4, dim=axis)
    carry = recurrent_activation(f) * carry + recurrent_activation(i) * activation(c)
    hidden = recurrent_activation(o) * activation(carry)
    return hidden, carry


class _GateLayout(WeightLayout):
    """Keras's ``(..., gates*units)`` weight stored with gates reordered (and transposed)."""

    def __init__(self, order: tuple[int, ...], transpose: bool) -> None:
        self.order = list(order)
        self.inverse = sorted(range(len(order)), key=order.__getitem__)
        self.transpose = transpose

    def stored_shape(self, keras_shape: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(reversed(keras_shape)) if self.transpose else keras_shape

    def _reorder(self, value: torch.Tensor, order: list[int]) -> torch.Tensor:
        if order == sorted(order):
            return value
        gates = value.unflatten(-1, (len(order), -1))
        return gates[..., order, :].flatten(-2)

    def to_stored(self, keras_value: torch.Tensor) -> torch.Tensor:
        value = self._reorder(keras_value, self.order)
        return (value.t() if self.transpose else value).contiguous()

    def to_keras(self, stored: torch.Tensor) -> torch.Tensor:
        return self._reorder(stored.t() if self.transpose else stored, self.inverse)


class _BaseCell(Layer):
    """Shared arguments, weights, dropout masks and config of the three cells."""

    _gates = 1
    _gate_order: tuple[int, ...] = (0,)  # stored gate i holds Keras gate _gate_order[i]

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        _check_cell_arguments(type(self).__name__, units, dropout, recurrent_dropout)
        super().__init__(**kwargs)
        self.units = units = int(units)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.seed = int_or_none(seed)
        self.state_size: int | list[int] = units
        self.output_size = units
        self._lazy_weight("kernel")
        self._lazy_weight("recurrent_kernel")
        if self.use_bias:
            self._lazy_weight("bias")
        else:
            self.register_parameter("bias", None)
        self._dropout_mask: torch.Tensor | None = None
        self._recurrent_dropout_mask: torch.Tensor | None = None

    def build(self, input_shape: tuple) -> None:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f'Layer "{self.name}": the last axis of the input must be known, '
                f"received input shape {input_shape}"
            )
        width = self._gates * self.units
        weight_layout = _GateLayout(self._gate_order, transpose=True)
        self.add_weight(
            shape=(input_dim, width),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
            layout=weight_layout,
        )
        self.add_weight(
            shape=(self.units, width),
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
            name="recurrent_kernel",
            layout=weight_layout,
        )
        if self.use_bias:
            self.add_weight(
                shape=self._bias_shape(),
                initializer=self._bias_initializer(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
                layout=_GateLayout(self._gate_order, transpose=False),
            )

    def _bias_shape(self) -> tuple[int, ...]:
        return (self._gates * self.units,)

    def _bias_initializer(self) -> Any:
        return self.bias_initializer

    def _reset_dropout_masks(self) -> None:
        # Plain object attributes: nn.Module.__setattr__ would cost more than the reset.
        if self._dropout_mask is not None or self._recurrent_dropout_mask is not None:
            object.__setattr__(self, "_dropout_mask", None)
            object.__setattr__(self, "_recurrent_dropout_mask", None)

    def _input_dropout(self, inputs: torch.Tensor, training: bool) -> torch.Tensor:
        """Inputs times this call's dropout mask (one mask for every time step)."""
        if not training or not 0.0 < self.dropout < 1.0:
            return inputs
        if self._dropout_mask is None:
            self._dropout_mask = F.dropout(torch.ones_like(inputs), self.dropout, True)
        return inputs * self._dropout_mask

    def _state_dropout(self, state: torch.Tensor, training: bool) -> torch.Tensor:
        if not training or not 0.0 < self.recurrent_dropout < 1.0:
            return state
        if self._recurrent_dropout_mask is None:
            self._recurrent_dropout_mask = F.dropout(
                torch.ones_like(state), self.recurrent_dropout, True
            )
        return state * self._recurrent_dropout_mask

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


class SimpleRNNCell(_BaseCell):
    """One step of a fully connected RNN: ``h = activation(x W + h U + b)``.

    Mirrors ``keras.layers.SimpleRNNCell``; arguments as :class:`LSTMCell` without
    ``recurrent_activation`` and ``unit_forget_bias``.

    Input shape: ``(batch, input_dim)``; state ``[(batch, units)]``. Output: ``(batch, units)``.
    """

    def __init__(self, units: int, activation: Any = "tanh", **kwargs: Any) -> None:
        super().__init__(units, activation=activation, **kwargs)
        # torch's fused kernel adds a second (recurrent) bias; Keras has one, so it is zero.
        self.register_buffer("_zero_bias", torch.zeros(self.units, dtype=self._dtype), False)

    def call(self, inputs: torch.Tensor, states: Any, training: bool | None = None) -> Any:
        training = self.training if training is None else training
        previous = states[0] if isinstance(states, (list, tuple)) else states
        inputs = self._input_dropout(inputs, training)
        hidden = F.linear(inputs, self.kernel, self.bias)
        hidden = hidden + F.linear(self._state_dropout(previous, training), self.recurrent_kernel)
        output = self.activation(hidden)
        return output, [output]


class LSTMCell(_BaseCell):
    """One step of a long short-term memory unit, Keras's gate order i, f, c, o.

    Mirrors ``keras.layers.LSTMCell``.

    Args:
        units: Size of the output and of both states.
        activation: Activation of the candidate and the output (default ``"tanh"``).
        recurrent_activation: Activation of the gates (default ``"sigmoid"``).
        use_bias: Whether to add a bias (default ``True``).
        kernel_initializer, recurrent_initializer, bias_initializer: Defaults
            ``"glorot_uniform"``, ``"orthogonal"``, ``"zeros"``.
        unit_forget_bias: Start the forget gate's bias at one (default ``True``).
        kernel_regularizer, recurrent_regularizer, bias_regularizer: Optional regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: Optional constraints.
        dropout: Fraction of the inputs dropped in training (one mask per sequence).
        recurrent_dropout: Fraction of the previous output dropped in training.
        seed: Accepted for Keras compatibility (dropout uses torch's global generator).

    Input shape: ``(batch, input_dim)``; states ``[(batch, units), (batch, units)]``.
    Output: ``(batch, units)``.
    """

    _gates = 4
    _gate_order = (0, 1, 2, 3)  # Keras's i, f, c, o is torch's i, f, g, o

    def __init__(self, units: int, *, unit_forget_bias: bool = True, **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [self.units, self.units]
        # torch's kernels add a second (recurrent) bias; Keras has one, so it is zero.
        self.register_buffer("_zero_bias", torch.zeros(4 * self.units, dtype=self._dtype), False)

    def _bias_initializer(self) -> Any:
        if not self.unit_forget_bias:
            return self.bias_initializer
        return forget_gate_ones(self.bias_initializer, self.units)

    def call(self, inputs: torch.Tensor, states: Any, training: bool | None = None) -> Any:
        training = self.training if training is None else training
        hidden, carry = states
        inputs = self._input_dropout(inputs, training)
        gates = F.linear(inputs, self.kernel, self.bias)
        gates = gates + F.linear(self._state_dropout(hidden, training), self.recurrent_kernel)
        hidden, carry = _lstm_gate_update(
            gates, carry, self.activation, self.recurrent_activation, axis=-1
        )
        return hidden, [hidden, carry]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
        }


class GRUCell(_BaseCell):
    """One step of a gated recurrent unit, Keras's gate order z, r, h.

    Mirrors ``keras.layers.GRUCell``; arguments as :class:`LSTMCell` (without
    ``unit_forget_bias``), plus:

    Args:
        reset_after: Apply the reset gate after the recurrent matmul (default ``True``,
            torch's and cuDNN's convention; the bias is then ``(2, 3*units)``: input and
            recurrent biases).

    Input shape: ``(batch, input_dim)``; state ``[(batch, units)]``. Output: ``(batch, units)``.
    """

    _gates = 3
    _gate_order = (1, 0, 2)  # torch's r, z, n are Keras's gates 1, 0, 2

    def __init__(self, units: int, *, reset_after: bool = True, **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.reset_after = bool(reset_after)

    def _bias_shape(self) -> tuple[int, ...]:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def call(self, inputs: torch.Tensor, states: Any, training: bool | None = None) -> Any:
        training = self.training if training is None else training
        previous = states[0] if isinstance(states, (list, tuple)) else states
        inputs = self._input_dropout(inputs, training)
        dropped = self._state_dropout(previous, training)
        if self.reset_after:
            input_bias, recurrent_bias = (None, None) if self.bias is None else self.bias.unbind(0)
            x_r, x_z, x_n = F.linear(inputs, self.kernel, input_bias).chunk(3, dim=-1)
            h_r, h_z, h_n = F.linear(dropped, self.recurrent_kernel, recurrent_bias).chunk(3, -1)
            reset = self.recurrent_activation(x_r + h_r)
            candidate_inner = reset * h_n
        else:
            x_r, x_z, x_n = F.linear(inputs, self.kernel, self.bias).chunk(3, dim=-1)
            u_rz, u_n = self.recurrent_kernel.split([2 * self.units, self.units])
            h_r, h_z = F.linear(dropped, u_rz).chunk(2, dim=-1)
            reset = self.recurrent_activation(x_r + h_r)
            candidate_inner = F.linear(reset * dropped, u_n)
        update = self.recurrent_activation(x_z + h_z)
        candidate = self.activation(x_n + candidate_inner)
        output = update * previous + (1.0 - update) * candidate
        return output, [output]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "reset_after": self.reset_after,
        }
