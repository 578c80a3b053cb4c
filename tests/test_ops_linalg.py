"""keras.ops.linalg in torchseq.ops (solvers and decompositions) and the newer products
(inner, vdot, kron, cross, correlate, cdist), against keras.ops on the same inputs."""

from __future__ import annotations

import numpy as np
import pytest

import torchseq
from tests.test_ops import _as_numpy, _assert_same_values
from torchseq import ops
from torchseq.layers.symbolic import KerasTensor

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(3)
A = RNG.normal(size=(3, 4)).astype("float32")
M = RNG.normal(size=(4, 4)).astype("float32") + 4 * np.eye(4, dtype="float32")
BATCH = RNG.normal(size=(2, 3, 3)).astype("float32") + 3 * np.eye(3, dtype="float32")
SPD = (M @ M.T).astype("float32")
LOWER = np.tril(M)
RHS = RNG.normal(size=(4, 2)).astype("float32")
VEC = RNG.normal(size=(4,)).astype("float32")
TALL = RNG.normal(size=(6, 3)).astype("float32")
TALL_RHS = RNG.normal(size=(6, 2)).astype("float32")
LOW_RANK = (TALL @ TALL[:2].T).astype("float32")  # 6 x 2, rank 2
V3 = RNG.normal(size=(5, 3)).astype("float32")
W3 = RNG.normal(size=(5, 3)).astype("float32")
SIGNAL = RNG.normal(size=(7,)).astype("float32")
KERNEL = RNG.normal(size=(3,)).astype("float32")

# (name, args, kwargs): run through keras.ops.<name> and torchseq.ops.<name>.
KERAS_CASES = [
    ("cholesky", (SPD,), {}),
    ("cholesky", (SPD,), {"upper": True}),
    ("cholesky_inverse", (np.linalg.cholesky(SPD).astype("float32"),), {}),
    ("det", (M,), {}),
    ("det", (BATCH,), {}),
    ("slogdet", (M,), {}),
    ("logdet", (SPD,), {}),
    ("inv", (M,), {}),
    ("inv", (BATCH,), {}),
    ("pinv", (A,), {}),
    ("pinv", (LOW_RANK,), {"rcond": 1e-4}),
    ("solve", (M, RHS), {}),
    ("solve", (M, VEC), {}),
    ("solve_triangular", (LOWER, RHS), {"lower": True}),
    ("solve_triangular", (LOWER.T.copy(), VEC), {}),
    ("lstsq", (TALL, TALL_RHS), {}),
    ("lstsq", (TALL, TALL_RHS[:, 0]), {}),
    ("lu_factor", (M,), {}),
    ("qr", (TALL,), {}),
    ("qr", (TALL,), {"mode": "complete"}),
    ("svd", (A,), {"compute_uv": False}),
    ("eigh", (SPD,), {}),
    ("matrix_rank", (LOW_RANK,), {}),
    ("matrix_rank", (M,), {"tol": 0.5}),
    ("inner", (A, A), {}),
    ("inner", (VEC, VEC), {}),
    ("kron", (A[:2, :2], M[:2]), {}),
    ("correlate", (SIGNAL, KERNEL), {}),
    ("correlate", (SIGNAL, KERNEL), {"mode": "same"}),
    ("correlate", (SIGNAL, KERNEL), {"mode": "full"}),
    ("cdist", (V3, W3[:3]), {}),
    ("cdist", (RNG.normal(size=(2, 4, 3)).astype("float32"), W3), {}),
]


def _case_id(case: tuple) -> str:
    name, _, kwargs = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


def _widened(dtype: str) -> str:  # Keras's index dtype is int32; torchseq's is int64
    return "int64" if dtype == "int32" else dtype


def _listed(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


@pytest.mark.parametrize("case", KERAS_CASES, ids=_case_id)
def test_matches_keras_ops(case):
    name, args, kwargs = case
    theirs = getattr(keras.ops, name)(*args, **kwargs)
    ours = getattr(ops, name)(*args, **kwargs)
    mine, reference = _as_numpy(ours, ops.convert_to_numpy), _as_numpy(theirs, ops.convert_to_numpy)
    assert len(mine) == len(reference)
    for got, expected in zip(mine, reference):
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    for got, expected in zip(_listed(ours), _listed(theirs)):
        assert _widened(ops.dtype(got)) == _widened(keras.ops.dtype(expected)), name


# Keras's torch backend rejects these (vdot of matrices, cross without a size-3 axis):
# numpy decides.
NUMPY_CASES = [
    ("vdot", (A, A), {}, lambda: np.vdot(A, A)),
    ("cross", (V3, W3), {}, lambda: np.cross(V3, W3)),
    ("cross", (V3[:, :2], W3), {}, lambda: np.cross(np.pad(V3[:, :2], ((0, 0), (0, 1))), W3)),
    ("cross", (V3.T.copy(), W3.T.copy()), {"axis": 0}, lambda: np.cross(V3.T, W3.T, axis=0)),
    ("cross", (V3[:, :2], W3[:, :2]), {}, lambda: V3[:, 0] * W3[:, 1] - V3[:, 1] * W3[:, 0]),
    ("cross", (V3, W3[:1]), {"axisc": 0}, lambda: np.cross(V3, W3[:1], axisc=0)),
]


@pytest.mark.parametrize(
    "name, args, kwargs, expected", NUMPY_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(NUMPY_CASES)]
)
def test_matches_numpy(name, args, kwargs, expected):
    ours = _as_numpy(getattr(ops, name)(*args, **kwargs), ops.convert_to_numpy)
    _assert_same_values(ours, _as_numpy(expected(), np.asarray))


# Decompositions unique only up to signs or order are checked by reconstruction.
def test_svd_reconstructs():
    u, s, vh = (ops.convert_to_numpy(t) for t in ops.svd(A, full_matrices=False))
    np.testing.assert_allclose(u @ np.diag(s) @ vh, A, atol=1e-5)
    assert ops.svd(A)[0].shape == (3, 3) and ops.svd(A)[2].shape == (4, 4)


def test_eig_solves_the_eigenproblem():
    values, vectors = (ops.convert_to_numpy(t) for t in ops.eig(M))
    np.testing.assert_allclose(M @ vectors, vectors * values, atol=1e-4)
    np.testing.assert_allclose(np.sort_complex(values), np.sort_complex(np.linalg.eigvals(M)), rtol=1e-4)


def test_lu_factor_reconstructs():
    lu, pivots = (ops.convert_to_numpy(t) for t in ops.lu_factor(M))
    lower, upper = np.tril(lu, -1) + np.eye(4), np.triu(lu)
    rows = np.arange(4)
    for i, p in enumerate(pivots):  # 0-based row swaps, as scipy's lu_factor
        rows[[i, p]] = rows[[p, i]]
    np.testing.assert_allclose(lower @ upper, M[rows], atol=1e-5)


def test_correlate_matches_numpy_for_every_mode_and_order():
    for first, second in ((SIGNAL, KERNEL), (KERNEL, SIGNAL), (SIGNAL[:4], KERNEL[:2])):
        for mode in ("valid", "same", "full"):
            np.testing.assert_allclose(
                ops.convert_to_numpy(ops.correlate(first, second, mode=mode)),
                np.correlate(first, second, mode=mode),
                rtol=1e-5,
                atol=1e-6,
            )


def test_integer_matrices_become_floatx():
    assert ops.dtype(ops.det(np.eye(3, dtype="int64"))) == "float32"


class TestErrors:
    def test_square_matrices(self):
        with pytest.raises(ValueError, match=r"inv expected square matrices .*shape \(3, 4\)"):
            ops.inv(A)

    def test_qr_mode(self):
        with pytest.raises(ValueError, match="received: mode='r'"):
            ops.qr(A, mode="r")

    def test_cross_sizes(self):
        with pytest.raises(ValueError, match=r"size 2 or 3, received: sizes \(4, 4\)"):
            ops.cross(A, A)

    def test_correlate_mode(self):
        with pytest.raises(ValueError, match="received: mode='middle'"):
            ops.correlate(SIGNAL, KERNEL, mode="middle")

    def test_cdist_shapes(self):
        with pytest.raises(ValueError, match=r"shapes \(5, 3\) and \(3, 4\)"):
            ops.cdist(V3, A)


@pytest.mark.parametrize(
    "expression",
    [
        lambda k, x: k.ops.inv(k.ops.reshape(x, (-1, 2, 2)) + 3 * k.ops.eye(2)),
        lambda k, x: k.ops.det(k.ops.reshape(x, (-1, 2, 2))),
        lambda k, x: k.ops.solve(k.ops.reshape(x, (-1, 2, 2)) + 3 * k.ops.eye(2), k.ops.reshape(x, (-1, 2, 2))),
        lambda k, x: k.ops.svd(k.ops.reshape(x, (-1, 2, 2)), compute_uv=False),
        lambda k, x: k.ops.cdist(k.ops.reshape(x, (-1, 2, 2)), k.ops.reshape(x, (-1, 2, 2))),
        lambda k, x: k.ops.kron(x, k.ops.ones((1, 2))),
    ],
    ids=["inv", "det", "solve", "svd", "cdist", "kron"],
)
def test_symbolic_calls_have_keras_shapes(expression):
    ours, theirs = expression(torchseq, torchseq.Input((4,))), expression(keras, keras.Input((4,)))
    assert isinstance(ours, KerasTensor)
    assert ours.shape == theirs.shape
