"""torchseq.backend: Keras-2 ``K`` functions against Keras 3 equivalents or numpy."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torchseq import backend as K
from torchseq import ops
from torchseq.utils import naming

RNG = np.random.default_rng(1)
A = RNG.normal(size=(3, 4)).astype("float32")
B = RNG.normal(size=(3, 4)).astype("float32")
P = RNG.uniform(0.1, 2.0, size=(3, 4)).astype("float32")
C = RNG.normal(size=(2, 3, 4)).astype("float32")
D = RNG.normal(size=(2, 4, 5)).astype("float32")
M = RNG.normal(size=(4, 5)).astype("float32")
ONE_HOT = np.eye(4, dtype="float32")[[2, 0, 1]]
PROBS = np.array([[0.1, 0.6, 0.2, 0.1], [0.7, 0.1, 0.1, 0.1], [0.0, 0.2, 0.3, 0.5]], "float32")
LABELS = np.array([2, 0, 1])
BINARY = (A > 0).astype("float32")
AT_THRESHOLD = np.array([-1.0, 0.0, 0.5, 2.0], "float32")


def _l2_normalize(x: np.ndarray, axis) -> np.ndarray:
    return x / np.sqrt(np.maximum(np.sum(x * x, axis=axis, keepdims=True), 1e-12))


# (K name, args, kwargs, numpy reference): the Keras-2 semantics, computed by hand.
NUMPY_CASES = [
    ("mean", (A,), {}, lambda: np.mean(A)),
    ("mean", (A,), {"axis": -1, "keepdims": True}, lambda: np.mean(A, -1, keepdims=True)),
    ("sum", (C,), {"axis": [0, 2]}, lambda: np.sum(C, axis=(0, 2))),
    ("max", (A,), {"axis": 0}, lambda: np.max(A, axis=0)),
    ("min", (A,), {}, lambda: np.min(A)),
    ("std", (A,), {"axis": 1}, lambda: np.std(A, axis=1)),
    ("var", (A,), {}, lambda: np.var(A)),
    ("prod", (P,), {"axis": 0}, lambda: np.prod(P, axis=0)),
    ("square", (A,), {}, lambda: np.square(A)),
    ("sqrt", (P,), {}, lambda: np.sqrt(P)),
    ("exp", (A,), {}, lambda: np.exp(A)),
    ("log", (P,), {}, lambda: np.log(P)),
    ("abs", (A,), {}, lambda: np.abs(A)),
    ("pow", (P, 3), {}, lambda: P**3),
    ("clip", (A, -0.5, 0.5), {}, lambda: np.clip(A, -0.5, 0.5)),
    ("clip", (A, 0.5, -1.0), {}, lambda: np.full_like(A, 0.5)),
    ("clip", (A, None, 0.0), {}, lambda: np.minimum(A, 0.0)),
    ("dot", (A, M), {}, lambda: A @ M),
    ("dot", (C, D), {}, lambda: np.dot(C, D)),
    ("batch_dot", (C, D), {}, lambda: np.einsum("bij,bjk->bik", C, D)),
    ("batch_dot", (A, B), {"axes": 1}, lambda: np.sum(A * B, axis=1, keepdims=True)),
    ("batch_dot", (C, D), {"axes": (2, 1)}, lambda: np.einsum("bij,bjk->bik", C, D)),
    ("batch_dot", (C, C), {"axes": (1, 1)}, lambda: np.einsum("bji,bjk->bik", C, C)),
    ("batch_dot", (A[:2], C), {"axes": (1, 2)}, lambda: np.einsum("bk,bjk->bj", A[:2], C)),
    ("transpose", (C,), {}, lambda: np.transpose(C)),
    ("permute_dimensions", (C, (0, 2, 1)), {}, lambda: np.transpose(C, (0, 2, 1))),
    ("reshape", (A, (2, 6)), {}, lambda: A.reshape(2, 6)),
    ("concatenate", ([A, B],), {}, lambda: np.concatenate([A, B], axis=-1)),
    ("concatenate", ([A, B],), {"axis": 0}, lambda: np.concatenate([A, B], axis=0)),
    ("expand_dims", (A,), {}, lambda: A[..., None]),
    ("squeeze", (A[:, :1], 1), {}, lambda: A[:, 0]),
    ("stack", ([A, B],), {}, lambda: np.stack([A, B])),
    ("flatten", (C,), {}, lambda: C.ravel()),
    ("batch_flatten", (C,), {}, lambda: C.reshape(2, -1)),
    ("repeat_elements", (A, 2, 1), {}, lambda: np.repeat(A, 2, axis=1)),
    ("tile", (A, (1, 2)), {}, lambda: np.tile(A, (1, 2))),
    ("gather", (A, [2, 0]), {}, lambda: A[[2, 0]]),
    ("cast", (A, "int32"), {}, lambda: A.astype("int32")),
    ("argmax", (A,), {}, lambda: np.argmax(A, axis=-1)),
    ("argmin", (A,), {"axis": 0}, lambda: np.argmin(A, axis=0)),
    ("equal", (LABELS, 1), {}, lambda: LABELS == 1),
    ("greater", (A, B), {}, lambda: A > B),
    ("switch", (A > 0, A, B), {}, lambda: np.where(A > 0, A, B)),
    ("round", (A * 10,), {}, lambda: np.round(A * 10)),
    ("sigmoid", (A,), {}, lambda: 1 / (1 + np.exp(-A))),
    ("tanh", (A,), {}, lambda: np.tanh(A)),
    ("softmax", (A,), {}, lambda: np.exp(A) / np.exp(A).sum(-1, keepdims=True)),
    ("one_hot", (LABELS, 3), {}, lambda: np.eye(3)[LABELS]),
    ("l2_normalize", (A,), {}, lambda: _l2_normalize(A, None)),
    ("l2_normalize", (A,), {"axis": 1}, lambda: _l2_normalize(A, 1)),
    ("l2_normalize", (np.zeros(3, "float32"),), {}, lambda: np.zeros(3)),
    ("constant", (2.0,), {"shape": (2, 3)}, lambda: np.full((2, 3), 2.0)),
    ("constant", ([1, 2, 3, 4],), {"shape": (2, 2)}, lambda: np.array([[1.0, 2], [3, 4]])),
    ("zeros", ((2, 3),), {}, lambda: np.zeros((2, 3))),
    ("ones", (3,), {}, lambda: np.ones(3)),
]


def _ids(cases: list[tuple]) -> list[str]:
    return [f"{case[0]}-{i}" for i, case in enumerate(cases)]


@pytest.mark.parametrize("name, args, kwargs, expected", NUMPY_CASES, ids=_ids(NUMPY_CASES))
def test_matches_keras2_semantics(name, args, kwargs, expected):
    result = K.get_value(getattr(K, name)(*args, **kwargs))
    reference = np.asarray(expected())
    assert result.shape == reference.shape
    if reference.dtype == bool:
        np.testing.assert_array_equal(result, reference)
    else:
        np.testing.assert_allclose(result, reference, rtol=1e-5, atol=1e-6)


# (K name, args, kwargs, Keras 3 function path, its kwargs): same semantics in Keras 3.
KERAS_CASES = [
    ("categorical_crossentropy", (ONE_HOT, PROBS), {}, "ops.categorical_crossentropy", {}),
    (
        "categorical_crossentropy",
        (ONE_HOT, A),
        {"from_logits": True},
        "ops.categorical_crossentropy",
        {"from_logits": True},
    ),
    (
        "sparse_categorical_crossentropy",
        (LABELS, PROBS),
        {},
        "losses.sparse_categorical_crossentropy",
        {},
    ),
    (
        "sparse_categorical_crossentropy",
        (LABELS, A),
        {"from_logits": True},
        "ops.sparse_categorical_crossentropy",
        {"from_logits": True},
    ),
    ("binary_crossentropy", (BINARY, P / 2), {}, "ops.binary_crossentropy", {}),
    (
        "binary_crossentropy",
        (BINARY, B),
        {"from_logits": True},
        "ops.binary_crossentropy",
        {"from_logits": True},
    ),
    ("relu", (A,), {}, "activations.relu", {}),
    ("relu", (A,), {"alpha": 0.1}, "activations.relu", {"negative_slope": 0.1}),
    ("relu", (A * 4,), {"max_value": 2.0}, "activations.relu", {"max_value": 2.0}),
    ("relu", (A * 8,), {"max_value": 6.0}, "activations.relu", {"max_value": 6.0}),
    ("relu", (A,), {"threshold": 0.3}, "activations.relu", {"threshold": 0.3}),
    ("relu", (AT_THRESHOLD,), {"threshold": 0.5}, "activations.relu", {"threshold": 0.5}),
    (
        "relu",
        (A * 4,),
        {"alpha": 0.2, "max_value": 3.0, "threshold": -0.5},
        "activations.relu",
        {"negative_slope": 0.2, "max_value": 3.0, "threshold": -0.5},
    ),
    ("softplus", (A,), {}, "ops.softplus", {}),
]


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def _resolve(module, path: str):
    for part in path.split("."):
        module = getattr(module, part)
    return module


@pytest.mark.parametrize(
    "name, args, kwargs, path, keras_kwargs", KERAS_CASES, ids=_ids(KERAS_CASES)
)
def test_matches_keras3(keras, name, args, kwargs, path, keras_kwargs):
    result = K.get_value(getattr(K, name)(*args, **kwargs))
    reference = ops.convert_to_numpy(_resolve(keras, path)(*args, **keras_kwargs))
    np.testing.assert_allclose(result, reference, rtol=1e-5, atol=1e-6)


def test_config_matches_keras(keras):
    assert K.epsilon() == keras.backend.epsilon()
    assert K.floatx() == keras.backend.floatx()
    assert K.image_data_format() == keras.backend.image_data_format()
    for dtype in ("float32", "bfloat16", "int8", "uint8", "bool", np.float64, torch.int64):
        assert K.standardize_dtype(dtype) == keras.backend.standardize_dtype(dtype)
        assert K.is_float_dtype(dtype) == keras.backend.is_float_dtype(dtype)
        assert K.is_int_dtype(dtype) == keras.backend.is_int_dtype(dtype)


def test_set_epsilon_is_seen_by_losses():
    previous = K.epsilon()
    K.set_epsilon(0.1)
    try:
        assert K.epsilon() == 0.1
        loss = K.binary_crossentropy(np.ones(1, "float32"), np.ones(1, "float32"))
        np.testing.assert_allclose(K.eval(loss), -np.log(0.9), rtol=1e-6)
    finally:
        K.set_epsilon(previous)


def test_clear_session_resets_names():
    naming.unique_name("dense")
    assert naming.unique_name("dense") == "dense_1"
    K.clear_session()
    assert naming.unique_name("dense") == "dense"


def test_backend_name_and_learning_phase():
    assert K.backend() == "torch"
    assert K.learning_phase() == 0


class TestVariables:
    def test_variable_is_a_trainable_parameter(self):
        v = K.variable(np.ones((2, 3)))
        assert isinstance(v, torch.nn.Parameter)
        assert v.requires_grad and v.dtype == torch.float32

    def test_variable_copies_its_value(self):
        source = torch.zeros(2)
        v = K.variable(source)
        K.set_value(v, [1.0, 2.0])
        assert source.sum() == 0
        np.testing.assert_array_equal(K.get_value(v), [1.0, 2.0])

    def test_get_value_is_a_copy(self):
        v = K.variable([1.0, 2.0])
        K.get_value(v)[:] = 0.0
        np.testing.assert_array_equal(K.get_value(v), [1.0, 2.0])

    def test_integer_variable_has_no_gradient(self):
        v = K.variable([1, 2], dtype="int32")
        assert not v.requires_grad and K.dtype(v) == "int32"

    def test_set_value_shape_mismatch(self):
        with pytest.raises(ValueError, match=r"shape \(2,\), received: value with shape \(3,\)"):
            K.set_value(K.variable([1.0, 2.0]), [1.0, 2.0, 3.0])

    def test_batch_values(self):
        a, b = K.variable([1.0]), K.variable([2.0])
        K.batch_set_value([(a, [5.0]), (b, [6.0])])
        assert [x.tolist() for x in K.batch_get_value([a, b])] == [[5.0], [6.0]]

    def test_shapes(self):
        v = K.variable(np.ones((2, 3)))
        assert K.int_shape(v) == (2, 3)
        assert K.shape(v).tolist() == [2, 3]
        assert K.ndim(v) == 2
        assert K.dtype(v) == "float32"

    def test_constant_defaults_to_floatx(self):
        assert K.constant([1, 2]).dtype == torch.float32
        assert K.constant([1, 2], dtype="int64").dtype == torch.int64


class TestRandom:
    @pytest.mark.parametrize("fn", [K.random_uniform, K.random_normal])
    def test_seed_reproduces(self, fn):
        torch.testing.assert_close(fn((3, 2), seed=7), fn((3, 2), seed=7))
        assert fn((3, 2), dtype="float64").dtype == torch.float64

    def test_uniform_range(self):
        x = K.random_uniform((1000,), minval=2.0, maxval=3.0, seed=0)
        assert x.min() >= 2.0 and x.max() < 3.0

    def test_normal_moments(self):
        x = K.random_normal((20000,), mean=1.0, stddev=2.0, seed=0)
        assert abs(float(x.mean()) - 1.0) < 0.05 and abs(float(x.std()) - 2.0) < 0.05

    def test_shape_from_symbolic_batch_size(self):
        z = torch.zeros(4, 3)
        assert K.random_normal((K.shape(z)[0], 2)).shape == (4, 2)


class TestBatchDotErrors:
    def test_rank(self):
        with pytest.raises(ValueError, match=r"rank >= 2, received: x.shape=\(3,\)"):
            K.batch_dot(np.ones(3), np.ones((3, 2)))

    def test_batch_axis(self):
        with pytest.raises(ValueError, match="batch axis 0"):
            K.batch_dot(A, B, axes=0)

    def test_size_mismatch(self):
        with pytest.raises(ValueError, match=r"x.shape\[1\] == y.shape\[1\]"):
            K.batch_dot(A, C[:, :2], axes=1)


def test_public_names_exist():
    missing = [name for name in K.__all__ if not hasattr(K, name)]
    assert missing == []
