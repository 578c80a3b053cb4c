"""``Bidirectional``: runs a recurrent layer forwards and a copy of it backwards, and merges them."""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from torchseq.layers.layer import Layer
from torchseq.layers.recurrent import GRU, LSTM, SimpleRNN, run_fused, unrolls_when_compiled
from torchseq.layers.serialization import deserialize_layer, serialize_layer

__all__ = ["Bidirectional"]

MERGE_MODES = ("concat", "sum", "mul", "ave", None)
_SHARED_ATTRIBUTES = ("stateful", "return_sequences", "return_state")
_RNN_ATTRIBUTES = ("go_backwards", *_SHARED_ATTRIBUTES)


class Bidirectional(Layer):
    """Runs a recurrent layer over the sequence in both directions; mirrors ``keras.layers.Bidirectional``.

    The forward layer is a fresh copy of ``layer`` (rebuilt from its config, so it does not
    share ``layer``'s weights), named ``forward_<name>``; the backward layer is another copy
    with ``go_backwards=True``, named ``backward_<name>``, or ``backward_layer`` when
    given. (As in Keras, the copy always has ``go_backwards=True``, so ``layer`` itself must
    run forwards unless ``backward_layer`` is given.) The backward layer's output sequence
    comes in processing order and is reversed back to the input's time order before the two
    outputs are merged. The weights are the
    forward layer's followed by the backward layer's, as in Keras.

    When both directions are ``SimpleRNN``, ``LSTM`` or ``GRU`` layers of one type and size
    that could each use torch's fused kernel (see :class:`LSTM`), and there is no mask, no
    stateful carry and no input dropout in training, both run in one bidirectional torch
    kernel (cuDNN on CUDA); otherwise each direction runs on its own (each in its own fused
    kernel when it can, e.g. with a right-padded mask). Both give Keras's
    numbers.

    Unlike Keras, ``reset_state()`` on a layer that is not stateful does nothing (Keras
    raises), so that ``model.reset_states()`` works on any model.

    Args:
        layer: The recurrent layer (``LSTM``, ``GRU``, ``SimpleRNN``, ``RNN(cell)``, or any
            layer with ``go_backwards``, ``return_sequences`` and ``return_state``
            attributes that can be rebuilt from its config).
        merge_mode: How the two outputs are combined: ``"concat"`` (default; along the last
            axis), ``"sum"``, ``"mul"``, ``"ave"``, or ``None`` for the list
            ``[forward_output, backward_output]``.
        weights: Optional initial weights (Keras layouts): the forward layer's followed by
            the backward layer's, set when the layer is built.
        backward_layer: Optional layer for the backward direction; it must have the
            opposite ``go_backwards`` and the same ``stateful``, ``return_sequences`` and
            ``return_state`` as ``layer``. Used as it is (not copied).
        **kwargs: Base layer arguments (``name``, ``trainable``, ``input_shape``, ...).

    Call arguments:
        sequences: ``(batch, timesteps, features)`` tensor.
        initial_state: Optional list of states: the forward layer's, then the backward
            layer's (e.g. ``[h_f, c_f, h_b, c_b]`` for an LSTM).
        mask: Optional ``(batch, timesteps)`` boolean mask, passed to both layers.
        training: Passed to both layers; ``None`` follows the layer's mode.

    Input shape: ``(batch, timesteps, features)``.
    Output shape: the inner layer's output shape, with the last axis doubled for
    ``"concat"`` (the sum of both directions' sizes with a custom ``backward_layer``,
    where Keras reports twice the forward size); for ``merge_mode=None`` a list of two such outputs. With
    ``return_state`` the list ``[output(s), *forward_states, *backward_states]``.

    Example:
        >>> layer = Bidirectional(LSTM(4, return_sequences=True))
        >>> layer(torch.ones(2, 5, 3)).shape
        torch.Size([2, 5, 8])
    """

    def __init__(
        self,
        layer: Layer,
        merge_mode: str | None = "concat",
        weights: list[Any] | None = None,
        backward_layer: Layer | None = None,
        **kwargs: Any,
    ) -> None:
        _check_recurrent_layer("layer", layer)
        if backward_layer is not None:
            _check_recurrent_layer("backward_layer", backward_layer)
        if merge_mode not in MERGE_MODES:
            raise ValueError(
                f"Bidirectional: merge_mode must be one of {list(MERGE_MODES)}, "
                f"received: merge_mode={merge_mode!r}"
            )
        forward_layer = _copy_layer(layer, name=_prefixed("forward_", layer.name))
        if backward_layer is None:
            backward_layer = _copy_layer(
                layer,
                name=_prefixed("backward_", layer.name),
                go_backwards=True,
            )
        _check_pair(forward_layer, backward_layer)
        no_input_shape = (
            kwargs.get("batch_input_shape") is None and kwargs.get("input_shape") is None
        )
        if no_input_shape and layer._batch_input_shape is not None:
            # Keras 2 code puts the model's input shape on the wrapped layer.
            kwargs["batch_input_shape"] = layer._batch_input_shape
        super().__init__(**kwargs)
        self.forward_layer = forward_layer
        self.backward_layer = backward_layer
        if hasattr(layer, "use_cudnn"):  # not part of Keras's config for the wrapped layer
            forward_layer.use_cudnn = backward_layer.use_cudnn = layer.use_cudnn
        for direction in (forward_layer, backward_layer):
            # Masked steps of a returned sequence are zeros in both directions, as in Keras.
            if getattr(direction, "zero_output_for_mask", None) is not None:
                direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        self.stateful = forward_layer.stateful
        self.return_sequences = forward_layer.return_sequences
        self.return_state = forward_layer.return_state
        self.supports_masking = True
        self._initial_weights = list(weights) if weights else None
        if not self.trainable:
            self.trainable = False

    def build(self, sequences_shape: tuple, initial_state_shape: Any = None) -> None:
        """Build both directions for ``(batch, timesteps, features)`` inputs."""
        for direction in (self.forward_layer, self.backward_layer):
            if not direction.built:
                direction._build_for(sequences_shape)
        self.input_spec = self.forward_layer.input_spec
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(
        self,
        sequences: torch.Tensor,
        initial_state: Any = None,
        mask: torch.Tensor | None = None,
        training: bool | None = None,
    ) -> Any:
        forward_state, backward_state = self._split_initial_state(initial_state)
        if mask is None:
            fused = self._fused_call(sequences, forward_state, backward_state, training)
            if fused is not None:
                return fused
        kwargs: dict[str, Any] = {}
        if training is not None:
            kwargs["training"] = training
        if mask is not None:
            kwargs["mask"] = mask
        forward = self._call_direction(self.forward_layer, sequences, forward_state, kwargs)
        backward = self._call_direction(self.backward_layer, sequences, backward_state, kwargs)
        states: list[torch.Tensor] = []
        if self.return_state:
            states = [*forward[1:], *backward[1:]]
            forward, backward = forward[0], backward[0]
        if self.return_sequences:
            backward = backward.flip(1)
        return self._merged(forward, backward, states)

    def compute_output_shape(self, sequences_shape: tuple, initial_state_shape: Any = None) -> Any:
        sequences_shape = tuple(sequences_shape)
        forward = self.forward_layer.compute_output_shape(sequences_shape)
        backward = self.backward_layer.compute_output_shape(sequences_shape)
        forward_states: list = []
        backward_states: list = []
        if self.return_state:
            (forward, *forward_states), (backward, *backward_states) = forward, backward
        forward, backward = tuple(forward), tuple(backward)
        if self.merge_mode is None:
            outputs = [forward, backward]
        elif self.merge_mode == "concat":
            # Keras doubles the forward size; the sum is also right for a custom backward layer.
            width = None if None in (forward[-1], backward[-1]) else forward[-1] + backward[-1]
            outputs = [(*forward[:-1], width)]
        else:
            outputs = [forward]
        if self.return_state:
            return [*outputs, *map(tuple, forward_states), *map(tuple, backward_states)]
        return outputs if self.merge_mode is None else outputs[0]

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        output_masks = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            return [*output_masks, *[None] * self._state_count()]
        return output_masks if self.merge_mode is None else output_mask

    def reset_state(self) -> None:
        """Forget the carried states of both directions (a stateful layer starts from zeros)."""
        for direction in (self.forward_layer, self.backward_layer):
            reset = getattr(direction, "reset_state", None)
            if callable(reset):
                reset()

    def reset_states(self) -> None:
        """Keras-2 spelling of :meth:`reset_state`."""
        self.reset_state()

    @property
    def layer(self) -> Layer:
        """The forward layer (Keras 2's ``Bidirectional.layer``)."""
        return self.forward_layer

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialize_layer(self.forward_layer, include_build_config=False),
            "backward_layer": serialize_layer(self.backward_layer, include_build_config=False),
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> Bidirectional:
        config = cls._arguments_from_config(copy.deepcopy(config))
        config["layer"] = deserialize_layer(config["layer"], custom_objects, owner=cls.__name__)
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize_layer(
                config["backward_layer"], custom_objects, owner=cls.__name__
            )
        return cls(**config)

    # ------------------------------------------------------------------ helpers

    def _state_count(self) -> int:
        """How many states both directions return together with ``return_state``."""
        outputs = 2 if self.merge_mode is None else 1
        return len(self.compute_output_shape((None, None, None))) - outputs

    def _split_initial_state(self, initial_state: Any) -> tuple[Any, Any]:
        """The forward half and the backward half of ``initial_state``."""
        if initial_state is None:
            return None, None
        if isinstance(initial_state, torch.Tensor) or len(initial_state) % 2:
            count = 1 if isinstance(initial_state, torch.Tensor) else len(initial_state)
            raise ValueError(
                f'Layer "{self.name}" (Bidirectional): initial_state must be a list of the '
                "forward layer's states followed by the backward layer's (an even number of "
                f"tensors), received {count} tensor(s)"
            )
        half = len(initial_state) // 2
        return list(initial_state[:half]), list(initial_state[half:])

    @staticmethod
    def _call_direction(direction: Layer, sequences: torch.Tensor, state: Any, kwargs: dict) -> Any:
        if state is not None:
            return direction(sequences, initial_state=state, **kwargs)
        return direction(sequences, **kwargs)

    def _merged(self, forward: torch.Tensor, backward: torch.Tensor, states: list) -> Any:
        """The merged output, followed by the states when the layer returns them."""
        if self.merge_mode == "concat":
            outputs = [torch.cat([forward, backward], dim=-1)]
        elif self.merge_mode == "sum":
            outputs = [forward + backward]
        elif self.merge_mode == "ave":
            outputs = [(forward + backward) * 0.5]
        elif self.merge_mode == "mul":
            outputs = [forward * backward]
        else:
            outputs = [forward, backward]
        if self.return_state:
            return [*outputs, *states]
        return outputs if self.merge_mode is None else outputs[0]

    # ------------------------------------------------------------------ fused path

    def _fused_call(
        self, sequences: torch.Tensor, forward_state: Any, backward_state: Any, training: Any
    ) -> Any:
        """Both directions in one bidirectional torch kernel, or ``None`` if it does not fit.

        torch's bidirectional kernel returns the backward outputs already in input time
        order, next to the forward ones, so ``"concat"`` sequences need no flip and no copy.
        """
        training = self.training if training is None else bool(training)
        kernel = self._fused_kernel(training)
        if kernel is None or unrolls_when_compiled(sequences):
            return None
        forward_layer, backward_layer = self.forward_layer, self.backward_layer
        forward_states = forward_layer._initial_states(sequences, forward_state)
        backward_states = backward_layer._initial_states(sequences, backward_state)
        hx = [torch.stack(pair) for pair in zip(forward_states, backward_states)]
        weights = forward_layer._fused_weights() + backward_layer._fused_weights()
        has_bias = forward_layer.cell.use_bias
        outputs, final = run_fused(kernel, sequences, hx, weights, has_bias, training, True)
        if self.return_sequences and self.merge_mode == "concat" and not self.return_state:
            return outputs
        if self.return_sequences:
            forward, backward = outputs.chunk(2, dim=-1)
        else:  # the last output of each direction is its final hidden state
            forward, backward = final[0].unbind(0)
        states = [state[0] for state in final] + [state[1] for state in final]
        return self._merged(forward, backward, states if self.return_state else [])

    def _fused_kernel(self, training: bool) -> Any:
        """torch's fused kernel for both directions, when both layers can share one."""
        forward, backward = self.forward_layer, self.backward_layer
        if (
            type(forward) is not type(backward)
            or type(forward) not in (LSTM, GRU, SimpleRNN)
            or forward.go_backwards
            or self.stateful
        ):
            return None
        for layer in (forward, backward):
            if not layer._fusable(training) or (training and layer.cell.dropout > 0.0):
                return None
        if forward.units != backward.units or forward.use_bias != backward.use_bias:
            return None
        kernel = forward._torch_kernel()
        return kernel if kernel is backward._torch_kernel() else None


def _check_recurrent_layer(argument: str, layer: Any) -> None:
    if not isinstance(layer, Layer):
        hint = (
            "; wrap a plain torch.nn.Module in TorchModule(module) first"
            if isinstance(layer, nn.Module)
            else ""
        )
        raise TypeError(
            f"Bidirectional: {argument} must be a torchseq Layer instance (an RNN such as "
            f"LSTM or GRU), received: {layer!r} of type {type(layer).__name__}{hint}"
        )
    missing = [name for name in _RNN_ATTRIBUTES if not hasattr(layer, name)]
    if missing:
        raise TypeError(
            f"Bidirectional: {argument} must be a recurrent layer with the attributes "
            f'{list(_RNN_ATTRIBUTES)}; {type(layer).__name__} "{layer.name}" lacks {missing}'
        )


def _check_pair(forward: Layer, backward: Layer) -> None:
    """The backward layer runs the other way and otherwise returns what the forward one does."""
    if forward.go_backwards == backward.go_backwards:
        raise ValueError(
            "Bidirectional: the forward and backward layers must have different go_backwards "
            f"values, received forward go_backwards={forward.go_backwards} and backward_layer "
            f"go_backwards={backward.go_backwards}"
        )
    for name in _SHARED_ATTRIBUTES:
        forward_value, backward_value = getattr(forward, name), getattr(backward, name)
        if forward_value != backward_value:
            raise ValueError(
                f"Bidirectional: the forward and backward layers must have the same {name}, "
                f"received forward {name}={forward_value} and backward_layer "
                f"{name}={backward_value}"
            )


def _copy_layer(layer: Layer, **overrides: Any) -> Layer:
    """A new, unbuilt layer from ``layer``'s config (no shared weights or state); classes
    of your own inside it (an RNN's custom cell) resolve to themselves."""
    from torchseq.saving.object_registration import CustomObjectScope

    config = {**copy.deepcopy(layer.get_config()), **overrides}
    with CustomObjectScope({type(module).__name__: type(module) for module in layer.modules()}):
        return type(layer).from_config(config)


def _prefixed(prefix: str, name: str) -> str:
    return name if name.startswith(prefix) else prefix + name
