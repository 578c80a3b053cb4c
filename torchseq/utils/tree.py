"""Nested structures of lists, tuples (named ones too) and dicts: flatten and map.

A namedtuple is a sequence of its fields, in order, and mapping keeps its type, as Keras 3's
``keras.tree`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch


def flatten(structure: Any) -> list[Any]:
    """Leaves of a nested list/tuple/dict structure, dicts in key-insertion order."""
    if isinstance(structure, dict):
        return [leaf for value in structure.values() for leaf in flatten(value)]
    if isinstance(structure, (list, tuple)):
        return [leaf for value in structure for leaf in flatten(value)]
    return [structure]


def map_structure(fn: Callable[[Any], Any], structure: Any) -> Any:
    """Apply ``fn`` to every leaf, keeping the containers."""
    if isinstance(structure, dict):
        return {key: map_structure(fn, value) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return sequence_like(structure, [map_structure(fn, value) for value in structure])
    return fn(structure)


def is_shape(value: Any) -> bool:
    """A tuple, list or ``torch.Size`` of ints and ``None``."""
    return isinstance(value, (tuple, list, torch.Size)) and all(
        dim is None or isinstance(dim, int) for dim in value
    )


def map_shapes(fn: Callable[[tuple], Any], shapes: Any) -> Any:
    """Apply ``fn`` to every shape tuple in a nested structure of shapes."""
    if isinstance(shapes, dict):
        return {key: map_shapes(fn, value) for key, value in shapes.items()}
    if is_shape(shapes):
        return fn(tuple(shapes))
    return sequence_like(shapes, [map_shapes(fn, value) for value in shapes])


def flatten_shapes(shapes: Any) -> list[tuple]:
    """The shape tuples of a nested structure of shapes, in order."""
    found: list[tuple] = []
    map_shapes(found.append, shapes)
    return found


def sequence_like(sequence: list | tuple, items: list[Any]) -> list | tuple:
    """A sequence of the same type as ``sequence`` holding ``items``.

    A namedtuple takes its fields as positional arguments, other sequences an iterable.
    """
    if isinstance(sequence, tuple) and hasattr(sequence, "_fields"):
        return type(sequence)(*items)
    return type(sequence)(items)
