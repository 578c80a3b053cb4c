"""Convolutional LSTM layers: ``ConvLSTM1D``, ``ConvLSTM2D`` and ``ConvLSTM3D``, sharing
``_ConvLSTM``, an ``RNN`` over a ``ConvLSTMCell`` whose states are feature maps.

The input convolutions do not depend on the states, so the layer runs them for every step of
the sequence in one call and steps through time only for the recurrent ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from torchseq import regularizers
from torchseq.layers.conv_lstm_cell import ConvLSTMCell
from torchseq.layers.layer import InputSpec
from torchseq.layers.rnn_base import RNN

__all__ = ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]

# The cell's options, which the layer shows as its own attributes and in its config.
_CELL_OPTIONS = (
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "data_format",
    "dilation_rate",
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
)


class _ConvLSTM(RNN):
    """A convolutional LSTM over ``rank``-D feature maps; subclasses set ``rank``.

    The arguments are documented on :class:`ConvLSTM2D`.
    """

    rank: int = 0

    def __init__(
        self,
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
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        **kwargs: Any,
    ) -> None:
        cell = ConvLSTMCell(
            self.rank,
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            name="conv_lstm_cell",
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.input_spec = InputSpec(ndim=self.rank + 3)
        self._state_shape: tuple[int, ...] | None = None  # one state, without the batch axis

    def __getattr__(self, name: str) -> Any:
        if name in _CELL_OPTIONS:
            return getattr(self.cell, name)
        return super().__getattr__(name)

    def build(self, input_shape: tuple) -> None:
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 3:
            raise ValueError(
                f'{type(self).__name__} "{self.name}" expects inputs of rank {self.rank + 3}, shaped '
                f"(batch, timesteps, {self._step_axes()}), received input shape {input_shape}"
            )
        self._fix_stateful_batch_size(input_shape)
        step_shape = (input_shape[0], *input_shape[2:])
        if not self.cell.built:
            self.cell._build_for(step_shape)
        self._state_shape = tuple(self.cell.compute_output_shape(step_shape)[1:])
        # The states' size follows from the spatial axes, so those are fixed, as in Keras.
        self.input_spec = InputSpec(
            ndim=self.rank + 3,
            axes={axis: size for axis, size in enumerate(input_shape) if axis >= 2},
        )

    def _step_axes(self) -> str:
        spatial = ", ".join(f"dim{axis + 1}" for axis in range(self.rank))
        if self.cell.data_format == "channels_last":
            return f"{spatial}, channels"
        return f"channels, {spatial}"

    def _state_shapes(self, batch: int | None) -> list[tuple]:
        if self._state_shape is None:
            raise ValueError(
                f'{type(self).__name__} "{self.name}" is not built yet, so the shape of its '
                "states is unknown; call it on data (or build it) first"
            )
        return [(batch, *self._state_shape)] * 2

    def _fused_run(
        self, sequences: torch.Tensor, states: list, training: bool, mask: torch.Tensor | None
    ) -> Any:
        """The input convolutions of all steps in one call, then the recurrent steps."""
        cell = self.cell
        gates = cell.input_gates(sequences, training)
        return self._step_loop(gates, states, mask, training, step=cell.recurrent_step)

    def compute_output_shape(self, input_shape: tuple) -> Any:
        batch, steps = input_shape[0], input_shape[1]
        state_shape = tuple(self.cell.compute_output_shape((batch, *input_shape[2:])))
        if self.return_sequences:
            output_shape = (batch, steps, *state_shape[1:])
        else:
            output_shape = state_shape
        if self.return_state:
            return [output_shape, state_shape, state_shape]
        return output_shape

    def get_config(self) -> dict[str, Any]:
        cell_config = {
            key: value
            for key, value in self.cell.get_config().items()
            if key not in ("name", "trainable", "dtype")
        }
        return {
            **super().get_config(),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            **cell_config,
        }


class ConvLSTM1D(_ConvLSTM):
    """Convolutional LSTM over sequences of 1-D feature maps; mirrors ``keras.layers.ConvLSTM1D``.

    Arguments as :class:`ConvLSTM2D`, with ``kernel_size``, ``strides`` and
    ``dilation_rate`` an int or a tuple of 1 int.

    Input shape: ``(batch, timesteps, steps, channels)`` (channels_last) or
    ``(batch, timesteps, channels, steps)``. Output shape: ``(batch, new_steps, filters)``
    (or ``(batch, filters, new_steps)``), with a time axis after the batch axis when
    ``return_sequences``; with ``return_state`` also the states ``h`` and ``c``, each
    shaped like one step of the output.

    Example:
        >>> ConvLSTM1D(4, 3, padding="same")(torch.ones(2, 5, 10, 3)).shape
        torch.Size([2, 10, 4])
    """

    rank = 1


class ConvLSTM2D(_ConvLSTM):
    """Convolutional LSTM over sequences of images; mirrors ``keras.layers.ConvLSTM2D``.

    An LSTM whose input and recurrent transformations are convolutions, so its states are
    feature maps: ``h`` and ``c`` have the input convolution's output size.

    Args:
        filters: Positive int, the channels of the output and of both states.
        kernel_size: Int or tuple of 2 ints, the window of both convolutions.
        strides: Int or tuple of 2 ints (default 1), of the input convolution. Values
            above 1 cannot be combined with a ``dilation_rate`` above 1.
        padding: ``"valid"`` or ``"same"`` (case-insensitive), of the input convolution
            (the recurrent one always pads "same"; an odd total padding puts the extra
            element at the end, as TensorFlow does).
        data_format: ``"channels_last"`` (inputs ``(batch, time, ..., channels)``) or
            ``"channels_first"`` (``(batch, time, channels, ...)``); default
            ``config.image_data_format()``.
        dilation_rate: Int or tuple of 2 ints (default 1), of the input convolution.
        activation: Activation of the candidate and of the output (default ``"tanh"``).
        recurrent_activation: Activation of the gates (default ``"sigmoid"``).
        use_bias: Whether to add a bias (default ``True``).
        kernel_initializer: Default ``"glorot_uniform"``.
        recurrent_initializer: Default ``"orthogonal"``.
        bias_initializer: Default ``"zeros"``.
        unit_forget_bias: Start the forget gate's bias at one (default ``True``).
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer:
            Optional regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: Optional constraints.
        dropout: Fraction of the input dropped in training, one mask per gate shared by
            the steps of a sequence (default 0).
        recurrent_dropout: The same for the previous output (default 0).
        seed: Accepted for Keras compatibility (dropout uses torch's global generator).
        return_sequences: Return the output of every step (default ``False``: the last).
        return_state: Also return the final states, as ``[output, h, c]``.
        go_backwards: Process the sequence backwards; sequence outputs are in processing
            order.
        stateful: Carry the final states of a batch into the next batch (needs a fixed
            batch size).
        unroll, zero_output_for_mask: As :class:`~torchseq.layers.RNN`.

    Input shape: ``(batch, timesteps, rows, cols, channels)`` (channels_last) or
    ``(batch, timesteps, channels, rows, cols)``. Output shape:
    ``(batch, new_rows, new_cols, filters)`` (or ``(batch, filters, new_rows, new_cols)``),
    with a time axis after the batch axis when ``return_sequences``; with ``return_state``
    also ``h`` and ``c``, each shaped like one step of the output. A mask of shape
    ``(batch, timesteps)`` skips steps as in the other recurrent layers.

    Example:
        >>> layer = ConvLSTM2D(8, 3, padding="same", return_sequences=True)
        >>> layer(torch.ones(2, 5, 16, 16, 1)).shape
        torch.Size([2, 5, 16, 16, 8])
    """

    rank = 2


class ConvLSTM3D(_ConvLSTM):
    """Convolutional LSTM over sequences of volumes; mirrors ``keras.layers.ConvLSTM3D``.

    Arguments as :class:`ConvLSTM2D`, with ``kernel_size``, ``strides`` and
    ``dilation_rate`` an int or a tuple of 3 ints.

    Input shape: ``(batch, timesteps, dim1, dim2, dim3, channels)`` (channels_last) or
    ``(batch, timesteps, channels, dim1, dim2, dim3)``. Output shape:
    ``(batch, new_dim1, new_dim2, new_dim3, filters)`` (or channels first), with a time
    axis after the batch axis when ``return_sequences``; with ``return_state`` also ``h``
    and ``c``, each shaped like one step of the output.

    Example:
        >>> ConvLSTM3D(2, 3)(torch.ones(1, 3, 5, 5, 5, 1)).shape
        torch.Size([1, 3, 3, 3, 2])
    """

    rank = 3
