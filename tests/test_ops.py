"""torchseq.ops against keras.ops (torch backend) on the same inputs, plus our own rules."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torchseq import config, ops

RNG = np.random.default_rng(0)
A = RNG.normal(size=(3, 4)).astype("float32")
B = RNG.normal(size=(3, 4)).astype("float32")
P = RNG.uniform(0.1, 2.0, size=(3, 4)).astype("float32")
C = RNG.normal(size=(2, 3, 4)).astype("float32")
M = RNG.normal(size=(4, 5)).astype("float32")
V = RNG.normal(size=(4,)).astype("float32")
W = RNG.normal(size=(3, 4, 5)).astype("float32")
INTS = np.array([[0, 2, 1], [3, -1, 0]], dtype="int64")
LABELS = np.array([0, 3, 1, 2], dtype="int64")
ONE_HOT = np.eye(4, dtype="float32")[[1, 0, 3]]
PROBS = np.array([[0.1, 0.6, 0.2, 0.1], [0.7, 0.1, 0.1, 0.1], [0.0, 0.2, 0.3, 0.5]], "float32")
SPECIAL = np.array([1.0, np.nan, np.inf, -np.inf, 0.0], dtype="float32")
ORDER = np.argsort(A, axis=1)

# (name, args, kwargs): run through keras.ops.<name> and torchseq.ops.<name>.
KERAS_CASES = [
    ("convert_to_tensor", (A,), {}),
    ("cast", (A, "int32"), {}),
    ("cast", (INTS, "float32"), {}),
    ("ones", ((2, 3),), {}),
    ("zeros", (4,), {"dtype": "int32"}),
    ("full", ((2, 3), 1.5), {}),
    ("ones_like", (A,), {}),
    ("zeros_like", (INTS,), {}),
    ("full_like", (A, 2.0), {}),
    ("eye", (3,), {}),
    ("eye", (3, 4), {"k": 1}),
    ("eye", (4, 3), {"k": -1}),
    ("identity", (3,), {}),
    ("arange", (5,), {}),
    ("arange", (1, 7, 2), {}),
    ("arange", (0.5, 3.0, 0.5), {}),
    ("linspace", (0.0, 1.0, 5), {}),
    ("linspace", (-1.0, 2.0, 4), {"endpoint": False}),
    ("add", (A, B), {}),
    ("add", (A, 2.0), {}),
    ("add", (3, A), {}),
    ("subtract", (A, B), {}),
    ("multiply", (A, V), {}),
    ("divide", (A, P), {}),
    ("divide", (INTS, 2), {}),
    ("true_divide", (A, P), {}),
    ("floor_divide", (INTS, 2), {}),
    ("floor_divide", (A, P), {}),
    ("mod", (A, P), {}),
    ("power", (P, 2.0), {}),
    ("power", (P, B), {}),
    ("negative", (A,), {}),
    ("abs", (A,), {}),
    ("absolute", (INTS,), {}),
    ("sign", (A,), {}),
    ("sqrt", (P,), {}),
    ("rsqrt", (P,), {}),
    ("square", (A,), {}),
    ("exp", (A,), {}),
    ("log", (P,), {}),
    ("log1p", (P,), {}),
    ("expm1", (A,), {}),
    ("sin", (A,), {}),
    ("cos", (A,), {}),
    ("tan", (A,), {}),
    ("tanh", (A,), {}),
    ("sigmoid", (A,), {}),
    ("relu", (A,), {}),
    ("relu6", (A * 5,), {}),
    ("leaky_relu", (A,), {}),
    ("elu", (A,), {"alpha": 0.5}),
    ("selu", (A,), {}),
    ("softmax", (A,), {}),
    ("softmax", (A,), {"axis": 0}),
    ("softmax", (C,), {"axis": (0, 2)}),
    ("softmax", (A,), {"axis": None}),
    ("log_softmax", (A,), {}),
    ("log_softmax", (C,), {"axis": 1}),
    ("softplus", (A * 10,), {}),
    ("softsign", (A,), {}),
    ("gelu", (A,), {}),
    ("gelu", (A,), {"approximate": False}),
    ("silu", (A,), {}),
    ("hard_sigmoid", (A * 3,), {}),
    ("log_sigmoid", (A,), {}),
    ("clip", (A, -0.5, 0.5), {}),
    ("maximum", (A, B), {}),
    ("maximum", (A, 0.0), {}),
    ("minimum", (A, B), {}),
    ("where", (A > 0, A, B), {}),
    ("where", (A > 0, A, 0.0), {}),
    ("where", (A > 0,), {}),
    ("matmul", (A, M), {}),
    ("matmul", (C, M), {}),
    ("dot", (A, M), {}),
    ("dot", (V, V), {}),
    ("dot", (C, V), {}),
    ("dot", (C, M), {}),
    ("tensordot", (A, M), {"axes": 1}),
    ("tensordot", (C, W), {"axes": 2}),
    ("tensordot", (A, B), {"axes": ([1], [1])}),
    ("tensordot", (A, B), {"axes": (1, 1)}),
    ("einsum", ("ij,jk->ik", A, M), {}),
    ("einsum", ("bij->bji", C), {}),
    ("outer", (V, V), {}),
    ("transpose", (A,), {}),
    ("transpose", (C,), {"axes": (1, 0, 2)}),
    ("reshape", (A, (2, 6)), {}),
    ("reshape", (C, (-1,)), {}),
    ("expand_dims", (A, 1), {}),
    ("expand_dims", (A, -1), {}),
    ("expand_dims", (A, (0, 2)), {}),
    ("squeeze", (np.ones((1, 3, 1)),), {}),
    ("squeeze", (np.ones((1, 3, 1)),), {"axis": 0}),
    ("squeeze", (np.ones((1, 3, 1)),), {"axis": (0, 2)}),
    ("concatenate", ([A, B],), {}),
    ("concatenate", ([A, B],), {"axis": 1}),
    ("stack", ([A, B],), {}),
    ("stack", ([A, B],), {"axis": -1}),
    ("unstack", (torch.from_numpy(A),), {}),  # Keras's unstack rejects numpy input
    ("unstack", (torch.from_numpy(A),), {"axis": 1}),
    ("split", (A, 2), {"axis": 1}),
    ("split", (A, [1, 3]), {"axis": 1}),
    ("split", (C, 2), {}),
    ("tile", (A, 2), {}),
    ("tile", (A, (2, 1)), {}),
    ("repeat", (A, 2), {}),
    ("repeat", (A, 2), {"axis": 0}),
    ("flip", (A,), {}),
    ("flip", (C,), {"axis": 1}),
    ("flip", (C,), {"axis": (0, 2)}),
    ("broadcast_to", (V, (3, 4)), {}),
    ("swapaxes", (C, 0, 2), {}),
    ("moveaxis", (C, 0, -1), {}),
    ("take", (A, [0, 2]), {}),
    ("take", (A, [[0, -1]]), {"axis": 1}),
    ("take", (A, [2, 0]), {"axis": 0}),
    ("take", (C, np.array([1, 0])), {"axis": -1}),
    ("take_along_axis", (A, ORDER), {"axis": 1}),
    ("take_along_axis", (A, ORDER[:1]), {"axis": 0}),
    ("tril", (A,), {}),
    ("triu", (A,), {"k": 1}),
    ("sum", (A,), {}),
    ("sum", (A,), {"axis": 1}),
    ("sum", (C,), {"axis": (0, 2), "keepdims": True}),
    ("mean", (A,), {"axis": 0}),
    ("mean", (INTS,), {}),
    ("mean", (C,), {"axis": [1, 2]}),
    ("max", (A,), {}),
    ("max", (A,), {"axis": 1, "keepdims": True}),
    ("max", (A,), {"axis": 0, "initial": 0.5}),
    ("min", (C,), {"axis": (0, 1)}),
    ("min", (A,), {"axis": 1, "initial": -0.5}),
    ("amax", (A,), {"axis": 0}),
    ("amin", (A,), {}),
    ("prod", (P,), {"axis": 1}),
    ("prod", (P,), {}),
    ("prod", (C,), {"axis": (0, 2), "keepdims": True}),
    ("var", (A,), {}),
    ("var", (A,), {"axis": 1}),
    ("std", (A,), {"axis": 0, "keepdims": True}),
    ("std", (INTS,), {}),
    ("argmax", (A,), {}),
    ("argmax", (A,), {"axis": 1}),
    ("argmax", (A,), {"keepdims": True}),
    ("argmin", (A,), {"axis": 0, "keepdims": True}),
    ("argsort", (A,), {}),
    ("argsort", (A,), {"axis": 0}),
    ("argsort", (A,), {"axis": None}),
    ("sort", (A,), {}),
    ("sort", (A,), {"axis": None}),
    ("cumsum", (A,), {}),
    ("cumsum", (A,), {"axis": 1}),
    ("cumprod", (P,), {"axis": 0}),
    ("all", (A > -5,), {}),
    ("all", (A > 0,), {"axis": 1}),
    ("any", (A > 1,), {"axis": 0, "keepdims": True}),
    ("logsumexp", (A,), {}),
    ("logsumexp", (A,), {"axis": 1, "keepdims": True}),
    ("equal", (INTS, 1), {}),
    ("not_equal", (INTS, 0), {}),
    ("greater", (A, B), {}),
    ("greater_equal", (A, 0.0), {}),
    ("less", (A, B), {}),
    ("less_equal", (INTS, 1), {}),
    ("logical_and", (A > 0, B > 0), {}),
    ("logical_or", (A > 0, B > 0), {}),
    ("logical_xor", (A > 0, B > 0), {}),
    ("logical_not", (A > 0,), {}),
    ("isnan", (SPECIAL,), {}),
    ("isinf", (SPECIAL,), {}),
    ("isfinite", (SPECIAL,), {}),
    ("round", (A * 10,), {}),
    ("round", (np.array([0.5, 1.5, 2.5, -0.5], "float32"),), {}),
    ("round", (A,), {"decimals": 2}),
    ("floor", (A,), {}),
    ("ceil", (A,), {}),
    ("norm", (A,), {}),
    ("norm", (A,), {"axis": 1}),
    ("norm", (A,), {"ord": 1, "axis": 0, "keepdims": True}),
    ("norm", (A,), {"ord": "fro", "axis": (0, 1)}),
    ("norm", (V,), {"ord": np.inf}),
    ("normalize", (A,), {}),
    ("normalize", (A,), {"axis": 0, "order": 1}),
    ("one_hot", (LABELS, 4), {}),
    ("one_hot", (INTS, 4), {}),
    ("one_hot", (LABELS, 5), {"axis": 0}),
    ("one_hot", (LABELS, 4), {"dtype": "int32"}),
    ("stop_gradient", (torch.from_numpy(A),), {}),  # Keras's rejects numpy input
    ("moments", (A, [0]), {}),
    ("moments", (C, [0, 2]), {"keepdims": True}),
    ("top_k", (V, 2), {}),
    ("top_k", (A, 3), {}),
    ("categorical_crossentropy", (ONE_HOT, PROBS), {}),
    ("categorical_crossentropy", (ONE_HOT, A[:, :4]), {"from_logits": True}),
    ("categorical_crossentropy", (ONE_HOT.T, PROBS.T), {"axis": 0}),
    ("sparse_categorical_crossentropy", (LABELS[:3], PROBS), {}),
    ("sparse_categorical_crossentropy", (LABELS[:3, None], A), {"from_logits": True}),
    ("binary_crossentropy", ((A > 0).astype("float32"), P / 2), {}),
    ("binary_crossentropy", ((A > 0).astype("float32"), B), {"from_logits": True}),
]


def _case_id(case: tuple) -> str:
    name, _, kwargs = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


def _as_numpy(result, to_numpy) -> list[np.ndarray]:
    """Every array in ``result`` (a tensor, or a tuple/list of them), as numpy."""
    if isinstance(result, (tuple, list)):
        return [np.asarray(to_numpy(r)) for r in result]
    return [np.asarray(to_numpy(result))]


def _assert_same_values(ours: list[np.ndarray], theirs: list[np.ndarray]) -> None:
    assert len(ours) == len(theirs)
    for mine, reference in zip(ours, theirs):
        assert mine.shape == reference.shape
        if reference.dtype == bool:
            np.testing.assert_array_equal(mine, reference)
        else:
            np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


@pytest.mark.parametrize("case", KERAS_CASES, ids=_case_id)
def test_matches_keras_ops(keras, case):
    name, args, kwargs = case
    theirs = _as_numpy(getattr(keras.ops, name)(*args, **kwargs), ops.convert_to_numpy)
    ours = _as_numpy(getattr(ops, name)(*args, **kwargs), ops.convert_to_numpy)
    _assert_same_values(ours, theirs)


def test_every_case_name_is_public():
    assert {name for name, _, _ in KERAS_CASES} <= set(ops.__all__)


def test_all_names_exist():
    namespaces = {"image", "linalg", "nn", "numpy"}
    missing = [
        name for name in ops.__all__ if name not in namespaces and not callable(getattr(ops, name, None))
    ]
    assert missing == []
    for namespace in namespaces:  # keras.ops.nn and friends hold the same functions
        module = getattr(ops, namespace)
        assert all(callable(getattr(module, name)) for name in module.__all__)
    assert ops.nn.relu is ops.relu and ops.numpy.mean is ops.mean and ops.linalg.svd is ops.svd


# Where Keras's torch backend is missing a case or departs from numpy, numpy decides.
NUMPY_CASES = [
    ("dot", (C, W), {}, lambda: np.dot(C, W)),
    ("repeat", (A, [1, 2, 3]), {"axis": 0}, lambda: np.repeat(A, [1, 2, 3], axis=0)),
    (
        "linspace",
        (np.array([0.0, 1.0]), np.array([1.0, 3.0]), 4),
        {"axis": 1},
        lambda: np.linspace([0.0, 1.0], [1.0, 3.0], 4, axis=1),
    ),
    ("take_along_axis", (A, [3, -1]), {}, lambda: np.take_along_axis(A, np.array([3, 11]), None)),
    ("split", (A, [1]), {}, lambda: np.split(A, [1])),
    # Keras's count_nonzero trips torch deprecation warnings (x.T on non-2-D tensors).
    ("count_nonzero", (INTS,), {}, lambda: np.count_nonzero(INTS)),
    ("count_nonzero", (INTS,), {"axis": 1}, lambda: np.count_nonzero(INTS, axis=1)),
]


@pytest.mark.parametrize(
    "name, args, kwargs, expected",
    NUMPY_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(NUMPY_CASES)],
)
def test_matches_numpy(name, args, kwargs, expected):
    ours = _as_numpy(getattr(ops, name)(*args, **kwargs), ops.convert_to_numpy)
    _assert_same_values(ours, _as_numpy(expected(), np.asarray))


class TestConversion:
    def test_tensor_is_returned_as_is(self):
        x = torch.ones(2, dtype=torch.float64)
        assert ops.convert_to_tensor(x) is x

    def test_float64_numpy_becomes_floatx(self):
        assert ops.convert_to_tensor(np.ones(2)).dtype == torch.float32

    def test_explicit_dtype_wins(self):
        assert ops.convert_to_tensor(np.ones(2), dtype="float64").dtype == torch.float64

    @pytest.mark.parametrize(
        "value, expected",
        [(1.5, torch.float32), (2, torch.int64), (True, torch.bool), ([1, 2], torch.int64)],
    )
    def test_python_values(self, value, expected):
        assert ops.convert_to_tensor(value).dtype == expected

    def test_floatx_is_followed(self, float64_floatx):
        assert ops.convert_to_tensor(np.ones(2, "float64")).dtype == torch.float64
        assert ops.ones((2,)).dtype == torch.float64
        assert ops.mean([1, 2]).dtype == torch.float64

    def test_list_of_tensors_is_stacked(self):
        assert ops.convert_to_tensor([torch.ones(2), torch.zeros(2)]).shape == (2, 2)

    def test_read_only_and_reversed_arrays(self):
        frozen = np.arange(4.0)
        frozen.flags.writeable = False
        np.testing.assert_array_equal(ops.convert_to_numpy(ops.negative(frozen)), -frozen)
        np.testing.assert_array_equal(ops.convert_to_numpy(ops.abs(frozen[::-1])), frozen[::-1])

    def test_unconvertible_value(self):
        with pytest.raises(TypeError, match="received: dict"):
            ops.convert_to_tensor({"a": 1})

    @pytest.mark.parametrize(
        "value", ["a b", [["a b"], ["c"]], np.array(["a", "bc"]), np.array([b"x"])]
    )
    def test_strings_stay_a_numpy_array(self, value):
        # Torch has no string tensors; the string layers and Input(dtype="string") take these
        # (keras.io's pretrained_word_embeddings feeds its end-to-end model this way).
        strings = ops.convert_to_tensor(value, dtype=None if isinstance(value, str) else "string")
        assert isinstance(strings, np.ndarray)
        np.testing.assert_array_equal(strings, np.asarray(value))

    def test_strings_to_a_numeric_dtype(self):
        with pytest.raises(TypeError, match="dtype=None or \"string\", received: dtype='int32'"):
            ops.convert_to_tensor([["a b"]], dtype="int32")

    def test_strings_feed_a_string_model(self):
        from torchseq import Input, Model, layers

        lookup = layers.StringLookup(vocabulary=["cat", "dog"])
        inputs = Input(shape=(2,), dtype="string")
        model = Model(inputs, lookup(inputs))
        ids = model(ops.convert_to_tensor([["dog", "fish"]]))
        np.testing.assert_array_equal(ops.convert_to_numpy(ids), [[2, 0]])

    def test_python_scalar_keeps_half_precision(self):
        assert ops.add(torch.ones(2, dtype=torch.float16), 2.0).dtype == torch.float16

    def test_convert_to_numpy_of_bfloat16(self):
        assert ops.convert_to_numpy(torch.ones(2, dtype=torch.bfloat16)).dtype == np.float32

    def test_shape_helpers(self):
        assert ops.shape(C) == (2, 3, 4)
        assert ops.shape([[1, 2, 3]]) == (1, 3)
        assert ops.ndim(C) == 3
        assert ops.size(C) == 24
        assert ops.dtype(torch.ones(1, dtype=torch.int32)) == "int32"
        assert ops.is_tensor(torch.ones(1)) and not ops.is_tensor(A)


@pytest.fixture
def float64_floatx():
    previous = config.floatx()
    config.set_floatx("float64")
    try:
        yield
    finally:
        config.set_floatx(previous)


class TestErrors:
    def test_where_needs_both_branches(self):
        with pytest.raises(ValueError, match="both x1 and x2 or neither"):
            ops.where(A > 0, A)

    def test_split_must_divide(self):
        with pytest.raises(ValueError, match="divide the axis length 4 .*indices_or_sections=3"):
            ops.split(A, 3, axis=1)

    def test_one_hot_sparse(self):
        with pytest.raises(ValueError, match="sparse=False"):
            ops.one_hot(LABELS, 4, sparse=True)

    def test_moments_synchronized(self):
        with pytest.raises(NotImplementedError, match="synchronized"):
            ops.moments(A, [0], synchronized=True)

    def test_normalize_order(self):
        with pytest.raises(ValueError, match="received: order=0"):
            ops.normalize(A, order=0)

    def test_crossentropy_shapes(self):
        with pytest.raises(ValueError, match=r"target.shape=\(3, 4\), output.shape=\(3, 5\)"):
            ops.categorical_crossentropy(ONE_HOT, np.ones((3, 5), "float32"))

    def test_sparse_crossentropy_shapes(self):
        with pytest.raises(ValueError, match=r"target.shape=\(4,\), output.shape=\(3, 4\)"):
            ops.sparse_categorical_crossentropy(LABELS, PROBS)


def test_gradients_flow_through_ops():
    weight = torch.nn.Parameter(torch.tensor([1.0, -2.0, 3.0]))
    loss = ops.mean(ops.square(ops.multiply(weight, 2.0)))
    loss.backward()
    torch.testing.assert_close(weight.grad, 8.0 * weight.detach() / 3.0)


def test_stop_gradient_detaches():
    weight = torch.nn.Parameter(torch.ones(2))
    assert not ops.stop_gradient(weight * 2).requires_grad
