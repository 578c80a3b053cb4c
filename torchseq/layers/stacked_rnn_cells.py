"""``StackedRNNCells``: several recurrent cells run as one cell, each feeding the next.

``RNN([cell_1, cell_2])`` wraps its list in this class, so a stack of cells runs in one pass over
time (one step loop for all cells) instead of one pass per layer.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch import nn

from torchseq.layers.layer import Layer
from torchseq.layers.serialization import deserialize_layer, serialize_layer
from torchseq.utils import tree
from torchseq.utils.integers import is_int

__all__ = ["StackedRNNCells"]


class StackedRNNCells(Layer):
    """Runs a list of recurrent cells as a single cell; mirrors ``keras.layers.StackedRNNCells``.

    At each step the first cell reads the step's input, every later cell reads the output of
    the cell before it, and the last cell's output is the stack's output. Each cell is built on
    the output size of the cell before it.

    ``state_size`` is Keras's nested list (one entry per cell, e.g. ``[[4, 4], 5]`` for an
    ``LSTMCell(4)`` under a ``GRUCell(5)``). ``call`` takes and returns the states as one flat
    list in that order (``[h_1, c_1, h_2]``), which is what :class:`RNN` carries between steps;
    ``RNN(..., return_state=True)`` regroups them per cell as Keras does.

    Args:
        cells: A list of cells: layers with a ``state_size`` (an int or a list of ints) and a
            ``call(inputs, states[, training])`` that returns ``(output, new_states)``.
        **kwargs: Base layer arguments (``name``, ``trainable``, ``dtype``).

    Input shape: ``(batch, features)`` and the flat list of states. Output: ``(batch,
    output_size)`` of the last cell, and the flat list of new states.

    Example:
        >>> cells = StackedRNNCells([LSTMCell(8), GRUCell(4)])
        >>> RNN(cells)(torch.ones(2, 5, 3)).shape
        torch.Size([2, 4])
    """

    def __init__(self, cells: Sequence[Layer], **kwargs: Any) -> None:
        _check_cells(cells)
        super().__init__(**kwargs)
        self.cells = nn.ModuleList(cells)
        counts = [len(tree.flatten(cell.state_size)) for cell in cells]
        bounds = [0, *itertools.accumulate(counts)]
        self._state_slices = [slice(start, stop) for start, stop in itertools.pairwise(bounds)]
        self._cell_takes_training = [
            "training" in inspect.signature(cell.call).parameters for cell in cells
        ]

    @property
    def state_size(self) -> list[Any]:
        """Each cell's ``state_size``, in stack order (a nested list, as in Keras)."""
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self) -> int:
        """The size of the last cell's output."""
        return _output_size_of(self.cells[-1])

    def get_initial_state(self, batch_size: int) -> list[Any]:
        """Zero states grouped per cell as Keras groups them (a tensor or a list per cell)."""
        flat = iter(
            torch.zeros(batch_size, size, dtype=self._dtype)
            for size in tree.flatten(self.state_size)
        )
        return [_group_like(cell.state_size, flat) for cell in self.cells]

    def build(self, input_shape: tuple) -> None:
        if not (isinstance(input_shape, (tuple, list)) and len(input_shape) == 2):
            raise ValueError(
                f'Layer "{self.name}" (StackedRNNCells) expects the shape of one time step, '
                f"(batch, features), received input shape {input_shape}"
            )
        batch = input_shape[0]
        for cell in self.cells:
            if isinstance(cell, Layer):
                if not cell.built:
                    cell._build_for(tuple(input_shape))
            elif hasattr(cell, "build"):
                cell.build(tuple(input_shape))
            input_shape = (batch, _output_size_of(cell))

    def call(
        self, inputs: torch.Tensor, states: Any, training: bool | None = None
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        training = self.training if training is None else bool(training)
        states = tree.flatten(states)
        new_states: list[torch.Tensor] = []
        for cell, part, takes_training in zip(
            self.cells, self._state_slices, self._cell_takes_training
        ):
            if takes_training:
                inputs, cell_states = cell.call(inputs, states[part], training=training)
            else:
                inputs, cell_states = cell.call(inputs, states[part])
            if isinstance(cell_states, (list, tuple)):
                new_states.extend(cell_states)
            else:
                new_states.append(cell_states)
        return inputs, new_states

    def _reset_dropout_masks(self) -> None:
        for cell in self.cells:
            reset = getattr(cell, "_reset_dropout_masks", None)
            if reset is not None:
                reset()

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "cells": [serialize_layer(cell, include_build_config=False) for cell in self.cells],
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> StackedRNNCells:
        arguments = cls._arguments_from_config(config)
        cells = [deserialize_layer(cell, owner=cls.__name__) for cell in arguments.pop("cells")]
        return cls(cells, **arguments)


def nest_states(state_size: Any, flat: Sequence[Any]) -> list[Any]:
    """Group a flat list of states as a cell's ``state_size`` nests them (Keras's structure).

    An int in ``state_size`` takes one state; a list takes a list. ``[[4, 4], 5]`` groups
    ``[h, c, g]`` as ``[[h, c], g]``; a plain ``[4, 4]`` leaves ``[h, c]`` as it is.
    """
    sizes = state_size if isinstance(state_size, (list, tuple)) else [state_size]
    leaves = iter(flat)
    return [_group_like(size, leaves) for size in sizes]


def _group_like(state_size: Any, leaves: Iterator[Any]) -> Any:
    if isinstance(state_size, (list, tuple)):
        return [_group_like(size, leaves) for size in state_size]
    return next(leaves)


def _output_size_of(cell: Any) -> int:
    """A cell's ``output_size``, else its first state's size (Keras's rule)."""
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    return tree.flatten(cell.state_size)[0]


def _check_cells(cells: Any) -> None:
    if not isinstance(cells, (list, tuple)):
        raise TypeError(
            "StackedRNNCells: cells must be a list of RNN cells, received: "
            f"cells={cells!r} of type {type(cells).__name__}"
        )
    if not cells:
        raise ValueError("StackedRNNCells: cells must hold at least one cell, received: cells=[]")
    for index, cell in enumerate(cells):
        if not isinstance(cell, nn.Module) or not callable(getattr(cell, "call", None)):
            raise TypeError(
                "StackedRNNCells: every cell must be a layer with a `call(inputs, states)` "
                f"method and a `state_size` attribute, received: cells[{index}]={cell!r} of "
                f"type {type(cell).__name__}"
            )
        state_size = getattr(cell, "state_size", None)
        if not all(is_int(size) for size in tree.flatten(state_size)):
            raise TypeError(
                "StackedRNNCells: every cell must have a `state_size` (an int or a list of "
                f"ints), received: cells[{index}]={cell!r} with state_size={state_size!r}"
            )
