"""Element-wise maths, bitwise and complex ops, closeness tests, NaN-skipping reductions and
statistics of torchseq.ops against keras.ops (torch backend) on the same inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchseq
from tests.test_ops import _as_numpy, _assert_same_values
from torchseq import ops
from torchseq.layers.symbolic import KerasTensor

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(1)
A = RNG.normal(size=(3, 4)).astype("float32")
B = RNG.normal(size=(3, 4)).astype("float32")
UNIT = RNG.uniform(-0.9, 0.9, size=(3, 4)).astype("float32")
BIG = RNG.uniform(1.1, 4.0, size=(3, 4)).astype("float32")
P = RNG.uniform(0.1, 2.0, size=(3, 4)).astype("float32")
C = RNG.normal(size=(2, 3, 4)).astype("float32")
INTS = np.array([[12, -7, 5], [9, 0, 3]], dtype="int32")
SMALL = np.array([[4, 6, 1], [3, 2, 8]], dtype="int32")
SHIFTS = np.array([[1, 2, 0], [3, 1, 2]], dtype="int32")
HOLES = np.where(RNG.uniform(size=(3, 4)) < 0.3, np.nan, A).astype("float32")
HOLES[1] = np.nan  # a row of NaN only
SPECIAL = np.array([1.0, np.nan, np.inf, -np.inf, 0.0, -0.0, -2.5], dtype="float32")
COMPLEX = (A + 1j * B).astype("complex64")
LABELS = np.array([0, 3, 1], dtype="int64")
COUNTS = np.array([0, 3, 1, 3, 3, 5], dtype="int64")

# (name, args, kwargs): run through keras.ops.<name> and torchseq.ops.<name>.
KERAS_CASES = [
    ("arccos", (UNIT,), {}),
    ("arcsin", (UNIT,), {}),
    ("arctan", (A,), {}),
    ("arctan2", (A, B), {}),
    ("arctan2", (INTS, SMALL), {}),
    ("arccosh", (BIG,), {}),
    ("arcsinh", (A,), {}),
    ("arctanh", (UNIT,), {}),
    ("cosh", (A,), {}),
    ("sinh", (A,), {}),
    ("exp2", (A,), {}),
    ("exp2", (SMALL,), {}),
    ("log2", (P,), {}),
    ("log10", (P,), {}),
    ("log10", (SMALL,), {}),
    ("logaddexp", (A, B), {}),
    ("logaddexp2", (A, B), {}),
    ("hypot", (A, B), {}),
    ("cbrt", (A * 10,), {}),
    ("deg2rad", (A * 90,), {}),
    ("rad2deg", (A,), {}),
    ("sinc", (A,), {}),
    ("i0", (A,), {}),
    ("erf", (A,), {}),
    ("erfc", (A,), {}),
    ("erfinv", (UNIT,), {}),
    ("reciprocal", (P,), {}),
    ("trunc", (A * 3,), {}),
    ("trunc", (INTS,), {}),
    ("fabs", (A,), {}),
    ("fmod", (A * 5, P), {}),
    ("fmod", (INTS, SMALL), {}),
    ("fmax", (HOLES, A), {}),
    ("fmin", (HOLES, A), {}),
    ("divide_no_nan", (A, np.where(B > 0, B, 0).astype("float32")), {}),
    ("heaviside", (np.round(A), B), {}),
    ("ldexp", (A, SHIFTS[:, :1].repeat(4, 1)[:, :4][:1].repeat(3, 0)), {}),
    ("gcd", (INTS, SMALL), {}),
    ("lcm", (INTS, SMALL), {}),
    ("signbit", (SPECIAL,), {}),
    ("nan_to_num", (SPECIAL,), {}),
    ("nan_to_num", (SPECIAL,), {"nan": 1.0, "posinf": 9.0, "neginf": -9.0}),
    ("nan_to_num", (INTS,), {}),
    ("bitwise_and", (INTS, SMALL), {}),
    ("bitwise_or", (INTS, SMALL), {}),
    ("bitwise_xor", (INTS, SMALL), {}),
    ("bitwise_not", (INTS,), {}),
    ("bitwise_invert", (INTS,), {}),
    ("bitwise_left_shift", (INTS, SHIFTS), {}),
    ("left_shift", (SMALL, 2), {}),
    ("bitwise_right_shift", (INTS, SHIFTS), {}),
    ("right_shift", (SMALL, 1), {}),
    ("real", (COMPLEX,), {}),
    ("imag", (COMPLEX,), {}),
    ("conj", (COMPLEX,), {}),
    ("conjugate", (COMPLEX,), {}),
    ("angle", (COMPLEX,), {}),
    ("angle", (A,), {}),
    ("isreal", (COMPLEX,), {}),
    ("isreal", (A,), {}),
    ("view_as_real", (torch.from_numpy(COMPLEX),), {}),
    ("view_as_complex", (np.stack([A, B], -1),), {}),
    ("isclose", (A, A + 1e-7), {}),
    ("isclose", (A, B), {"rtol": 0.5, "atol": 0.5}),
    ("isclose", (SPECIAL, SPECIAL), {"equal_nan": True}),
    ("allclose", (A, A + 1e-7), {}),
    ("allclose", (A, B), {}),
    ("isin", (INTS, [0, 5, 9]), {}),
    ("isin", (INTS, [0, 5, 9]), {"invert": True}),
    ("isneginf", (SPECIAL,), {}),
    ("isposinf", (SPECIAL,), {}),
    ("nansum", (HOLES,), {}),
    ("nansum", (HOLES,), {"axis": 1, "keepdims": True}),
    ("nanprod", (HOLES,), {"axis": 0}),
    ("nanmean", (HOLES,), {"axis": 0}),
    ("nanmean", (HOLES,), {}),
    ("nanvar", (HOLES,), {"axis": 0}),
    ("nanstd", (HOLES,), {"axis": 0, "keepdims": True}),
    ("nanmax", (HOLES,), {"axis": 1}),
    ("nanmin", (HOLES,), {"axis": 0}),
    ("nanmax", (HOLES,), {}),
    ("nanmax", (INTS,), {"axis": 1}),
    ("nanargmax", (HOLES,), {"axis": 1}),
    ("nanargmin", (HOLES,), {"axis": 0}),
    ("nanargmin", (HOLES,), {}),
    ("nancumsum", (HOLES,), {"axis": 1}),
    ("nancumsum", (HOLES,), {}),
    ("nancumprod", (HOLES,), {"axis": 0}),
    ("median", (A,), {}),
    ("median", (A,), {"axis": 1}),
    ("median", (C,), {"axis": (0, 2), "keepdims": True}),
    ("quantile", (A, 0.3), {}),
    ("quantile", (A, [0.1, 0.5, 0.9]), {"axis": 0}),
    ("quantile", (C, 0.7), {"axis": 1, "keepdims": True}),
    ("quantile", (A, 0.3), {"axis": 1, "method": "lower"}),
    ("quantile", (A, 0.3), {"axis": 1, "method": "higher"}),
    ("quantile", (A, 0.3), {"axis": 1, "method": "midpoint"}),
    ("quantile", (A, 0.3), {"axis": 1, "method": "nearest"}),
    ("quantile", (INTS, 0.5), {}),
    ("percentile", (A, 30), {"axis": 1}),
    ("percentile", (C, [25, 75]), {"axis": [0, 2]}),
    ("nanquantile", (HOLES, 0.4), {"axis": 1}),
    ("nanpercentile", (HOLES, [10, 90]), {"axis": 0}),
    ("nanmedian", (HOLES,), {"axis": 1}),
    ("average", (A,), {}),
    ("average", (A,), {"axis": 1}),
    ("average", (A, 1), {"weights": P[0]}),
    ("ptp", (A,), {}),
    ("ptp", (A,), {"axis": 1, "keepdims": True}),
    ("histogram", (A.ravel(),), {}),
    ("histogram", (A.ravel(),), {"bins": 4, "range": (-1.0, 1.0)}),
    ("bincount", (COUNTS,), {}),
    ("bincount", (COUNTS,), {"minlength": 8}),
    ("bincount", (COUNTS,), {"weights": np.linspace(0, 1, 6).astype("float32")}),
    ("bincount", (np.stack([COUNTS, COUNTS[::-1]]),), {}),
    ("corrcoef", (A,), {}),
    ("in_top_k", (LABELS, A), {"k": 2}),
    ("in_top_k", (LABELS, A), {"k": 1}),
]


def _case_id(case: tuple) -> str:
    name, _, kwargs = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


# Keras's index and count dtype is int32; torchseq's is int64.
def _widened(dtype: str) -> str:
    return "int64" if dtype == "int32" else dtype


@pytest.mark.parametrize("case", KERAS_CASES, ids=_case_id)
def test_matches_keras_ops(case):
    name, args, kwargs = case
    theirs = getattr(keras.ops, name)(*args, **kwargs)
    ours = getattr(ops, name)(*args, **kwargs)
    _assert_same_values(_as_numpy(ours, ops.convert_to_numpy), _as_numpy(theirs, ops.convert_to_numpy))
    for mine, reference in zip(_listed(ours), _listed(theirs)):
        assert _widened(ops.dtype(mine)) == _widened(keras.ops.dtype(reference)), name


def _listed(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


# Where Keras's torch backend fails on the case or departs from numpy, numpy decides.
NUMPY_CASES = [
    ("average", (A,), {"axis": 0, "weights": P[:, 0]}, lambda: np.average(A, axis=0, weights=P[:, 0])),
    ("average", (A,), {"weights": P}, lambda: np.average(A, weights=P)),
    ("nextafter", (A, B), {}, lambda: np.nextafter(A, B)),
    ("histogram", (A,), {"bins": 3}, lambda: (np.histogram(A, bins=3)[0].astype("float32"), np.histogram(A, bins=3)[1])),
    ("quantile", (C, [0.2, 0.8]), {"axis": (0, 2), "keepdims": True},
     lambda: np.quantile(C, [0.2, 0.8], axis=(0, 2), keepdims=True)),
    ("cbrt", (np.array([-27.0, 8.0, 0.0], "float32"),), {}, lambda: np.array([-3.0, 2.0, 0.0])),
]


@pytest.mark.parametrize(
    "name, args, kwargs, expected", NUMPY_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(NUMPY_CASES)]
)
def test_matches_numpy(name, args, kwargs, expected):
    ours = _as_numpy(getattr(ops, name)(*args, **kwargs), ops.convert_to_numpy)
    _assert_same_values(ours, _as_numpy(expected(), np.asarray))


def test_integers_give_floatx_and_follow_it(float64_floatx):
    assert ops.dtype(ops.arccos(np.array([0, 1]))) == "float64"
    assert ops.dtype(ops.nanmean(np.array([1, 2]))) == "float64"


@pytest.fixture
def float64_floatx():
    previous = torchseq.config.floatx()
    torchseq.config.set_floatx("float64")
    try:
        yield
    finally:
        torchseq.config.set_floatx(previous)


class TestErrors:
    def test_bitwise_needs_integers(self):
        with pytest.raises(TypeError, match="bitwise_and expected integer or boolean tensors, received: dtype torch.float32"):
            ops.bitwise_and(A, B)

    def test_ldexp_needs_integer_exponents(self):
        with pytest.raises(TypeError, match="integer exponents"):
            ops.ldexp(A, B)

    def test_quantile_method(self):
        with pytest.raises(ValueError, match="one of .*'nearest'.*received: method='cubic'"):
            ops.quantile(A, 0.5, method="cubic")

    def test_bincount_sparse(self):
        with pytest.raises(ValueError, match="received: sparse=True"):
            ops.bincount(COUNTS, sparse=True)

    def test_histogram_bins(self):
        with pytest.raises(ValueError, match="received: bins=0"):
            ops.histogram(A, bins=0)

    def test_view_as_complex_needs_pairs(self):
        with pytest.raises(ValueError, match=r"last axis of size 2 .*received: shape \(3, 4\)"):
            ops.view_as_complex(A)


@pytest.mark.parametrize(
    "expression",
    [
        lambda k, x: k.ops.logaddexp(x, k.ops.arcsinh(x)),
        lambda k, x: k.ops.hypot(x, x * 2.0) + k.ops.erf(x),
        lambda k, x: k.ops.nanmean(x, axis=1, keepdims=True),
        lambda k, x: k.ops.nanargmax(x, axis=-1),
        lambda k, x: k.ops.quantile(x, [0.25, 0.75], axis=1),
        lambda k, x: k.ops.median(x, axis=-1),
        lambda k, x: k.ops.isclose(x, x * 2, rtol=0.1),
        lambda k, x: k.ops.bitwise_and(k.ops.cast(x, "int32"), k.ops.cast(x * 3, "int32")),
        lambda k, x: k.ops.average(x, axis=1, weights=k.ops.ones((3,))),
    ],
    ids=["logaddexp", "hypot_erf", "nanmean", "nanargmax", "quantile", "median", "isclose",
         "bitwise_and", "average"],
)
def test_symbolic_calls_have_keras_shapes(expression):
    ours, theirs = expression(torchseq, torchseq.Input((3,))), expression(keras, keras.Input((3,)))
    assert isinstance(ours, KerasTensor)
    assert ours.shape == theirs.shape
    assert _widened(ours.dtype) == _widened(theirs.dtype)


def test_a_model_of_new_ops_saves_and_loads_in_keras(tmp_path):
    def expression(k, x):
        return k.ops.nansum(k.ops.pad(k.ops.logaddexp(x, x), ((0, 0), (1, 1))), axis=1) + k.ops.erf(x[:, 0])

    ours = torchseq.Model(x := torchseq.Input((3,)), expression(torchseq, x))
    ours.save(tmp_path / "ops.keras")
    theirs = keras.saving.load_model(tmp_path / "ops.keras")
    np.testing.assert_allclose(ours.predict(A[:, :3], verbose=0), theirs.predict(A[:, :3], verbose=0), rtol=1e-5)
