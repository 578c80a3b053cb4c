"""Nested structures: flatten, map and rebuild them (``keras.tree``).

A structure is a leaf or a container of structures. The containers are exactly the
ones Keras 3 recognises: ``list``, ``tuple``, ``collections.deque``, namedtuples (and
torch's named return tuples such as ``torch.return_types.max``), ``torch.Size``, and the
mappings ``dict``, ``collections.OrderedDict`` and ``collections.defaultdict``.
Everything else is a leaf: ``None``, strings, sets, tensors, arrays, and subclasses of
``list`` or ``dict``.

Order: a ``dict`` or ``defaultdict`` is visited in sorted key order (insertion order
when the keys cannot be sorted), an ``OrderedDict`` in its own order. Functions that
rebuild a structure keep each mapping's key order and type.

Matching (``map_structure`` with several structures, ``assert_same_structure``):
``list``, ``tuple``, ``deque`` and each namedtuple type are all different; the three
mapping types are interchangeable when their keys are equal.

Example:
    >>> flatten({"b": [1, 2], "a": (3, None)})
    [3, None, 1, 2]
    >>> map_structure(lambda x: x * 10, {"b": [1, 2], "a": 3})
    {'b': [10, 20], 'a': 30}
"""

from __future__ import annotations

import warnings
from collections import OrderedDict, defaultdict, deque
from collections.abc import Callable, Iterator
from typing import Any

import torch

from torchseq.utils.tree import is_shape, sequence_like

__all__ = [
    "MAP_TO_NONE",
    "assert_same_paths",
    "assert_same_structure",
    "flatten",
    "flatten_with_path",
    "is_nested",
    "lists_to_tuples",
    "map_shape_structure",
    "map_structure",
    "map_structure_up_to",
    "pack_sequence_as",
    "traverse",
]

_MAPPINGS = (dict, OrderedDict, defaultdict)
_SEQUENCES = (list, tuple, deque, torch.Size)


class MAP_TO_NONE:
    """Return this class from a :func:`traverse` callback to put ``None`` in the result."""


def is_nested(structure: Any) -> bool:
    """Whether ``structure`` is a container (see the module docstring), not a leaf.

    Example:
        >>> is_nested([1]), is_nested(None), is_nested("ab")
        (True, False, False)
    """
    kind = type(structure)
    return kind in _MAPPINGS or kind in _SEQUENCES or _is_named_tuple(structure)


def flatten(structure: Any) -> list[Any]:
    """The leaves of ``structure``, in order; a leaf gives ``[leaf]``.

    Example:
        >>> flatten([[1, 2], {"y": 3, "x": None}])
        [1, 2, None, 3]
    """
    return list(_leaves(structure))


def flatten_with_path(structure: Any) -> list[tuple[tuple, Any]]:
    """``(path, leaf)`` pairs in :func:`flatten` order.

    A path is the tuple of indices (sequences, namedtuples included) and keys
    (mappings) leading from ``structure`` to the leaf; a leaf alone has path ``()``.

    Example:
        >>> flatten_with_path([{"foo": 42}, 7])
        [((0, 'foo'), 42), ((1,), 7)]
    """
    return list(_leaves_with_paths(structure, ()))


def map_structure(func: Callable[..., Any], *structures: Any, none_is_leaf: bool = True) -> Any:
    """Apply ``func`` to the leaves of one or more structures of the same layout.

    Args:
        func: Called with one leaf from each structure.
        *structures: One or more structures matching as :func:`assert_same_structure`
            requires. The result takes the first one's containers and key order.
        none_is_leaf: ``True`` (default) passes ``None`` leaves to ``func``. ``False``
            treats ``None`` as an empty container: it stays ``None`` in the result, and
            the other structures must hold ``None`` at the same place.

    Returns:
        A structure like the first one, holding ``func``'s results.

    Raises:
        TypeError: ``func`` is not callable.
        ValueError: no structure given, or the structures do not match.

    Example:
        >>> map_structure(lambda x, y: x + y, [1, (2, 3)], [10, (20, 30)])
        [11, (22, 33)]
    """
    _check_callable("map_structure", func)
    if not structures:
        raise ValueError("map_structure expects at least one structure, received none")
    return _map(func, structures, none_is_leaf)


def map_structure_up_to(shallow_structure: Any, func: Callable[..., Any], *structures: Any) -> Any:
    """Apply ``func`` to the sub-structures found at the leaves of ``shallow_structure``.

    The structures must match ``shallow_structure`` down to its leaves and may nest
    deeper below them; ``func`` receives those deeper parts whole.

    Args:
        shallow_structure: The layout to map over (its leaves' values are not used).
        func: Called with one sub-structure from each of ``structures``.
        *structures: One or more structures at least as deep as ``shallow_structure``.

    Returns:
        A structure with ``shallow_structure``'s containers holding ``func``'s results.

    Example:
        >>> map_structure_up_to([None, [None, None]], str, [[1, 1], [2, [3]]])
        ['[1, 1]', ['2', '[3]']]
    """
    _check_callable("map_structure_up_to", func)
    if not structures:
        raise ValueError("map_structure_up_to expects at least one structure, received none")
    return _map_up_to(shallow_structure, func, structures)


def traverse(func: Callable[[Any], Any], structure: Any, top_down: bool = True) -> Any:
    """Visit every sub-structure depth-first and optionally replace it.

    Top-down (default), ``func`` sees a container before its children: returning
    ``None`` continues into the children, anything else replaces the container (its
    children are not visited). Bottom-up, ``func`` sees each container after its
    children were traversed and rebuilt: ``None`` keeps it, anything else replaces it.
    Return :class:`MAP_TO_NONE` to put ``None`` in the result.

    Args:
        func: Called with each sub-structure, leaves included.
        structure: The structure to traverse.
        top_down: Visit parents before children. Defaults to ``True``.

    Example:
        >>> traverse(lambda x: "X" if isinstance(x, tuple) else None, [(1, 2), [3]])
        ['X', [3]]
    """
    _check_callable("traverse", func)
    return _traverse(func, structure, top_down)


def assert_same_structure(a: Any, b: Any, check_types: bool | None = None) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` nest the same way.

    Containers must be of the same type (``list``, ``tuple``, ``deque`` and each
    namedtuple type all differ; ``dict``, ``OrderedDict`` and ``defaultdict`` match each
    other when their keys are equal) and the same length; leaves may differ freely.

    Args:
        a: A structure.
        b: A structure.
        check_types: Deprecated in Keras and ignored; passing it warns.

    Example:
        >>> assert_same_structure([(0, 1)], [(2, 3)])
    """
    if check_types is not None:
        warnings.warn(
            "assert_same_structure: check_types is deprecated and has no effect; "
            "use assert_same_paths for a check that ignores container types",
            DeprecationWarning,
            stacklevel=2,
        )
    _check_same(a, b)


def assert_same_paths(a: Any, b: Any) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same leaf paths.

    Looser than :func:`assert_same_structure`: only the paths of
    :func:`flatten_with_path` count, so a list and a tuple of the same length match.

    Example:
        >>> assert_same_paths([0, 1], (2, 3))
    """
    a_paths = {path for path, _ in _leaves_with_paths(a, ())}
    b_paths = {path for path, _ in _leaves_with_paths(b, ())}
    if a_paths != b_paths:
        raise ValueError(
            "The structures don't have the same paths: paths only in a: "
            f"{sorted(a_paths - b_paths, key=repr)}, paths only in b: "
            f"{sorted(b_paths - a_paths, key=repr)}"
        )


def pack_sequence_as(structure: Any, flat_sequence: Any) -> Any:
    """Rebuild ``structure`` with its leaves taken, in :func:`flatten` order, from ``flat_sequence``.

    Args:
        structure: The structure to copy; its leaves' values are not used.
        flat_sequence: An iterable with exactly as many items as ``structure`` has leaves.

    Example:
        >>> pack_sequence_as({"b": 0, "a": (0, 0)}, [1, 2, 3])
        {'b': 3, 'a': (1, 2)}
    """
    try:
        items = list(flat_sequence)
    except TypeError as e:
        raise TypeError(
            "pack_sequence_as expects flat_sequence to be an iterable, received: "
            f"{flat_sequence!r} of type {type(flat_sequence).__name__}"
        ) from e
    expected = sum(1 for _ in _leaves(structure))
    if len(items) != expected:
        raise ValueError(
            "pack_sequence_as: wrong number of leaves for the structure, "
            f"expected: {expected}, received: {len(items)}"
        )
    return _pack(structure, iter(items))


def lists_to_tuples(structure: Any) -> Any:
    """The structure with every list turned into a tuple.

    Example:
        >>> lists_to_tuples({"a": [1, [2]]})
        {'a': (1, (2,))}
    """
    return _traverse(_list_to_tuple, structure, top_down=False)


def map_shape_structure(func: Callable[[Any], Any], structure: Any) -> Any:
    """Like :func:`map_structure`, but a list or tuple of ints and ``None`` is one leaf.

    Example:
        >>> map_shape_structure(lambda s: (None, *s), {"x": (3,), "y": [(4, 5)]})
        {'x': (None, 3), 'y': [(None, 4, 5)]}
    """
    _check_callable("map_shape_structure", func)
    return _map_shapes(func, structure)


# --------------------------------------------------------------------- containers


def _is_named_tuple(structure: Any) -> bool:
    """A namedtuple or a struct sequence (``torch.return_types.max``, ``os.stat_result``)."""
    kind = type(structure)
    return (
        isinstance(structure, tuple)
        and kind is not tuple
        and (hasattr(kind, "_fields") or hasattr(kind, "n_sequence_fields"))
    )


def _keys(node: Any) -> list[Any]:
    """The child keys of a container, in visiting order."""
    if type(node) in _MAPPINGS:
        if type(node) is OrderedDict:
            return list(node)
        try:
            return sorted(node)
        except TypeError:  # keys of mixed types: keep insertion order
            return list(node)
    return list(range(len(node)))


def _children(node: Any) -> list[Any]:
    return [node[key] for key in _keys(node)] if type(node) in _MAPPINGS else list(node)


def _rebuild(node: Any, keys: list[Any], values: list[Any]) -> Any:
    """A container of ``node``'s type (and key order) holding ``values`` at ``keys``."""
    if type(node) in _MAPPINGS:
        by_key = dict(zip(keys, values))
        pairs = [(key, by_key[key]) for key in node]
        if type(node) is defaultdict:
            return defaultdict(node.default_factory, pairs)
        return type(node)(pairs)
    if type(node) is deque:
        return deque(values, maxlen=node.maxlen)
    if type(node) is torch.Size:
        return tuple(values)
    if hasattr(type(node), "n_sequence_fields"):
        return type(node)(values)
    return sequence_like(node, values)


def _leaves(structure: Any) -> Iterator[Any]:
    if not is_nested(structure):
        yield structure
        return
    for child in _children(structure):
        yield from _leaves(child)


def _leaves_with_paths(structure: Any, path: tuple) -> Iterator[tuple[tuple, Any]]:
    if not is_nested(structure):
        yield path, structure
        return
    for key in _keys(structure):
        yield from _leaves_with_paths(structure[key], (*path, key))


# ------------------------------------------------------------------------ matching


def _describe(node: Any) -> str:
    if _is_named_tuple(node):
        return f"namedtuple {type(node).__name__}"
    if type(node) in _MAPPINGS:
        return f"{type(node).__name__} (dict, OrderedDict and defaultdict match each other)"
    return type(node).__name__


def _check_node(expected: Any, received: Any) -> None:
    """Raise unless ``received`` is a container that can stand where ``expected`` is."""
    mapping = type(expected) in _MAPPINGS
    same_kind = type(received) in _MAPPINGS if mapping else type(received) is type(expected)
    if not same_kind:
        raise ValueError(
            "The structures don't have the same nested structure: expected an instance of "
            f"{_describe(expected)}, received: {received!r}"
        )
    if mapping and set(expected) != set(received):
        raise ValueError(
            "The structures don't have the same nested structure: dictionary key mismatch, "
            f"expected keys {_keys(expected)}, received keys {_keys(received)}"
        )
    if len(expected) != len(received):
        raise ValueError(
            f"The structures don't have the same nested structure: {_describe(expected)} "
            f"arity mismatch, expected {len(expected)} items, received {len(received)}: "
            f"{received!r}"
        )


def _check_leaf(received: Any) -> None:
    if is_nested(received):
        raise ValueError(
            "The structures don't have the same nested structure: expected a leaf, "
            f"received: {received!r}"
        )


def _check_same(a: Any, b: Any) -> None:
    if not is_nested(a):
        _check_leaf(b)
        return
    _check_node(a, b)
    for key in _keys(a):
        _check_same(a[key], b[key])


# ------------------------------------------------------------------------- mapping


def _map(func: Callable[..., Any], structures: tuple[Any, ...], none_is_leaf: bool) -> Any:
    first, others = structures[0], structures[1:]
    if first is None and not none_is_leaf:
        for other in others:
            if other is not None:
                raise ValueError(
                    "The structures don't have the same nested structure: expected None "
                    f"(none_is_leaf=False makes it an empty container), received: {other!r}"
                )
        return None
    if not is_nested(first):
        for other in others:
            if other is None and not none_is_leaf:
                raise ValueError(
                    "The structures don't have the same nested structure: expected a leaf, "
                    "received: None (an empty container under none_is_leaf=False)"
                )
            _check_leaf(other)
        return func(*structures)
    for other in others:
        _check_node(first, other)
    keys = _keys(first)
    values = [_map(func, tuple(s[key] for s in structures), none_is_leaf) for key in keys]
    return _rebuild(first, keys, values)


def _map_up_to(shallow: Any, func: Callable[..., Any], structures: tuple[Any, ...]) -> Any:
    if not is_nested(shallow):
        return func(*structures)
    for structure in structures:
        _check_node(shallow, structure)
    keys = _keys(shallow)
    values = [_map_up_to(shallow[key], func, tuple(s[key] for s in structures)) for key in keys]
    return _rebuild(shallow, keys, values)


def _map_shapes(func: Callable[[Any], Any], structure: Any) -> Any:
    if is_shape(structure) or not is_nested(structure):
        return func(structure)
    keys = _keys(structure)
    return _rebuild(structure, keys, [_map_shapes(func, structure[key]) for key in keys])


def _traverse(func: Callable[[Any], Any], structure: Any, top_down: bool) -> Any:
    if top_down:
        result = func(structure)
        if result is None:
            result = _traverse_children(func, structure, top_down)
    else:
        rebuilt = _traverse_children(func, structure, top_down)
        result = func(rebuilt)
        if result is None:
            result = rebuilt
    return None if result is MAP_TO_NONE else result


def _traverse_children(func: Callable[[Any], Any], structure: Any, top_down: bool) -> Any:
    if not is_nested(structure):
        return structure
    keys = _keys(structure)
    values = [_traverse(func, structure[key], top_down) for key in keys]
    return _rebuild(structure, keys, values)


def _pack(structure: Any, items: Iterator[Any]) -> Any:
    if not is_nested(structure):
        return next(items)
    keys = _keys(structure)
    return _rebuild(structure, keys, [_pack(structure[key], items) for key in keys])


def _list_to_tuple(structure: Any) -> tuple | None:
    return tuple(structure) if isinstance(structure, list) else None


def _check_callable(fn: str, func: Any) -> None:
    if not callable(func):
        raise TypeError(
            f"{fn} expects func to be callable, received: {func!r} of type {type(func).__name__}"
        )
