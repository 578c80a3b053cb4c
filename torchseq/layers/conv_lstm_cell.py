"""``ConvLSTMCell``: one time step of a convolutional LSTM, for 1-, 2- and 3-D feature maps.

The cell is an LSTM whose matrix products are convolutions: the input convolution has the
layer's window geometry (``_ConvGeometry``: strides, padding, dilation), the recurrent one
runs over the previous output with stride 1 and "same" padding, so the states keep the
input convolution's output size. Gates are in Keras's order i, f, c, o.

Kernels are stored in torch's layout, ``(4 * filters, channels, *kernel_size)``, one block of
``filters`` output channels per gate; ``get_weights``/``set_weights`` and the weights files
show Keras's ``(*kernel_size, channels, 4 * filters)``. Dropout draws one mask per gate (as
Keras does), applied by running the convolution with ``groups=4`` on the four masked copies,
which is the stored kernel read as four groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from torchseq import activations, constraints, initializers, regularizers
from torchseq.layers.convolutional import (
    _ConvGeometry,
    _from_torch_layout,
    _lift,
    _pad_asymmetric,
    _positive_int,
    _same_pads,
    _to_torch_layout,
)
from torchseq.layers.recurrent_cells import _lstm_gate_update, forget_gate_ones

__all__ = ["ConvLSTMCell"]

_GATES = 4


class ConvLSTMCell(_ConvGeometry):
    """One step of a convolutional LSTM over ``rank``-D feature maps; mirrors Keras's
    ``ConvLSTMCell`` (``keras.src.layers.rnn.conv_lstm``), the cell of ``ConvLSTM1D/2D/3D``.

    Args:
        rank: 1, 2 or 3, the number of spatial axes.
        filters: Positive int, the channels of the output and of both states.
        kernel_size: Int or tuple of ``rank`` ints, the window of both convolutions.
        strides: Int or tuple of ``rank`` ints (default 1), of the input convolution only.
            Values above 1 cannot be combined with a ``dilation_rate`` above 1.
        padding: ``"valid"`` or ``"same"`` (case-insensitive), of the input convolution; the
            recurrent convolution always pads "same".
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.
        dilation_rate: Int or tuple of ``rank`` ints (default 1), of the input convolution.
        activation: Activation of the candidate and of the output (default ``"tanh"``).
        recurrent_activation: Activation of the gates (default ``"sigmoid"``).
        use_bias: Whether the input convolution adds a bias (default ``True``).
        kernel_initializer, recurrent_initializer, bias_initializer: Defaults
            ``"glorot_uniform"``, ``"orthogonal"``, ``"zeros"``.
        unit_forget_bias: Start the forget gate's bias at one (default ``True``).
        kernel_regularizer, recurrent_regularizer, bias_regularizer: Optional regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: Optional constraints.
        dropout: Fraction of the input dropped in training, with one mask per gate that
            every step of a sequence shares (default 0).
        recurrent_dropout: The same for the previous output (default 0).
        seed: Accepted for Keras compatibility (dropout uses torch's global generator).

    Input shape: ``(batch, *spatial, channels)`` (channels_last) or
    ``(batch, channels, *spatial)``; states ``[h, c]``, each shaped like the output:
    ``(batch, *new_spatial, filters)`` or ``(batch, filters, *new_spatial)``.

    Example:
        >>> cell = ConvLSTMCell(2, filters=4, kernel_size=3, padding="same")
        >>> x, h = torch.ones(2, 8, 8, 3), torch.zeros(2, 8, 8, 4)
        >>> cell(x, [h, h])[0].shape
        torch.Size([2, 8, 8, 4])
    """

    _rejects_strided_dilation = True

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = 1,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
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
        layer = type(self).__name__
        if rank not in (1, 2, 3):
            raise ValueError(f"{layer}: rank must be 1, 2 or 3, received: rank={rank!r}")
        filters = _positive_int(filters, layer, "filters")
        for argument, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0.0 <= float(rate) <= 1.0:
                raise ValueError(
                    f"{layer}: {argument} must be in [0, 1], received: {argument}={rate}"
                )
        self.rank = rank  # read by _ConvGeometry.__init__
        super().__init__(
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            **kwargs,
        )
        self.filters = filters
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.seed = seed
        # Channels of h and c; their spatial size follows from the input (see the layer).
        self.state_size = [filters, filters]
        self.output_size = filters
        self._recurrent_pads = _lift(
            [_same_pads(1, size, 1) for size in self.kernel_size], rank, (0, 0)
        )
        self._unit_strides = _lift((1,) * rank, rank, 1)
        self._lazy_weight("kernel")
        self._lazy_weight("recurrent_kernel")
        if self.use_bias:
            self._lazy_weight("bias")
        else:
            self.register_parameter("bias", None)
        self._dropout_mask: torch.Tensor | None = None
        self._recurrent_dropout_mask: torch.Tensor | None = None

    def build(self, input_shape: tuple) -> None:
        channels = self._input_channels(input_shape)
        spatial = input_shape[1:-1] if self._channels_last else input_shape[2:]
        if None in spatial:
            raise ValueError(
                f'{type(self).__name__} "{self.name}": the spatial axes of the input must be '
                f"known (the states take their size), received input shape {tuple(input_shape)}"
            )
        self.compute_output_shape(input_shape)  # rejects kernels larger than the input
        kernel_layout = (self.rank + 1, self.rank, *range(self.rank))
        self.add_weight(
            shape=(*self.kernel_size, channels, _GATES * self.filters),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
            layout=kernel_layout,
        )
        self.add_weight(
            shape=(*self.kernel_size, self.filters, _GATES * self.filters),
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
            name="recurrent_kernel",
            layout=kernel_layout,
        )
        if self.use_bias:
            self.add_weight(
                shape=(_GATES * self.filters,),
                initializer=self._gate_bias_initializer(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )

    def _gate_bias_initializer(self) -> Any:
        """The bias initializer, with the forget gate's block at one for ``unit_forget_bias``."""
        if not self.unit_forget_bias:
            return self.bias_initializer
        return forget_gate_ones(self.bias_initializer, self.filters)

    def call(self, inputs: torch.Tensor, states: Any, training: bool | None = None) -> Any:
        """One step: ``(h, [h, c])`` from the step's input and the states ``[h, c]``."""
        training = self.training if training is None else training
        gates = self.input_gates(inputs.unsqueeze(1), training).squeeze(1)
        return self.recurrent_step(gates, states, training)

    def input_gates(self, sequences: torch.Tensor, training: bool) -> torch.Tensor:
        """The input convolution (with the bias) of every step of ``(batch, steps, ...)``
        inputs at once: ``(batch, steps, *new_spatial, 4 * filters)`` (channels_last) or
        ``(batch, steps, 4 * filters, *new_spatial)``. A step does not depend on the
        states here, so the layer convolves the whole sequence in one call."""
        batch, steps = sequences.shape[:2]
        x = _to_torch_layout(sequences.flatten(0, 1), self._channels_last, self.rank)
        groups = 1
        if training and 0.0 < self.dropout < 1.0:
            mask = self._dropout_mask
            if mask is None:
                mask = _gate_masks(x, batch, self.dropout)
                object.__setattr__(self, "_dropout_mask", mask)
            x = (x.unflatten(0, (batch, steps)).unsqueeze(2) * mask.unsqueeze(1)).flatten(0, 1)
            x, groups = x.flatten(1, 2), _GATES
        x, padding = self._pad_input(x)
        kernel = self.kernel if self.rank > 1 else self.kernel.unsqueeze(2)
        gates = self._torch_conv(
            x,
            kernel,
            self.bias,
            stride=self._torch_strides,
            padding=padding,
            dilation=self._torch_dilation,
            groups=groups,
        )
        gates = _from_torch_layout(gates, self._channels_last, self.rank)
        return gates.unflatten(0, (batch, steps))

    def recurrent_step(
        self, input_gates: torch.Tensor, states: Any, training: bool | None = None
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """One step from its input convolution (a step of :meth:`input_gates`) and ``[h, c]``."""
        training = self.training if training is None else training
        hidden, carry = states
        h = _to_torch_layout(hidden, self._channels_last, self.rank)
        groups = 1
        if training and 0.0 < self.recurrent_dropout < 1.0:
            mask = self._recurrent_dropout_mask
            if mask is None:
                mask = _gate_masks(h, h.shape[0], self.recurrent_dropout)
                object.__setattr__(self, "_recurrent_dropout_mask", mask)
            h, groups = (h.unsqueeze(1) * mask).flatten(1, 2), _GATES
        h, padding = _pad_asymmetric(h, self._recurrent_pads, 0.0)
        kernel = self.recurrent_kernel if self.rank > 1 else self.recurrent_kernel.unsqueeze(2)
        recurrent = self._torch_conv(
            h, kernel, None, stride=self._unit_strides, padding=padding, groups=groups
        )
        gates = input_gates + _from_torch_layout(recurrent, self._channels_last, self.rank)
        hidden, carry = _lstm_gate_update(
            gates, carry, self.activation, self.recurrent_activation, axis=self._channel_axis
        )
        return hidden, [hidden, carry]

    def _reset_dropout_masks(self) -> None:
        """Forget this call's dropout masks (``RNN.call`` resets them before each sequence)."""
        if self._dropout_mask is not None or self._recurrent_dropout_mask is not None:
            object.__setattr__(self, "_dropout_mask", None)
            object.__setattr__(self, "_recurrent_dropout_mask", None)

    def _output_channels(self, input_shape: tuple) -> int:
        return self.filters

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
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


def _gate_masks(x: torch.Tensor, batch: int, rate: float) -> torch.Tensor:
    """Four dropout masks per sample for ``x`` (``(samples, channels, ...)``, torch layout),
    as ``(batch, 4, channels, ...)``: one per gate, shared by the steps of a sequence."""
    return F.dropout(x.new_ones(batch, _GATES, *x.shape[1:]), rate, True)
