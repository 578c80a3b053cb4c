"""keras.ops core and segment ops in torchseq.ops: scatter and slice updates, segment
reductions, ``saturate_cast``, control flow and function transforms, against keras.ops."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchseq
from tests.test_ops import _as_numpy, _assert_same_values
from torchseq import ops
from torchseq.layers.symbolic import KerasTensor

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(5)
A = RNG.normal(size=(3, 4)).astype("float32")
C = RNG.normal(size=(2, 3, 4)).astype("float32")
DATA = RNG.normal(size=(6, 2)).astype("float32")
IDS = np.array([0, 0, 1, 3, 3, 3], dtype="int64")
UNSORTED = np.array([2, 0, 2, 1, 0, 2], dtype="int64")
ROWS = np.array([[0, 1], [2, 3], [0, 1]], dtype="int64")

# (name, args, kwargs): run through keras.ops.<name> and torchseq.ops.<name>.
KERAS_CASES = [
    ("segment_sum", (DATA, IDS), {}),
    ("segment_sum", (DATA, UNSORTED), {"num_segments": 4}),
    ("segment_sum", (DATA[:, 0], np.array([0, 1, 1, -1, 5, 0])), {"num_segments": 3}),
    ("segment_max", (DATA, IDS), {"sorted": True}),
    ("segment_max", (DATA, UNSORTED), {}),
    ("segment_min", (DATA, UNSORTED), {}),
    ("segment_prod", (DATA, IDS), {}),
    ("scatter", (ROWS, np.array([1.0, 2.0, 3.0], "float32"), (3, 4)), {}),
    ("scatter", (ROWS[:, :1], A, (4, 4)), {}),
    ("scatter_update", (A, ROWS[:2], np.array([9.0, 8.0], "float32")), {}),
    ("scatter_update", (A, ROWS, np.array([1.0, 2.0, 3.0], "float32")), {"reduction": "add"}),
    ("scatter_update", (A, ROWS, np.array([5.0, -2.0, 3.0], "float32")), {"reduction": "max"}),
    ("scatter_update", (A, ROWS, np.array([5.0, -2.0, 3.0], "float32")), {"reduction": "min"}),
    ("scatter_update", (A, ROWS, np.array([5.0, -2.0, 3.0], "float32")), {"reduction": "mul"}),
    ("scatter_update", (C, np.array([[1], [0]]), np.ones((2, 3, 4), "float32")), {}),
    ("slice", (C, (0, 1, 1), (2, 2, 3)), {}),
    ("slice", (C, np.array([1, 0, 2]), (1, 3, 2)), {}),
    ("slice_update", (C, (0, 1, 1), np.zeros((2, 2, 3), "float32")), {}),
    ("slice_update", (A, np.array([1, 2]), np.ones((2, 2), "float32")), {}),
    ("saturate_cast", (np.array([-300.0, -1.5, 7.9, 300.0, np.inf], "float32"), "uint8"), {}),
    ("saturate_cast", (np.array([-70000, 12, 70000], "int64"), "int16"), {}),
    ("saturate_cast", (np.array([1e39, -1.0], "float64"), "float32"), {}),
]


def _case_id(case: tuple) -> str:
    name, _, kwargs = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("case", KERAS_CASES, ids=_case_id)
def test_matches_keras_ops(case):
    name, args, kwargs = case
    theirs = getattr(keras.ops, name)(*args, **kwargs)
    ours = getattr(ops, name)(*args, **kwargs)
    _assert_same_values(_as_numpy(ours, ops.convert_to_numpy), _as_numpy(theirs, ops.convert_to_numpy))
    assert ops.dtype(ours) == keras.ops.dtype(theirs)


def test_saturate_cast_stays_inside_the_range_where_float32_cannot_hold_its_ends():
    # float32 holds neither 2**31 - 1 nor anything between 2**31 - 128 and 2**31: the largest
    # float32 below int32's maximum is the ceiling (Keras's torch backend overflows to -2**31).
    result = ops.saturate_cast(np.array([-3e9, 5.0, 3e9], "float32"), "int32")
    assert result.tolist() == [-(2**31), 5, 2**31 - 128]


def test_empty_segments_hold_the_identity():
    data = np.array([[1, 2], [3, 4]], dtype="int32")
    ids = np.array([0, 2])
    assert ops.segment_sum(data, ids).tolist() == [[1, 2], [0, 0], [3, 4]]
    assert ops.segment_prod(data, ids).tolist() == [[1, 2], [1, 1], [3, 4]]
    assert ops.segment_max(data, ids)[1].tolist() == [np.iinfo("int32").min] * 2
    assert ops.segment_min(DATA, np.array([0, 0, 2, 2, 2, 2]))[1].isposinf().all()


# --------------------------------------------------------------------- control flow


def test_cond_and_switch():
    assert ops.cond(torch.tensor(True), lambda: 1, lambda: 2) == 1
    assert ops.cond(False, lambda: 1, lambda: 2) == 2
    branches = [lambda x: x + 1, lambda x: x * 10]
    assert ops.switch(1, branches, 3) == 30
    assert ops.switch(-4, branches, 3) == 4  # clamped, as in Keras
    assert ops.switch(9, branches, 3) == keras.ops.switch(9, branches, 3)


def test_while_and_fori_loops_match_keras():
    for k in (ops, keras.ops):
        counted = k.while_loop(lambda i, total: i < 5, lambda i, total: (i + 1, total + i), (0, 0))
        assert [int(v) for v in counted] == [5, 10]
        single = k.while_loop(lambda x: x < 100, lambda x: x * 3, 1, maximum_iterations=3)
        assert int(single) == 27
        assert float(k.fori_loop(1, 4, lambda i, x: x * i, 1.0)) == 6.0


def test_scan_matches_keras():
    def step(carry, x):
        carry = carry * 0.5 + x
        return carry, carry * 2

    for reverse in (False, True):
        ours = ops.scan(step, torch.zeros(4), torch.from_numpy(A), reverse=reverse)
        theirs = keras.ops.scan(step, torch.zeros(4), torch.from_numpy(A), reverse=reverse)
        _assert_same_values(_as_numpy(ours, ops.convert_to_numpy), _as_numpy(theirs, ops.convert_to_numpy))
    carry, ys = ops.scan(lambda c, _: (c + 1, None), torch.tensor(0), length=3)
    assert int(carry) == 3 and ys is None
    nested = ops.scan(lambda c, x: ((c[0] + x["a"], c[1]), x["a"] * 2), (0.0, 1.0), {"a": torch.ones(3)})
    assert float(nested[0][0]) == 3.0 and nested[1].tolist() == [2.0, 2.0, 2.0]


def test_map_and_vectorized_map_match_keras():
    def f(row):
        return row.sum() * row

    for k in (ops, keras.ops):
        np.testing.assert_allclose(ops.convert_to_numpy(k.map(f, torch.from_numpy(A))), A.sum(1, keepdims=True) * A, rtol=1e-6)
        np.testing.assert_allclose(
            ops.convert_to_numpy(k.vectorized_map(f, torch.from_numpy(A))), A.sum(1, keepdims=True) * A, rtol=1e-6
        )
    pairs = ops.map(lambda xy: xy[0] * xy[1], (torch.from_numpy(A), torch.from_numpy(A)))
    np.testing.assert_allclose(ops.convert_to_numpy(pairs), A * A, rtol=1e-6)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("length", [1, 5, 8])
def test_associative_scan_matches_keras(reverse, length):
    values = torch.from_numpy(RNG.normal(size=(length, 3)).astype("float32"))
    for axis, elems in ((0, values), (1, values.T.contiguous())):
        ours = ops.associative_scan(torch.add, elems, reverse=reverse, axis=axis)
        theirs = keras.ops.associative_scan(torch.add, elems, reverse=reverse, axis=axis)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)
    pairs = ops.associative_scan(lambda a, b: (a[0] * b[0], a[1] + b[1]), (values, values), reverse=reverse)
    expected = (torch.flip if reverse else lambda t, d: t)(torch.cumprod(torch.flip(values, (0,)) if reverse else values, 0), (0,))
    np.testing.assert_allclose(pairs[0].numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)


def test_control_flow_builds_graphs_through_its_callables():
    x = torchseq.Input((3,))
    y = ops.fori_loop(0, 3, lambda i, v: v * 2.0, x)
    assert isinstance(y, KerasTensor)
    model = torchseq.Model(x, y)
    np.testing.assert_allclose(model.predict(A[:, :3], verbose=0), A[:, :3] * 8, rtol=1e-6)
    assert not hasattr(ops.cond, "spec") and not hasattr(ops.scan, "spec")


# ------------------------------------------------------------------------ transforms


def test_custom_gradient_replaces_the_gradient():
    @ops.custom_gradient
    def clipped(x):
        return x * 3.0, lambda upstream: upstream.clamp(-1.0, 1.0)

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (clipped(x) * torch.tensor([0.5, 5.0])).sum().backward()
    assert clipped(x.detach()).tolist() == [3.0, 6.0]
    assert x.grad.tolist() == [0.5, 1.0]


def test_vectorize_broadcasts_like_numpy():
    def pick(a, b):
        return torch.where(a > b, a - b, a + b)

    ours = ops.vectorize(pick)(torch.from_numpy(A), torch.from_numpy(A[0]))
    np.testing.assert_allclose(ours.numpy(), np.vectorize(lambda a, b: a - b if a > b else a + b)(A, A[0]), rtol=1e-6)
    dots = ops.vectorize(torch.dot, signature="(n),(n)->()")(torch.from_numpy(C), torch.from_numpy(A))
    np.testing.assert_allclose(dots.numpy(), np.einsum("bij,ij->bi", C, A), rtol=1e-5)


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
def test_jvp_matches_keras():
    primals, tangents = (torch.from_numpy(A),), (torch.ones(3, 4),)
    ours = ops.jvp(torch.sin, primals, tangents)
    theirs = keras.ops.jvp(torch.sin, primals, tangents)
    _assert_same_values(_as_numpy(ours, ops.convert_to_numpy), _as_numpy(theirs, ops.convert_to_numpy))


class TestErrors:
    def test_scatter_update_reduction(self):
        with pytest.raises(ValueError, match="received: reduction='sum'"):
            ops.scatter_update(A, ROWS, np.ones(3, "float32"), reduction="sum")

    def test_segment_ids_shape(self):
        with pytest.raises(ValueError, match=r"data.shape=\(6, 2\), segment_ids.shape=\(5,\)"):
            ops.segment_sum(DATA, IDS[:5])

    def test_slice_arity(self):
        with pytest.raises(ValueError, match=r"rank-3 tensor, received: start_indices=\[0, 1\]"):
            ops.slice(C, (0, 1), (1, 1))

    def test_scan_needs_xs_or_length(self):
        with pytest.raises(ValueError, match="xs or length"):
            ops.scan(lambda c, x: (c, x), 0.0)

    def test_callables_are_checked(self):
        with pytest.raises(TypeError, match="fori_loop expected body_fun to be callable"):
            ops.fori_loop(0, 2, None, 1.0)


@pytest.mark.parametrize(
    "expression",
    [
        lambda k, x: k.ops.segment_sum(x, k.ops.array([0, 0, 1]), num_segments=2),
        lambda k, x: k.ops.scatter_update(x, [[0, 1]], [5.0]),
        lambda k, x: k.ops.slice(x, (0, 1), (2, 2)),
        lambda k, x: k.ops.slice_update(x, (0, 1), k.ops.ones((3, 2))),
        lambda k, x: k.ops.saturate_cast(x * 1000, "int8"),
    ],
    ids=["segment_sum", "scatter_update", "slice", "slice_update", "saturate_cast"],
)
def test_symbolic_calls_have_keras_shapes(expression):
    ours = expression(torchseq, torchseq.Input((3,), batch_size=3))
    theirs = expression(keras, keras.Input((3,), batch_size=3))
    assert isinstance(ours, KerasTensor)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
