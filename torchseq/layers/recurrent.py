"""Recurrent layers: SimpleRNN, LSTM, GRU, on torch's fused kernels when they fit.

Each layer owns its cell (``recurrent_cells.py``) and, when the configuration allows it, runs
torch's fused kernel directly on the cell's stored weights; otherwise ``RNN``'s step loop.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from torchseq import activations
from torchseq.layers.recurrent_cells import (
    _CELL_ARGUMENTS,
    GRUCell,
    LSTMCell,
    SimpleRNNCell,
    _BaseCell,
    _check_cell_arguments,
)
from torchseq.layers.rnn_base import RNN
from torchseq.utils import naming

__all__ = [
    "GRU",
    "LSTM",
    "SimpleRNN",
    "fused_mask_lengths",
    "run_fused",
    "unrolls_when_compiled",
]

# torch's fused kernels, looked up once (``torch._VF`` resolves attributes on every access).
_LSTM, _GRU, _RNN_TANH, _RNN_RELU = (
    torch._VF.lstm,
    torch._VF.gru,
    torch._VF.rnn_tanh,
    torch._VF.rnn_relu,
)


def fused_mask_lengths(mask: torch.Tensor) -> tuple[bool, torch.Tensor | None]:
    """Whether torch's fused kernels can honour ``mask``, and the lengths to pack with.

    They can when every sample's valid steps come first (right padding) and no sample is
    empty. The lengths (int64, on the CPU, as packing wants them) are ``None`` when nothing is
    padded. Finding out costs one small device-to-host copy (a synchronisation on CUDA), so
    the answer for the last mask is kept: the layers of a stack share their input's mask.
    """
    global _last_mask_summary
    last = _last_mask_summary
    if last is not None and last[0] is mask and last[1] == mask._version:
        return last[2]
    summary = _mask_summary(mask)
    _last_mask_summary = (mask, mask._version, summary)
    return summary


def _mask_summary(mask: torch.Tensor) -> tuple[bool, torch.Tensor | None]:
    mask = mask.to(torch.bool)
    lengths = mask.sum(1)
    steps = torch.arange(mask.shape[1], device=mask.device)
    fits = (mask == (steps < lengths[:, None])).all() & (lengths > 0).all()
    summary = torch.cat([lengths, fits.view(1).long()]).cpu()
    lengths = summary[:-1]
    if not summary[-1]:
        return False, None
    return True, None if bool((lengths == mask.shape[1]).all()) else lengths


_last_mask_summary: tuple[torch.Tensor, int, tuple[bool, torch.Tensor | None]] | None = None


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
    if inputs.device.type == "cpu" and torch.is_autocast_enabled("cpu"):
        # torch's CPU kernels fail under autocast (nn.LSTM too: oneDNN has no mixed-dtype
        # primitive), so they run outside it, wholly in the autocast dtype.
        dtype = torch.get_autocast_dtype("cpu")
        with torch.autocast("cpu", enabled=False):
            return run_fused(
                kernel,
                inputs.to(dtype),
                [state.to(dtype) for state in states],
                [weight.to(dtype) for weight in weights],
                has_bias,
                training,
                bidirectional,
                lengths,
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
# Up to this many timesteps a compiled step traces the cell loop instead, so the graph has
# no break (a break inside the compiled step's functional_call makes the whole step run
# slower than eager). Compiling takes about a second per unrolled step and layer, so longer
# sequences keep the fused kernel, and the step runs eagerly (see training/step.py).
_TRACED_STEPS = 16


def unrolls_when_compiled(sequences: torch.Tensor) -> bool:
    """Whether a fused RNN should run its cell loop instead: while torch.compile traces
    a sequence of at most ``_TRACED_STEPS`` steps, so the loop unrolls into the graph."""
    return torch.compiler.is_compiling() and sequences.shape[1] <= _TRACED_STEPS


def _reverse_valid_steps(inputs: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """The sequences reversed in time; with ``lengths``, only each sample's valid steps."""
    if lengths is None:
        return inputs.flip(1)
    lengths = lengths.to(inputs.device)[:, None]
    steps = torch.arange(inputs.shape[1], device=inputs.device)
    index = torch.where(steps < lengths, lengths - 1 - steps, steps)
    return inputs.gather(1, index[..., None].expand_as(inputs))


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
        if unrolls_when_compiled(sequences):
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

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["use_cudnn"]  # Keras's SimpleRNN does not take it
        return config


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
