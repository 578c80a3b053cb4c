"""Tests for torchseq.tree: parity with keras.tree on a grid of structures, then its rules."""

from __future__ import annotations

from collections import OrderedDict, defaultdict, deque, namedtuple
from typing import Any

import numpy as np
import pytest
import torch

from torchseq import tree

Point = namedtuple("Point", ["x", "y"])
OtherPoint = namedtuple("OtherPoint", ["x", "y"])
Reversed = namedtuple("Reversed", ["y", "x"])  # fields not in sorted order
Empty = namedtuple("Empty", [])

TENSOR = torch.ones(2)
ARRAY = np.zeros(3)

# Leaves, every container type, and mixes of them (None leaves, empty containers, tensors).
STRUCTURES = [
    1,
    None,
    "text",
    TENSOR,
    [],
    (),
    {},
    [1],
    (None,),
    [1, [2, (3, None)]],
    {"b": 1, "a": [2, 3]},
    OrderedDict([("b", 1), ("a", {"d": 2, "c": 3})]),
    defaultdict(list, [("b", 1), ("a", 2)]),
    deque([1, [2]], maxlen=5),
    Point(1, 2),
    Empty(),
    (Point([1], {"z": None, "y": 2}), "s", {1, 2}),
    {"x": (None, [None]), "w": {"v": []}},
    [TENSOR, ARRAY, {"t": TENSOR}],
    torch.Size([2, 3]),
    [(), [], {}, OrderedDict()],
    torch.max(torch.ones(2, 2), dim=0),
]
IDS = [f"s{i}" for i in range(len(STRUCTURES))]

SHAPE_STRUCTURES = [
    (1, 2),
    [None, 3],
    (),
    {"b": [3, None], "a": (None,)},
    ([], [[1], [2]], (4, "x", None)),
    [Point(1, 2), None, 5],
]


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def leaf_tag(*leaves: Any) -> tuple:
    return ("leaf", *leaves)


def assert_strict_equal(ours: Any, theirs: Any) -> None:
    """Equal values, equal container types all the way down, tensors by identity.

    A plain ``dict``'s key order is not compared (Keras's torch backend re-sorts it);
    an ``OrderedDict``'s is.
    """
    assert type(ours) is type(theirs), f"{ours!r} != {theirs!r}"
    if isinstance(ours, (torch.Tensor, np.ndarray)):
        assert ours is theirs
    elif isinstance(ours, dict):
        assert set(ours) == set(theirs)
        if isinstance(ours, OrderedDict):
            assert list(ours) == list(theirs)
        if isinstance(ours, defaultdict):
            assert ours.default_factory is theirs.default_factory
        for key in ours:
            assert_strict_equal(ours[key], theirs[key])
    elif isinstance(ours, (list, tuple, deque)):
        assert len(ours) == len(theirs), f"{ours!r} != {theirs!r}"
        if isinstance(ours, deque):
            assert ours.maxlen == theirs.maxlen
        for a, b in zip(ours, theirs):
            assert_strict_equal(a, b)
    else:
        assert ours == theirs


# ------------------------------------------------------------------ Keras parity


@pytest.mark.parametrize("structure", STRUCTURES, ids=IDS)
def test_flatten_and_is_nested_match_keras(keras, structure):
    assert tree.is_nested(structure) == keras.tree.is_nested(structure)
    assert_strict_equal(tree.flatten(structure), keras.tree.flatten(structure))


@pytest.mark.parametrize("structure", STRUCTURES, ids=IDS)
def test_flatten_with_path_matches_keras(keras, structure):
    assert_strict_equal(tree.flatten_with_path(structure), keras.tree.flatten_with_path(structure))


@pytest.mark.parametrize("structure", STRUCTURES, ids=IDS)
def test_map_structure_matches_keras(keras, structure):
    for none_is_leaf in (True, False):
        ours = tree.map_structure(leaf_tag, structure, none_is_leaf=none_is_leaf)
        theirs = keras.tree.map_structure(leaf_tag, structure, none_is_leaf=none_is_leaf)
        assert_strict_equal(ours, theirs)
    assert_strict_equal(
        tree.map_structure(leaf_tag, structure, structure),
        keras.tree.map_structure(leaf_tag, structure, structure),
    )


@pytest.mark.parametrize("structure", STRUCTURES, ids=IDS)
def test_pack_sequence_as_matches_keras(keras, structure):
    flat = [f"v{i}" for i in range(len(tree.flatten(structure)))]
    assert_strict_equal(
        tree.pack_sequence_as(structure, flat), keras.tree.pack_sequence_as(structure, flat)
    )


@pytest.mark.parametrize("structure", STRUCTURES, ids=IDS)
@pytest.mark.parametrize("top_down", [True, False])
def test_traverse_matches_keras_results_and_visit_order(keras, structure, top_down):
    def visitor(module, seen):
        def visit(x):
            seen.append(x)
            return None if module.is_nested(x) else leaf_tag(x)

        return visit

    ours_seen: list = []
    theirs_seen: list = []
    ours = tree.traverse(visitor(tree, ours_seen), structure, top_down=top_down)
    theirs = keras.tree.traverse(visitor(keras.tree, theirs_seen), structure, top_down=top_down)
    assert_strict_equal(ours, theirs)
    # Keras hands the callback a tuple copy of a torch.Size; we hand it the original.
    ours_seen = [tuple(x) if type(x) is torch.Size else x for x in ours_seen]
    assert_strict_equal(ours_seen, theirs_seen)


@pytest.mark.parametrize("structure", STRUCTURES, ids=IDS)
def test_lists_to_tuples_matches_keras(keras, structure):
    assert_strict_equal(tree.lists_to_tuples(structure), keras.tree.lists_to_tuples(structure))


@pytest.mark.parametrize("structure", SHAPE_STRUCTURES)
def test_map_shape_structure_matches_keras(keras, structure):
    assert_strict_equal(
        tree.map_shape_structure(leaf_tag, structure),
        keras.tree.map_shape_structure(leaf_tag, structure),
    )


@pytest.mark.parametrize(
    ("shallow", "deep"),
    [
        ([None, None], [[1, 1], [2, 2, 2]]),
        ([None, [None, None]], [[1, 1], [2, [3]]]),
        ({"b": None, "a": None}, {"a": [1], "b": (2,)}),
        (Point(0, 0), Point([1], {"k": 2})),
        (None, [1, 2]),
    ],
)
def test_map_structure_up_to_matches_keras(keras, shallow, deep):
    assert_strict_equal(
        tree.map_structure_up_to(shallow, leaf_tag, deep, deep),
        keras.tree.map_structure_up_to(shallow, leaf_tag, deep, deep),
    )


PAIRS = [
    (1, 10),
    (None, 1),
    ("text", [1]),
    ([1], (1,)),
    ([1], [1, 2]),
    ([[1]], [1]),
    ((), Empty()),
    (Point(1, 2), OtherPoint(1, 2)),
    (deque([1]), [1]),
    ({"a": 1, "b": 2}, OrderedDict([("b", 20), ("a", 10)])),
    (defaultdict(list, a=1), {"a": (1,)}),
    ({"a": 1}, {"b": 1}),
    ({"a": 1, "b": 2}, {"a": 1}),
    ([None], [[]]),
    ({"b": None, "a": None}, {"a": 10, "b": 20}),
    (Point(None, 20), [1, 2]),
]


def raises_value_error(check, a: Any, b: Any) -> bool:
    try:
        check(a, b)
    except ValueError:
        return True
    return False


@pytest.mark.parametrize("check", ["assert_same_structure", "assert_same_paths"])
@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_structure_and_path_checks_agree_with_keras(keras, check, a, b):
    ours = raises_value_error(getattr(tree, check), a, b)
    theirs = raises_value_error(getattr(keras.tree, check), a, b)
    assert ours == theirs, f"{check}({a!r}, {b!r}): ours raised={ours}, Keras raised={theirs}"


def test_public_names_match_keras(keras):
    assert set(tree.__all__) == {name for name in dir(keras.tree) if not name.startswith("_")}


# ------------------------------------------------------------------------ order


def test_dict_leaves_in_sorted_key_order_ordered_dict_in_its_own():
    assert tree.flatten({"b": 1, "a": 2, "c": 3}) == [2, 1, 3]
    assert tree.flatten(defaultdict(int, b=1, a=2)) == [2, 1]
    assert tree.flatten(OrderedDict(b=1, a=2)) == [1, 2]


def test_rebuilt_dicts_keep_their_key_order():
    # Keras's torch backend returns these re-sorted; its other backends keep the order.
    assert list(tree.pack_sequence_as({"b": 0, "a": 0}, [1, 2])) == ["b", "a"]
    assert tree.pack_sequence_as({"b": 0, "a": 0}, [1, 2]) == {"a": 1, "b": 2}
    assert list(tree.traverse(lambda x: None, {"b": 1, "a": 2})) == ["b", "a"]
    assert list(tree.lists_to_tuples({"b": [1], "a": 2})) == ["b", "a"]


def test_unsortable_keys_fall_back_to_insertion_order():
    structure = {1: "int key", "a": "str key"}
    assert tree.flatten(structure) == ["int key", "str key"]
    assert tree.pack_sequence_as(structure, [1, 2]) == {1: 1, "a": 2}


def test_mapping_several_structures_matches_values_by_key():
    result = tree.map_structure(
        lambda a, b: a + b, OrderedDict([("b", 1), ("a", 2)]), {"a": 10, "b": 20}
    )
    assert result == OrderedDict([("b", 21), ("a", 12)])
    assert type(result) is OrderedDict


# ----------------------------------------------------------------- containers


def test_namedtuple_paths_are_positions():
    # Keras's torch backend numbers fields in sorted-name order; the documented rule
    # (and its other backends) use the position.
    assert tree.flatten_with_path(Reversed(y=1, x=2)) == [((0,), 1), ((1,), 2)]


def test_namedtuples_and_torch_named_results_keep_their_type():
    assert tree.map_structure(lambda v: v * 2, Reversed(1, 2)) == Reversed(2, 4)
    result = tree.map_structure(lambda t: t + 1, torch.max(torch.zeros(2, 2), dim=0))
    assert type(result) is torch.return_types.max
    assert torch.equal(result.indices, torch.ones(2, dtype=torch.int64))


def test_none_is_a_leaf_unless_asked_otherwise():
    assert tree.flatten([None, {"a": None}]) == [None, None]
    assert tree.map_structure(lambda v: 0, [None, 1]) == [0, 0]
    assert tree.map_structure(lambda v: 0, [None, 1], none_is_leaf=False) == [None, 0]


def test_subclasses_of_containers_are_leaves():
    class Items(list):
        pass

    class Table(dict):
        pass

    items, table = Items([1, 2]), Table(a=1)
    assert not tree.is_nested(items) and not tree.is_nested(table)
    assert tree.flatten([items, table]) == [items, table]


def test_deque_keeps_maxlen_and_size_becomes_a_tuple():
    result = tree.map_structure(str, deque([1, 2], maxlen=4))
    assert result == deque(["1", "2"]) and result.maxlen == 4
    assert tree.map_structure(str, torch.Size([2, 3])) == ("2", "3")


def test_map_to_none_replaces_a_subtree_with_none():
    def drop_tuples(x):
        return tree.MAP_TO_NONE if isinstance(x, tuple) else None

    assert tree.traverse(drop_tuples, [(1, [2]), [3, (4,)]]) == [None, [3, None]]
    assert tree.traverse(drop_tuples, [(1, [2]), [3, (4,)]], top_down=False) == [None, [3, None]]


def test_top_down_replacement_skips_the_children():
    seen: list = []

    def replace_tuples(x):
        seen.append(x)
        return "X" if isinstance(x, tuple) else None

    assert tree.traverse(replace_tuples, [(1, [2]), 3]) == ["X", 3]
    assert seen == [[(1, [2]), 3], (1, [2]), 3]


def test_map_shape_structure_treats_shape_tuples_as_leaves():
    shapes = {"x": (None, 3), "y": [torch.Size([4, 5]), None]}
    result = tree.map_shape_structure(lambda s: None if s is None else tuple(s) + (1,), shapes)
    assert result == {"x": (None, 3, 1), "y": [(4, 5, 1), None]}


def test_lists_to_tuples_converts_every_level():
    assert tree.lists_to_tuples([[1], {"a": [2, (3, [4])]}]) == ((1,), {"a": (2, (3, (4,)))})


def test_map_structure_up_to_passes_deeper_parts_whole():
    out = tree.map_structure_up_to(
        ["evens", ["odds", "primes"]],
        lambda name, values: f"{name}:{len(values)}",
        ["evens", ["odds", "primes"]],
        [[2, 4, 6], [[1, 3], [2, 3, 5, 7]]],
    )
    assert out == ["evens:3", ["odds:2", "primes:4"]]


# ------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: tree.map_structure("f", [1]), TypeError, "func to be callable"),
        (lambda: tree.map_structure(str), ValueError, "at least one structure"),
        (lambda: tree.map_structure_up_to([None], str), ValueError, "at least one structure"),
        (lambda: tree.traverse(1, [1]), TypeError, "callable"),
        (lambda: tree.map_structure(max, [1], (1,)), ValueError, "expected an instance of list"),
        (lambda: tree.map_structure(max, (), deque()), ValueError, "instance of tuple"),
        (lambda: tree.map_structure(max, 1, [1]), ValueError, "expected a leaf, received: \\[1\\]"),
        (lambda: tree.map_structure(max, [1, 2], [1]), ValueError, "list arity mismatch"),
        (
            lambda: tree.map_structure(max, Point(1, 2), OtherPoint(1, 2)),
            ValueError,
            "namedtuple Point, received: OtherPoint",
        ),
        (
            lambda: tree.map_structure(max, {"a": 1}, {"b": 1}),
            ValueError,
            r"dictionary key mismatch, expected keys \['a'\], received keys \['b'\]",
        ),
        (
            lambda: tree.map_structure(max, [None], [3], none_is_leaf=False),
            ValueError,
            "expected None",
        ),
        (
            lambda: tree.map_structure(max, [3], [None], none_is_leaf=False),
            ValueError,
            "expected a leaf, received: None",
        ),
        (lambda: tree.map_structure_up_to([[None]], str, [1]), ValueError, "instance of list"),
        (lambda: tree.assert_same_structure(1, []), ValueError, "don't have the same nested"),
        (lambda: tree.assert_same_structure({}, 1), ValueError, "instance of dict"),
        (
            lambda: tree.assert_same_paths({"a": [1]}, {"a": (1, 2)}),
            ValueError,
            r"don't have the same paths: paths only in a: \[\], paths only in b: \[\('a', 1\)\]",
        ),
        (lambda: tree.pack_sequence_as([0, 0], 1), TypeError, "iterable"),
        (lambda: tree.pack_sequence_as([0, 0], [1]), ValueError, "expected: 2, received: 1"),
        (lambda: tree.pack_sequence_as(0, [1, 2]), ValueError, "expected: 1, received: 2"),
    ],
)
def test_errors_say_what_was_expected(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_check_types_is_deprecated():
    with pytest.warns(DeprecationWarning, match="check_types is deprecated"):
        tree.assert_same_structure([1], [2], check_types=True)
