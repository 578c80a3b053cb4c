"""``RNN``: runs a recurrent cell over the time axis; the base of SimpleRNN, LSTM and GRU.

Subclasses with a fused torch kernel override ``_fused_run``; everything else (custom cells,
masks that are not right-padded, recurrent dropout, custom activations) goes through a Python
step loop over time.
"""

from __future__ import annotations

import inspect
from typing import Any

import torch

from torchseq.layers.layer import InputSpec, Layer
from torchseq.layers.stacked_rnn_cells import StackedRNNCells, nest_states
from torchseq.utils import tree

__all__ = ["RNN"]


class RNN(Layer):
    """Runs ``cell`` over the time axis of ``(batch, timesteps, features)`` inputs.

    Mirrors ``keras.layers.RNN``. The cell is a layer with a ``state_size`` (an int or a list
    of ints) whose ``call(inputs, states, training=None)`` returns ``(output, new_states)``.

    Args:
        cell: The recurrent cell.
        return_sequences: Return the output of every step (default ``False``: the last one).
        return_state: Also return the final states, as ``[output, *states]``.
        go_backwards: Process the sequence backwards; sequence outputs are in processing order.
        stateful: Carry the final states of a batch into the next batch (needs a fixed batch
            size from ``batch_size=``, ``batch_input_shape=`` or ``Input(batch_size=)``).
        unroll: Accepted for Keras compatibility; the loop is never symbolically unrolled.
        zero_output_for_mask: Output zeros (instead of the previous output) at masked steps.

    Input shape: ``(batch, timesteps, features)``. Output shape: ``(batch, timesteps, units)``
    with ``return_sequences``, else ``(batch, units)``; with ``return_state`` a list
    ``[output, state_1, ...]`` where each state is ``(batch, state_size)``.

    Example:
        >>> layer = RNN(LSTMCell(4), return_sequences=True)
        >>> layer(torch.ones(2, 5, 3)).shape
        torch.Size([2, 5, 4])
    """

    def __init__(
        self,
        cell: Layer,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        _input_shape_from_keras2_arguments(kwargs)
        if not hasattr(cell, "state_size") or not callable(getattr(cell, "call", None)):
            raise TypeError(
                f"{type(self).__name__}: cell must be a layer with a `state_size` attribute "
                f"and a `call(inputs, states)` method, received: cell={cell!r}"
            )
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self._states: list[torch.Tensor] | None = None
        self._zero_state_shapes: list[tuple[int, ...]] | None = None
        self._batch_size: int | None = None
        self._cell_takes_training = "training" in inspect.signature(cell.call).parameters

    @property
    def cell(self) -> Layer:
        """The recurrent cell (read without ``nn.Module.__getattr__``: it is on the hot path)."""
        return self._modules["cell"]

    @property
    def state_sizes(self) -> list[int]:
        """The size of each state, as a flat list (a stack of cells lists all its cells')."""
        return tree.flatten(self.cell.state_size)

    @property
    def output_size(self) -> int:
        return getattr(self.cell, "output_size", None) or self.state_sizes[0]

    def _state_shapes(self, batch: int | None) -> list[tuple]:
        """The shape of each state for ``batch`` samples: ``(batch, size)`` (ConvLSTM's states
        are feature maps, so it overrides this)."""
        return [(batch, size) for size in self.state_sizes]

    def build(self, input_shape: tuple) -> None:
        if len(input_shape) != 3:
            raise ValueError(
                f'Layer "{self.name}" expects inputs of shape (batch, timesteps, features), '
                f"received input shape {input_shape}"
            )
        self._fix_stateful_batch_size(input_shape)
        step_shape = (input_shape[0], input_shape[-1])
        if isinstance(self.cell, Layer):
            if not self.cell.built:
                self.cell._build_for(step_shape)
        elif hasattr(self.cell, "build"):
            self.cell.build(step_shape)
        self.input_spec = InputSpec(ndim=3, axes={-1: input_shape[-1]})

    def _fix_stateful_batch_size(self, input_shape: tuple) -> None:
        """A stateful layer's batch size, from the input shape or ``batch_input_shape``."""
        if not self.stateful:
            return
        batch = input_shape[0]
        if batch is None and self._batch_input_shape is not None:
            batch = self._batch_input_shape[0]
        if batch is None:
            raise ValueError(
                f'Layer "{self.name}" is stateful, so it needs a fixed batch size: pass '
                "batch_size= (with input_shape=), batch_input_shape=, or "
                "Input(batch_size=...); received input shape with an unknown batch size "
                f"{input_shape}"
            )
        self._batch_size = int(batch)

    def call(
        self,
        sequences: torch.Tensor,
        initial_state: Any = None,
        mask: torch.Tensor | None = None,
        training: bool | None = None,
    ) -> Any:
        training = self.training if training is None else bool(training)
        states = self._initial_states(sequences, initial_state)
        reset_masks = getattr(self.cell, "_reset_dropout_masks", None)
        if reset_masks is not None:
            reset_masks()
        result = self._fused_run(sequences, states, training, mask)
        if result is None:
            result = self._step_loop(sequences, states, mask, training)
        last, outputs, states = result
        if self.stateful:
            self._states = [state.detach() for state in states]
        output = outputs if self.return_sequences else last
        if self.return_state:
            return [output, *nest_states(self.cell.state_size, states)]
        return output

    def _fused_run(
        self, sequences: torch.Tensor, states: list, training: bool, mask: torch.Tensor | None
    ) -> Any:
        """``(last_output, outputs, states)`` from one fused kernel, or ``None`` if none fits."""
        return None

    def _step_loop(
        self,
        sequences: torch.Tensor,
        states: list,
        mask: torch.Tensor | None,
        training: bool,
        step: Any = None,
    ) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
        """Runs ``step`` (default ``cell.call``) over time; ``step`` may take inputs that a
        subclass prepared for every step at once (ConvLSTM's input convolutions)."""
        step = self.cell.call if step is None else step
        steps = sequences.unbind(1)
        step_masks = None
        if mask is not None:  # (batch, 1, ...): broadcast over each output's feature axes
            trailing = (1,) * (sequences.ndim - 2)
            step_masks = mask.to(torch.bool).reshape(*mask.shape, *trailing).unbind(1)
        order = range(len(steps) - 1, -1, -1) if self.go_backwards else range(len(steps))
        kwargs = {"training": training} if self._cell_takes_training else {}
        outputs: list[torch.Tensor] = []
        previous = None
        for time in order:
            output, new_states = step(steps[time], states, **kwargs)
            new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
            if step_masks is not None:
                keep = step_masks[time]
                if previous is None or self.zero_output_for_mask:
                    previous = torch.zeros_like(output)
                output = torch.where(keep, output, previous)
                new_states = [torch.where(keep, new, old) for new, old in zip(new_states, states)]
            outputs.append(output)
            states, previous = new_states, output
        return outputs[-1], torch.stack(outputs, dim=1), states

    def _initial_states(self, sequences: torch.Tensor, initial_state: Any) -> list[torch.Tensor]:
        batch = sequences.shape[0]
        if self.stateful and batch != self._batch_size:
            raise ValueError(
                f'Layer "{self.name}" is stateful with a fixed batch size of {self._batch_size}, '
                f"received a batch of {batch} samples"
            )
        if initial_state is not None:
            return self._checked_initial_states(initial_state, batch)
        if self.stateful and self._states is not None:
            return self._states
        if self._zero_state_shapes is None:  # the cell's sizes are fixed once it has run
            self._zero_state_shapes = [shape[1:] for shape in self._state_shapes(None)]
        device = sequences.device.type
        # Under a mixed policy the states start in the compute dtype, as Keras's do.
        dtype = (
            torch.get_autocast_dtype(device)
            if torch.is_autocast_enabled(device) and sequences.is_floating_point()
            else sequences.dtype
        )
        return [
            sequences.new_zeros(batch, *shape, dtype=dtype) for shape in self._zero_state_shapes
        ]

    def _checked_initial_states(self, initial_state: Any, batch: int) -> list[torch.Tensor]:
        # Keras's nesting per cell ([[h_1, c_1], h_2]) or the flat list ([h_1, c_1, h_2]).
        states = tree.flatten(initial_state)
        if len(states) != len(self.state_sizes):
            raise ValueError(
                f'Layer "{self.name}" expects {len(self.state_sizes)} initial state(s), '
                f"received {len(states)}"
            )
        for state, shape in zip(states, self._state_shapes(batch)):
            if tuple(state.shape) != shape:
                raise ValueError(
                    f'Layer "{self.name}": expected an initial state of shape {shape}, '
                    f"received shape {tuple(state.shape)}"
                )
        return states

    @property
    def states(self) -> list[torch.Tensor] | None:
        """The carried states of a stateful layer, one ``(batch, size)`` tensor per state.

        ``None`` for a layer that is not stateful or not built yet, as in Keras. Before the
        first batch (and after a reset) they are zeros; changing them in place, or
        assigning a list, sets where the next batch starts.
        """
        if not self.stateful or self._batch_size is None:
            return None
        if self._states is None:
            reference = next(iter(self.cell.parameters()), None)
            options = {} if reference is None else {"device": reference.device, "dtype": reference.dtype}
            shapes = self._state_shapes(self._batch_size)
            self._states = [torch.zeros(shape, **options) for shape in shapes]
        return self._states

    @states.setter
    def states(self, value: list[torch.Tensor] | None) -> None:
        self._states = None if value is None else list(value)

    def reset_state(self, states: Any = None) -> None:
        """Reset the carried states of a stateful layer: to zeros, or to ``states``.

        Args:
            states: Optional values, one array per state (a single array for one state),
                each of shape ``(batch_size, state_size)``.

        Raises:
            ValueError: The layer is not stateful or not built, or ``states`` does not fit.
        """
        if states is None:
            self._states = None
            return
        if not self.stateful:
            raise ValueError(
                f'Layer "{self.name}" is not stateful, so it has no states to set; create it '
                "with stateful=True"
            )
        if self._batch_size is None:
            raise ValueError(
                f'Layer "{self.name}" is not built yet, so its batch size is unknown; call it '
                "on data (or build the model) before setting its states"
            )
        values = tree.flatten(states) if isinstance(states, (list, tuple)) else [states]
        if len(values) != len(self.state_sizes):
            raise ValueError(
                f'Layer "{self.name}" expects {len(self.state_sizes)} state value(s), '
                f"received {len(values)}"
            )
        current = self.states
        new_states = []
        for index, (value, old) in enumerate(zip(values, current)):
            value = torch.as_tensor(value, dtype=old.dtype, device=old.device)
            if tuple(value.shape) != tuple(old.shape):
                raise ValueError(
                    f'State {index} of layer "{self.name}": expected shape {tuple(old.shape)}, '
                    f"received shape {tuple(value.shape)}"
                )
            new_states.append(value.clone())
        self._states = new_states

    def reset_states(self, states: Any = None) -> None:
        """Keras-2 spelling of :meth:`reset_state`."""
        self.reset_state(states)

    def compute_output_shape(self, input_shape: tuple) -> Any:
        batch, timesteps = input_shape[0], input_shape[1]
        if self.return_sequences:
            output_shape = (batch, timesteps, self.output_size)
        else:
            output_shape = (batch, self.output_size)
        if self.return_state:
            state_shapes = self._state_shapes(batch)
            return [output_shape, *nest_states(self.cell.state_size, state_shapes)]
        return output_shape

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            no_masks = [None for _ in self.state_sizes]
            return [output_mask, *nest_states(self.cell.state_size, no_masks)]
        return output_mask

    def get_config(self) -> dict[str, Any]:
        config = {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }
        if type(self) is RNN:
            from torchseq.layers.serialization import serialize_layer

            config["cell"] = serialize_layer(self.cell, include_build_config=False)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> RNN:
        if cls is RNN:
            from torchseq.layers.serialization import deserialize_layer

            config = {**config, "cell": deserialize_layer(config["cell"], owner=cls.__name__)}
        return cls(**cls._arguments_from_config(config))


def _input_shape_from_keras2_arguments(kwargs: dict[str, Any]) -> None:
    """Keras 2's ``input_length=`` (timesteps) and ``input_dim=`` (features) of a recurrent
    layer, as ``input_shape=(input_length, input_dim)``; either may be left out."""
    input_length = kwargs.pop("input_length", None)
    if any(kwargs.get(key) is not None for key in ("input_shape", "batch_input_shape")):
        return
    input_dim = kwargs.pop("input_dim", None)
    if input_length is not None or input_dim is not None:
        kwargs["input_shape"] = (input_length, input_dim)
