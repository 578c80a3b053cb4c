"""Recurrent cells and layers: SimpleRNN, LSTM, GRU.

Weights are stored in the layout torch's fused kernels take (``weight_ih`` is ``(gates*units,
input_dim)``, GRU gates in torch's r, z, n order), so the fused path uses them as they are;
``get_weights``/``set_weights`` show Keras's layout ``(input_dim, gates*units)`` and gate order.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from torchseq import activations, constraints, initializers, regularizers
from torchseq.layers.layer import Layer, WeightLayout
from torchseq.layers.rnn_base import RNN
from torchseq.utils import naming

__all__ = ["GRU", "LSTM", "GRUCell", "LSTMCell", "SimpleRNN", "SimpleRNNCell"]

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
# torch's fused kernels, looked up once (``torch._VF`` resolves attributes on every access).
_LSTM, _GRU, _RNN_TANH, _RNN_RELU = (
    torch._VF.lstm,
    torch._VF.gru,
    torch._VF.rnn_tanh,
    torch._VF.rnn_relu,
)


def _check_cell_arguments(owner: str, units: Any, dropout: Any, recurrent_dropout: Any) -> None:
    if isinstance(units, bool) or not isinstance(units, int):
        raise TypeError(f"{owner}: units must be an integer, received: units={units!r}")
    if units <= 0:
        raise ValueError(f"{owner}: units must be a positive integer, received: units={units}")
    for arg, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
        if not 0.0 <= float(rate) <= 1.0:
            raise ValueError(f"{owner}: {arg} must be in [0, 1], received: {arg}={rate}")


def fused_mask_lengths(mask: torch.Tensor) -> tuple[bool, torch.Tensor | None]:
    """Whether torch's fused kernels can honour ``mask``, and the lengths to pack with.

    They can when every sample's valid steps come first (right padding) and no sample is
    empty. The lengths (int64, on the CPU, as packing wants them) are ``None`` when nothing is
    padded. Costs one small device-to-host copy: a synchronisation on CUDA.
    """
    mask = mask.to(torch.bool)
    lengths = mask.sum(1)
    steps = torch.arange(mask.shape[1], device=mask.device)
    fits = (mask == (steps < lengths[:, None])).all() & (lengths > 0).all()
    summary = torch.cat([lengths, fits.view(1).long()]).cpu()
    lengths = summary[:-1]
    if not summary[-1]:
        return False, None
    return True, None if bool((lengths == mask.shape[1]).all()) else lengths


def run_fused(
    kernel: Any,
    inputs: torch.Tensor,
    states: list[torch.Tensor],
    weights: list[torch.Tensor],
    has_bias: bool,
    training: bool,
    bidirectional: bool = False,
    lengths: torch.Tensor | None = None,
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Runs one of torch's fused kernels over batch-first ``inputs``: ``(outputs, final_states)``.

    ``states`` are ``(directions, batch, units)`` each. With ``lengths`` (from
    :func:`fused_mask_lengths`) the batch is packed, so each sample stops at its own length:
    its final states are those of its last valid step and its outputs past it are zeros.
    (On the CPU a packed batch trains at about half the speed of a whole one.)
    """
    if torch.compiler.is_compiling():
        return _run_fused_outside_graph(
            kernel, inputs, states, weights, has_bias, training, bidirectional, lengths
        )
    if lengths is None:
        hx = states if len(states) > 1 else states[0]
        outputs, *final = kernel(
            inputs, hx, weights, has_bias, 1, 0.0, training, bidirectional, True
        )
        return outputs, final
    packed = pack_padded_sequence(inputs, lengths, batch_first=True, enforce_sorted=False)
    states = [state.index_select(1, packed.sorted_indices) for state in states]
    hx = states if len(states) > 1 else states[0]
    data, *final = kernel(
        packed.data, packed.batch_sizes, hx, weights, has_bias, 1, 0.0, training, bidirectional
    )
    packed_outputs = PackedSequence(
        data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices
    )
    outputs, _ = pad_packed_sequence(packed_outputs, batch_first=True, total_length=inputs.shape[1])
    return outputs, [state.index_select(1, packed.unsorted_indices) for state in final]


# Kept out of torch.compile graphs, as torch keeps nn.LSTM out of them: in torch 2.13 the
# CPU lowering of a traced LSTM kernel fails (mkldnn_rnn_layer), and the kernel is already
# one fused call. (Only while compiling: the wrapper costs microseconds on every call.)
_run_fused_outside_graph = torch.compiler.disable(run_fused)


def _reverse_valid_steps(inputs: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """The sequences reversed in time; with ``lengths``, only each sample's valid steps."""
    if lengths is None:
        return inputs.flip(1)
    lengths = lengths.to(inputs.device)[:, None]
    steps = torch.arange(inputs.shape[1], device=inputs.device)
    index = torch.where(steps < lengths, lengths - 1 - steps, steps)
    return inputs.gather(1, index[..., None].expand_as(inputs))


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
        self.units = units
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
        self.seed = seed
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
        self.register_buffer("_zero_bias", torch.zeros(units, dtype=self._dtype), False)

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
        self.state_size = [units, units]
        # torch's kernels add a second (recurrent) bias; Keras has one, so it is zero.
        self.register_buffer("_zero_bias", torch.zeros(4 * units, dtype=self._dtype), False)

    def _bias_initializer(self) -> Any:
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, initializer = self.units, self.bias_initializer

        def forget_gate_ones(shape: tuple, dtype: Any = None) -> torch.Tensor:
            return torch.cat(
                [
                    torch.as_tensor(initializer((units,), dtype=dtype)),
                    torch.ones(units, dtype=dtype),
                    torch.as_tensor(initializer((2 * units,), dtype=dtype)),
                ]
            )

        return forget_gate_ones

    def call(self, inputs: torch.Tensor, states: Any, training: bool | None = None) -> Any:
        training = self.training if training is None else training
        hidden, carry = states
        inputs = self._input_dropout(inputs, training)
        gates = F.linear(inputs, self.kernel, self.bias)
        gates = gates + F.linear(self._state_dropout(hidden, training), self.recurrent_kernel)
        i, f, c, o = gates.chunk(4, dim=-1)
        carry = self.recurrent_activation(f) * carry + self.recurrent_activation(
            i
        ) * self.activation(c)
        hidden = self.recurrent_activation(o) * self.activation(carry)
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


class _BaseRecurrent(RNN):
    """A layer owning its cell, built from the cell's arguments; runs torch's fused kernel
    when the configuration matches it (default activations, no recurrent dropout in training,
    no mask or a right-padded one)."""

    _cell_class: type[_BaseCell] = _BaseCell

    def __init__(
        self,
        units: int,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        use_cudnn: Any = "auto",
        **kwargs: Any,
    ) -> None:
        cell_kwargs = {key: kwargs.pop(key) for key in _CELL_ARGUMENTS if key in kwargs}
        _check_cell_arguments(
            type(self).__name__,
            units,
            cell_kwargs.get("dropout", 0.0),
            cell_kwargs.get("recurrent_dropout", 0.0),
        )
        cell = self._cell_class(
            units,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name=f"{naming.to_snake_case(type(self).__name__)}_cell",
            **cell_kwargs,
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            **kwargs,
        )
        self.use_cudnn = use_cudnn

    def __getattr__(self, name: str) -> Any:
        if name in _CELL_ARGUMENTS:
            return getattr(self.cell, name)
        return super().__getattr__(name)

    def _fusable(self, training: bool) -> bool:
        cell = self.cell
        return (
            cell.activation is activations.tanh
            and getattr(cell, "recurrent_activation", None) is activations.sigmoid
            and not (training and cell.recurrent_dropout > 0.0)
        )

    def _torch_kernel(self) -> Any:
        """torch's fused kernel for this layer (``torch._VF.lstm`` and the like)."""
        raise NotImplementedError

    def _fused_weights(self) -> list[torch.Tensor]:
        """The stored weights, in the order torch's fused kernels take them (no copies)."""
        cell = self.cell
        weights = [cell.kernel, cell.recurrent_kernel]
        if cell.use_bias:
            # torch's kernels add a second (recurrent) bias; Keras has one, so it is zero.
            weights += [cell.bias, cell._zero_bias]
        return weights

    def _fused_run(
        self, sequences: torch.Tensor, states: list, training: bool, mask: torch.Tensor | None
    ) -> Any:
        """The fused kernel's results; with a right-padded mask, Keras's masked results.

        A padded batch runs whole (on the CPU, torch's kernels are twice as fast on a full
        batch as on a packed one, and the steps after a sample's last valid one cannot change
        its earlier outputs): each sample's result is then its output at its last valid step.
        Only an LSTM's carry state at that step is not among the outputs, so an LSTM that
        returns or keeps its states runs packed instead.
        """
        cell = self.cell
        if not self._fusable(training):
            return None
        lengths = None
        if mask is not None:
            fits, lengths = fused_mask_lengths(mask)
            if not fits:
                return None
        inputs = sequences
        if training and 0.0 < cell.dropout < 1.0:
            inputs = inputs * cell._input_dropout(torch.ones_like(inputs[:, 0]), True)[:, None]
        if self.go_backwards:
            inputs = _reverse_valid_steps(inputs, lengths)
        packed = lengths is not None and len(states) > 1 and (self.return_state or self.stateful)
        outputs, final = run_fused(
            self._torch_kernel(),
            inputs,
            [state[None] for state in states],
            self._fused_weights(),
            cell.use_bias,
            training,
            lengths=lengths if packed else None,
        )
        final = [state[0] for state in final]
        if lengths is None:
            return final[0], outputs, final
        if not packed:
            index = (lengths.to(outputs.device) - 1)[:, None, None].expand(-1, 1, outputs.shape[-1])
            final[0] = outputs.gather(1, index)[:, 0]
            # An LSTM's carry here is the one after the padding; nothing reads it (it neither
            # returns nor keeps its states), so it is dropped rather than returned wrong.
            final = final[:1]
        return (*self._masked_outputs(final[0], outputs, mask, lengths), final)

    def _masked_outputs(
        self, last: torch.Tensor, outputs: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Keras's last output and output sequence for a batch padded on the right.

        Forwards, a padded step repeats the last valid output (zeros with
        ``zero_output_for_mask``, which also zeroes the last output when the last step is
        padded). Backwards the padding comes first, while the state is still the initial
        one, so it outputs zeros and the valid outputs follow it.
        """
        lengths = lengths.to(outputs.device)[:, None]
        steps = torch.arange(outputs.shape[1], device=outputs.device)
        if self.go_backwards:
            padding = outputs.shape[1] - lengths
            index = (steps - padding).clamp(min=0)
            shifted = outputs.gather(1, index[..., None].expand_as(outputs))
            return last, shifted.masked_fill((steps < padding)[..., None], 0.0)
        valid = (steps < lengths)[..., None]
        if self.zero_output_for_mask:
            last = last.masked_fill(~mask[:, -1:].to(torch.bool), 0.0)
            return last, outputs.masked_fill(~valid, 0.0)
        return last, torch.where(valid, outputs, last[:, None])

    def get_config(self) -> dict[str, Any]:
        cell_config = {
            key: value
            for key, value in self.cell.get_config().items()
            if key not in ("name", "trainable", "dtype")
        }
        config = {**super().get_config(), **cell_config, "use_cudnn": self.use_cudnn}
        del config["zero_output_for_mask"]  # Keras's SimpleRNN/LSTM/GRU do not take it
        return config


class SimpleRNN(_BaseRecurrent):
    """Fully connected RNN whose output is fed back as its state; mirrors ``keras.layers.SimpleRNN``.

    Args:
        units: Size of the output.
        activation: Default ``"tanh"`` (``"tanh"`` and ``"relu"`` use torch's fused kernel).
        Other arguments as :class:`LSTM`.

    Input shape: ``(batch, timesteps, features)``. Output shape: ``(batch, timesteps, units)``
    with ``return_sequences``, else ``(batch, units)``; plus ``[(batch, units)]`` with
    ``return_state``.

    Example:
        >>> SimpleRNN(4)(torch.ones(2, 5, 3)).shape
        torch.Size([2, 4])
    """

    _cell_class = SimpleRNNCell

    def _fusable(self, training: bool) -> bool:
        cell = self.cell
        return cell.activation in (activations.tanh, activations.relu) and not (
            training and cell.recurrent_dropout > 0.0
        )

    def _torch_kernel(self) -> Any:
        return _RNN_TANH if self.cell.activation is activations.tanh else _RNN_RELU


class LSTM(_BaseRecurrent):
    """Long short-term memory layer; mirrors ``keras.layers.LSTM``.

    Runs torch's fused LSTM kernel on the stored weights (no copy) when the activations are
    the defaults, there is no recurrent dropout in training and no mask or a right-padded one
    (packed, so each sample stops at its own length); otherwise a step loop.

    Args:
        units: Size of the output and of both states.
        activation, recurrent_activation, use_bias, initializers, unit_forget_bias,
            regularizers, constraints, dropout, recurrent_dropout, seed: As :class:`LSTMCell`.
        return_sequences, return_state, go_backwards, stateful, unroll: As :class:`RNN`.
        use_cudnn: Accepted for Keras compatibility; torch picks cuDNN on CUDA by itself.

    Input shape: ``(batch, timesteps, features)``. Output shape: ``(batch, timesteps, units)``
    with ``return_sequences``, else ``(batch, units)``; plus the states ``[h, c]`` (each
    ``(batch, units)``) with ``return_state``.

    Example:
        >>> LSTM(4, return_sequences=True)(torch.ones(2, 5, 3)).shape
        torch.Size([2, 5, 4])
    """

    _cell_class = LSTMCell

    def _torch_kernel(self) -> Any:
        return _LSTM


class GRU(_BaseRecurrent):
    """Gated recurrent unit layer; mirrors ``keras.layers.GRU``.

    ``reset_after=True`` (the default) runs torch's fused GRU kernel under the same conditions
    as :class:`LSTM`; ``reset_after=False`` has no torch kernel and runs the step loop.

    Args:
        units: Size of the output and the state.
        reset_after: See :class:`GRUCell`. Other arguments as :class:`LSTM`.

    Input shape: ``(batch, timesteps, features)``. Output shape: ``(batch, timesteps, units)``
    with ``return_sequences``, else ``(batch, units)``; plus ``[(batch, units)]`` with
    ``return_state``.

    Example:
        >>> GRU(4)(torch.ones(2, 5, 3)).shape
        torch.Size([2, 4])
    """

    _cell_class = GRUCell

    def _fusable(self, training: bool) -> bool:
        return self.cell.reset_after and super()._fusable(training)

    def _torch_kernel(self) -> Any:
        return _GRU

    def _fused_weights(self) -> list[torch.Tensor]:
        cell = self.cell
        weights = [cell.kernel, cell.recurrent_kernel]
        return weights + list(cell.bias.unbind(0)) if cell.use_bias else weights
