"""The rest of keras.ops' numpy family in torchseq.ops (creation, joining and splitting,
rearranging, padding, diagonals, searching and windows) against keras.ops on the same inputs."""

from __future__ import annotations

import numpy as np
import pytest

import torchseq
from tests.test_ops import _as_numpy, _assert_same_values
from torchseq import ops
from torchseq.layers.symbolic import KerasTensor

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(2)
A = RNG.normal(size=(3, 4)).astype("float32")
B = RNG.normal(size=(3, 4)).astype("float32")
C = RNG.normal(size=(2, 3, 4)).astype("float32")
V = RNG.normal(size=(4,)).astype("float32")
SQUARE = RNG.normal(size=(4, 4)).astype("float32")
INTS = np.array([[3, 1, 3], [0, 2, 1], [3, 1, 3]], dtype="int64")
SORTED = np.array([-1.0, 0.0, 0.5, 2.0], dtype="float32")

# (name, args, kwargs): run through keras.ops.<name> and torchseq.ops.<name>.
KERAS_CASES = [
    ("array", ([[1, 2], [3, 4]],), {}),
    ("array", (A,), {"dtype": "float16"}),
    ("copy", (A,), {}),
    ("geomspace", (1.0, 1000.0, 4), {}),
    ("geomspace", (2.0, 32.0, 5), {"endpoint": False}),
    ("geomspace", (-1.0, -100.0, 3), {}),
    ("logspace", (0.0, 3.0, 4), {}),
    ("logspace", (0.0, 2.0, 5), {"base": 2, "endpoint": False}),
    ("meshgrid", (V, V[:3]), {}),
    ("meshgrid", (V, V[:3]), {"indexing": "ij"}),
    ("vander", (V,), {}),
    ("vander", (V,), {"N": 3, "increasing": True}),
    ("tri", (3,), {}),
    ("tri", (3, 5), {"k": 1}),
    ("tri", (4, 2), {"k": -1, "dtype": "int32"}),
    ("append", (A, B), {}),
    ("append", (A, B), {"axis": 0}),
    ("hstack", ([A, B],), {}),
    ("vstack", ([A, V],), {}),
    ("dstack", ([A, B],), {}),
    ("array_split", (V, 3), {}),
    ("array_split", (C, 2), {"axis": 2}),
    ("hsplit", (A, 2), {}),
    ("vsplit", (np.ones((4, 2), "float32"), 2), {}),
    ("dsplit", (C, 2), {}),
    ("roll", (A, 1), {}),
    ("roll", (A, -2), {"axis": 1}),
    ("roll", (C, (1, 2)), {"axis": (0, 2)}),
    ("rot90", (A,), {}),
    ("rot90", (C,), {"k": 2, "axes": (1, 2)}),
    ("rot90", (A,), {"k": -1}),
    ("fliplr", (A,), {}),
    ("flipud", (A,), {}),
    ("ravel", (C,), {}),
    ("diff", (A,), {}),
    ("diff", (A,), {"n": 2, "axis": 0}),
    ("trapezoid", (A,), {}),
    ("trapezoid", (A,), {"dx": 0.5, "axis": 0}),
    ("trapezoid", (A,), {"x": np.array([0.0, 0.5, 2.0, 3.0], "float32")}),
    ("view", (A,), {"dtype": "int32"}),
    ("pad", (A, ((1, 0), (2, 3))), {}),
    ("pad", (A, ((1, 2), (0, 1))), {"constant_values": 7.0}),
    ("pad", (C, ((0, 0), (1, 1), (2, 2))), {"mode": "reflect"}),
    ("diag", (V,), {}),
    ("diag", (V,), {"k": -1}),
    ("diag", (SQUARE,), {"k": 1}),
    ("diagflat", (A[:2],), {}),
    ("diagflat", (V,), {"k": 2}),
    ("diagonal", (SQUARE,), {}),
    ("diagonal", (C,), {"offset": 1, "axis1": 1, "axis2": 2}),
    ("trace", (SQUARE,), {}),
    ("trace", (C,), {"offset": -1, "axis1": 1, "axis2": 2}),
    ("trace", (INTS,), {}),
    ("select", ([A > 0.5, A < -0.5], [A, B]), {}),
    ("select", ([A > 0, B > 0], [np.ones_like(A), 2 * np.ones_like(A)]), {"default": -1.0}),
    ("searchsorted", (SORTED, A), {}),
    ("searchsorted", (SORTED, [0.0, 0.5, 3.0]), {"side": "right"}),
    ("digitize", (A, SORTED), {}),
    ("digitize", (np.array([0.0, 0.5, 2.0], "float32"), SORTED), {}),
    ("unique", (INTS,), {}),
    ("unique", (INTS,), {"return_inverse": True, "return_counts": True}),
    ("unique", (INTS[0],), {"return_index": True}),
    ("unique", (INTS,), {"axis": 0, "return_counts": True}),
    ("unique", (INTS,), {"size": 6, "fill_value": -1}),
    ("unique", (INTS,), {"size": 2, "return_counts": True}),
    ("unravel_index", ([1, 5, 11], (3, 4)), {}),
    ("unravel_index", (np.array([[0, 7]]), (2, 2, 2)), {}),
    ("bartlett", (5,), {}),
    ("blackman", (6,), {}),
    ("hamming", (5,), {}),
    ("hanning", (6,), {}),
    ("kaiser", (7, 5.0), {}),
]


def _case_id(case: tuple) -> str:
    name, _, kwargs = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


# Keras's index and count dtype is int32; torchseq's is int64.
def _widened(dtype: str) -> str:
    return "int64" if dtype == "int32" else dtype


def _listed(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


@pytest.mark.parametrize("case", KERAS_CASES, ids=_case_id)
def test_matches_keras_ops(case):
    name, args, kwargs = case
    theirs = getattr(keras.ops, name)(*args, **kwargs)
    ours = getattr(ops, name)(*args, **kwargs)
    _assert_same_values(_as_numpy(ours, ops.convert_to_numpy), _as_numpy(theirs, ops.convert_to_numpy))
    for mine, reference in zip(_listed(ours), _listed(theirs)):
        assert _widened(ops.dtype(mine)) == _widened(keras.ops.dtype(reference)), name


# Where Keras's torch backend departs from numpy (and from Keras's other backends), or lacks
# the case, numpy decides.
NUMPY_CASES = [
    ("pad", (A, 1), {}, lambda: np.pad(A, 1)),
    ("pad", (A, (1, 2)), {}, lambda: np.pad(A, (1, 2))),
    ("pad", (A, ((2, 1), (3, 2))), {"mode": "symmetric"}, lambda: np.pad(A, ((2, 1), (3, 2)), "symmetric")),
    ("pad", (A, ((2, 2), (1, 3))), {"mode": "edge"}, lambda: np.pad(A, ((2, 2), (1, 3)), "edge")),
    ("pad", (A, ((2, 2), (5, 1))), {"mode": "wrap"}, lambda: np.pad(A, ((2, 2), (5, 1)), "wrap")),
    ("pad", (V, 5), {"mode": "reflect"}, lambda: np.pad(V, 5, "reflect")),
    ("pad", (C, ((1, 1), (0, 2), (1, 0))), {"mode": "reflect"},
     lambda: np.pad(C, ((1, 1), (0, 2), (1, 0)), "reflect")),
    ("pad", (INTS, ((1, 0), (2, 1))), {"mode": "symmetric"}, lambda: np.pad(INTS, ((1, 0), (2, 1)), "symmetric")),
    ("nonzero", (INTS - 1,), {}, lambda: np.nonzero(INTS - 1)),
    ("unique", (INTS,), {"return_index": True}, lambda: np.unique(INTS, return_index=True)),
    ("geomspace", ([1.0, -2.0], [100.0, -8.0], 3), {"axis": 1},
     lambda: np.geomspace([1.0, -2.0], [100.0, -8.0], 3, axis=1)),
    ("argpartition", (np.array([3.5, 1.25, 2.0, 0.5]), 1), {}, lambda: np.array([3, 1, 2, 0])),
]


@pytest.mark.parametrize(
    "name, args, kwargs, expected", NUMPY_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(NUMPY_CASES)]
)
def test_matches_numpy(name, args, kwargs, expected):
    ours = _as_numpy(getattr(ops, name)(*args, **kwargs), ops.convert_to_numpy)
    _assert_same_values(ours, _as_numpy(expected(), np.asarray))


def test_argpartition_partitions_around_kth():
    values = RNG.normal(size=(3, 7)).astype("float32")
    order = ops.convert_to_numpy(ops.argpartition(values, 2, axis=1))
    parted = np.take_along_axis(values, order, axis=1)
    kth = np.sort(values, axis=1)[:, 2:3]
    np.testing.assert_array_equal(parted[:, 2:3], kth)
    assert (parted[:, :2] <= kth).all() and (parted[:, 3:] >= kth).all()


def test_empty_has_shape_and_dtype():
    assert ops.empty((2, 3)).shape == (2, 3) and ops.dtype(ops.empty((2, 3))) == "float32"
    assert ops.dtype(ops.empty(4, dtype="int32")) == "int32"
    like = ops.empty_like(np.zeros((2, 3), "int32"))
    assert like.shape == (2, 3) and ops.dtype(like) == "int32"


class TestErrors:
    def test_pad_mode(self):
        with pytest.raises(ValueError, match="one of .*'wrap'.*received: mode='linear'"):
            ops.pad(A, 1, mode="linear")

    def test_pad_constant_values_need_constant_mode(self):
        with pytest.raises(ValueError, match="constant_values only with mode='constant'"):
            ops.pad(A, 1, mode="edge", constant_values=2.0)

    def test_pad_width_shape(self):
        with pytest.raises(ValueError, match=r"2 pairs, received: pad_width=\(1, 2, 3\)"):
            ops.pad(A, (1, 2, 3))

    def test_hsplit_must_divide(self):
        with pytest.raises(ValueError, match="divide the axis length 4 .*indices_or_sections=3"):
            ops.hsplit(A, 3)

    def test_searchsorted_side(self):
        with pytest.raises(ValueError, match="received: side='middle'"):
            ops.searchsorted(SORTED, A, side="middle")

    def test_select_lengths(self):
        with pytest.raises(ValueError, match="2 conditions and 1 choices"):
            ops.select([A > 0, A < 0], [A])

    def test_geomspace_zero(self):
        with pytest.raises(ValueError, match="non-zero start and stop of the same sign"):
            ops.geomspace(0.0, 1.0, 3)

    def test_window_length(self):
        with pytest.raises(ValueError, match="received: x=-1"):
            ops.hanning(-1)

    def test_diag_rank(self):
        with pytest.raises(ValueError, match=r"1-D or 2-D tensor, received: shape \(2, 3, 4\)"):
            ops.diag(C)


@pytest.mark.parametrize(
    "expression",
    [
        lambda k, x: k.ops.pad(x, ((0, 0), (1, 2))),
        lambda k, x: k.ops.roll(x, 1, axis=1),
        lambda k, x: k.ops.diagonal(k.ops.expand_dims(x, -1) * x[:, None, :], axis1=1, axis2=2),
        lambda k, x: k.ops.hstack([x, x]),
        lambda k, x: k.ops.select([x > 0], [x], 0.5),
        lambda k, x: k.ops.searchsorted(k.ops.array([0.0, 1.0]), x),
        lambda k, x: k.ops.diff(x),
        lambda k, x: k.ops.append(x, x, axis=1),
    ],
    ids=["pad", "roll", "diagonal", "hstack", "select", "searchsorted", "diff", "append"],
)
def test_symbolic_calls_have_keras_shapes(expression):
    ours, theirs = expression(torchseq, torchseq.Input((3,))), expression(keras, keras.Input((3,)))
    assert isinstance(ours, KerasTensor)
    assert ours.shape == theirs.shape
