"""Python operators and ``keras.ops`` on symbolic tensors: graph nodes a Functional model
runs, summarises and saves, with Keras's shapes, numbers, summary and file format."""

from __future__ import annotations

import importlib
import inspect
import io

import numpy as np
import pytest
import torch

import torchseq
from torchseq import layers, ops

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 6, 3)).astype("float32")
Y = RNG.standard_normal((4, 6, 3)).astype("float32")

# Each expression runs on two inputs of shape (None, 6, 3), written once for both libraries:
# ``k`` is torchseq or keras.
EXPRESSIONS = {
    "add": lambda k, x, y: x + y,
    "radd": lambda k, x, y: 1.5 + x,
    "sub": lambda k, x, y: x - y,
    "rsub": lambda k, x, y: 2.0 - x,
    "mul": lambda k, x, y: x * y * 2,
    "truediv": lambda k, x, y: x / 4.0,
    "rtruediv": lambda k, x, y: 1.0 / (k.ops.abs(x) + 1.0),
    "floordiv": lambda k, x, y: x // 0.5,
    "mod": lambda k, x, y: x % 0.5,
    "pow": lambda k, x, y: x**2,
    "rpow": lambda k, x, y: 2.0**x,
    "neg_abs": lambda k, x, y: -abs(x),
    "matmul": lambda k, x, y: x @ k.ops.transpose(y, (0, 2, 1)),
    "compare": lambda k, x, y: k.ops.cast((x > 0) & (y <= 0) | (x != y) ^ (x < y), "float32"),
    "invert": lambda k, x, y: k.ops.cast(~(x >= 0), "float32"),
    "index": lambda k, x, y: x[:, 0],
    "slice_step": lambda k, x, y: x[:, ::2, 1:],
    "ellipsis_newaxis": lambda k, x, y: x[..., None, -1],
    "reductions": lambda k, x, y: k.ops.mean(x, axis=1) + k.ops.sum(y, axis=1) * k.ops.max(x),
    "concatenate": lambda k, x, y: k.ops.concatenate([x, y], axis=-1),
    "stack_reshape": lambda k, x, y: k.ops.reshape(k.ops.stack([x, y], axis=1), (-1, 36)),
    "einsum": lambda k, x, y: k.ops.einsum("btc,bsc->bts", x, y),
    "where_clip": lambda k, x, y: k.ops.where(x > 0, k.ops.clip(x, -0.5, 0.5), y),
    "nn": lambda k, x, y: k.ops.softmax(x, axis=-1) + k.ops.relu(y) + k.ops.sigmoid(x),
    "expand_squeeze": lambda k, x, y: k.ops.squeeze(k.ops.expand_dims(x, 1), axis=1),
    "split": lambda k, x, y: k.ops.split(x, 3, axis=-1)[1],
    "top_k": lambda k, x, y: k.ops.top_k(x, 2)[0],
    "take": lambda k, x, y: k.ops.take(x, [0, 2], axis=1),
    "norm_logsumexp": lambda k, x, y: k.ops.norm(x, axis=-1) + k.ops.logsumexp(y, axis=-1),
    "cumsum_tile": lambda k, x, y: k.ops.tile(k.ops.cumsum(x, axis=1), (1, 2, 1)),
}


def build(k, expression):
    x, y = k.Input((6, 3), name="x"), k.Input((6, 3), name="y")
    return k.Model([x, y], expression(k, x, y))


@pytest.fixture(params=sorted(EXPRESSIONS))
def pair(request):
    expression = EXPRESSIONS[request.param]
    return build(torchseq, expression), build(keras, expression)


def test_same_shapes_and_numbers_as_keras(pair):
    ours, theirs = pair
    assert ours.output.shape == theirs.output.shape
    assert ours.output.dtype == theirs.output.dtype
    np.testing.assert_allclose(
        ours.predict([X, Y], verbose=0), theirs.predict([X, Y], verbose=0), rtol=1e-5, atol=1e-5
    )


def test_files_move_both_ways(pair, tmp_path):
    ours, theirs = pair
    ours.save(tmp_path / "ours.keras")
    theirs.save(tmp_path / "theirs.keras")
    expected = theirs.predict([X, Y], verbose=0)
    from_keras = torchseq.models.load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(from_keras.predict([X, Y], verbose=0), expected, rtol=1e-5, atol=1e-5)
    read_by_keras = keras.saving.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(read_by_keras.predict([X, Y], verbose=0), expected, rtol=1e-5, atol=1e-5)


def test_a_graph_of_layers_and_ops_summarises_and_saves_as_keras(tmp_path):
    def expression(k, x, y):
        hidden = k.layers.Dense(4, name="dense")(x[:, ::2] * 2 + k.ops.mean(y, axis=1, keepdims=True))
        return k.ops.matmul(hidden, k.ops.transpose(hidden, (0, 2, 1)))

    keras.backend.clear_session()  # Keras's automatic names count from zero, as ours do
    ours, theirs = build(torchseq, expression), build(keras, expression)
    ours.get_layer("dense").set_weights(theirs.get_layer("dense").get_weights())
    texts = []
    for model in (ours, theirs):
        out = io.StringIO()
        model.summary(line_length=80, print_fn=lambda text, out=out, **_: out.write(text))
        texts.append(out.getvalue().strip().splitlines()[1:])  # below the model's name
    assert texts[0] == texts[1]
    assert [layer.name for layer in ours.layers] == ["x", "y", "dense"]  # ops are not layers
    np.testing.assert_allclose(
        ours.predict([X, Y], verbose=0), theirs.predict([X, Y], verbose=0), rtol=1e-5, atol=1e-6
    )
    rebuilt = torchseq.Model.from_config(ours.get_config())
    rebuilt.set_weights(ours.get_weights())
    np.testing.assert_allclose(rebuilt.predict([X, Y], verbose=0), ours.predict([X, Y], verbose=0))


def test_an_op_model_trains():
    x = torchseq.Input((3,))
    hidden = layers.Dense(8, activation="relu")(x)
    model = torchseq.Model(x, layers.Dense(1)(ops.concatenate([hidden, x * x], axis=-1)))
    model.compile(optimizer=torchseq.optimizers.Adam(0.03), loss="mse")
    data = RNG.standard_normal((64, 3)).astype("float32")
    target = (data**2).sum(axis=1, keepdims=True)
    first = model.evaluate(data, target, verbose=0)
    model.fit(data, target, epochs=30, batch_size=16, verbose=0)
    assert model.evaluate(data, target, verbose=0) < first / 2


def test_every_graph_op_is_a_keras_operation_with_the_same_inputs():
    """Configs name Keras's op classes, which must exist and take the same tensor arguments."""
    checked = 0
    for namespace in (ops, ops.image):
        for name in namespace.__all__:
            checked += _check_keras_operation(getattr(namespace, name), name)
    assert checked > 300


# Ops whose non-tensor arguments Keras passes to call() rather than to the constructor;
# torchseq keeps them in the op's config, so such graphs save and load in torchseq only.
_CONFIG_ARGUMENTS_IN_KERAS_CALL = {"rearrange": ["tensor", "pattern"]}


def _check_keras_operation(op, name):
    spec = getattr(op, "spec", None)
    if spec is None:
        return 0
    if name in _CONFIG_ARGUMENTS_IN_KERAS_CALL:
        cls = getattr(importlib.import_module(spec.keras_module), spec.class_name)
        keras_inputs = [
            p.name
            for p in inspect.signature(cls.call).parameters.values()
            if p.name != "self" and p.kind is not p.VAR_KEYWORD
        ]
        assert keras_inputs == _CONFIG_ARGUMENTS_IN_KERAS_CALL[name]
        assert list(spec.input_parameters) == ["tensor"]
        return 1
    cls = getattr(importlib.import_module(spec.keras_module), spec.class_name)
    keras_inputs = [p for p in inspect.signature(cls.call).parameters if p not in ("self", "kwargs")]
    assert keras_inputs == list(spec.input_parameters), name
    return 1


def test_symbolic_tensors_refuse_to_act_as_values():
    x = torchseq.Input((3,))
    with pytest.raises(TypeError, match="cannot be used as a boolean"):
        bool(x > 0)
    with pytest.raises(TypeError, match="cannot be iterated"):
        list(x)
    with pytest.raises(TypeError, match="numpy array"):
        np.asarray(x)
    assert ops.shape(x) == (None, 3)
    assert ops.dtype(x) == x.dtype == "float32"
    assert x.torch_dtype is torch.float32
    assert ops.cast(x, torch.int64).dtype == "int64"


def test_an_op_that_cannot_take_its_arguments_names_itself():
    x = torchseq.Input((3,))
    with pytest.raises(TypeError, match=r"ops\.mean"):
        ops.mean(x, 1, False, "extra")
    with pytest.raises(ValueError, match=r"ops\.add cannot compute on inputs of shapes \[\(None, 3\), \(None, 4\)\]"):
        ops.add(x, torchseq.Input((4,)))


# ---------------------------------------------------------------------- shape inference


@pytest.mark.parametrize(
    ("function", "input_shape", "expected"),
    [
        (lambda t: t[:, ::16], (None, 3), (None, None, 3)),  # probes of 8 and 9 both give 1
        (lambda t: t[:, ::16], (40, 3), (None, 3, 3)),
        (lambda t: t.reshape(t.shape[0], -1), (4, 3), (None, 12)),
        (lambda t: t.reshape(t.shape[0], -1), (None, 3), (None, None)),
        (lambda t: t.reshape(-1, int(t.shape[1]) * 3), (None, 3), (None, None)),  # size read as int
        (lambda t: torch.nn.functional.max_pool1d(t, 2), (3, None), (None, 3, None)),
        (lambda t: t[:, 1:] - t[:, :-1], (None, 2), (None, None, 2)),
    ],
)
def test_lambda_output_shapes_are_exact(function, input_shape, expected):
    assert layers.Lambda(function)(torchseq.Input(input_shape)).shape == expected


def test_a_fused_kernel_without_symbolic_sizes_still_infers_its_shape():
    lstm = torch.nn.LSTM(3, 4, batch_first=True)
    output = layers.Lambda(lambda t: lstm(t)[0])(torchseq.Input((None, 3)))
    assert output.shape == (None, None, 4)



def _tiled_causal_mask_layer(k):
    """keras.io's translation transformer builds its causal mask with shape arithmetic done on
    tensors: the batch size goes through ops.expand_dims / ops.concatenate into ops.tile."""

    class CausalMask(k.layers.Layer):
        def call(self, inputs):
            batch_size, length = k.ops.shape(inputs)[0], k.ops.shape(inputs)[1]
            mask = k.ops.cast(k.ops.arange(length)[:, None] >= k.ops.arange(length), "int32")
            mult = k.ops.concatenate(
                [k.ops.expand_dims(batch_size, -1), k.ops.convert_to_tensor([1, 1])], axis=0
            )
            return k.ops.tile(k.ops.reshape(mask, (1, length, length)), mult)

    return CausalMask()


@pytest.mark.parametrize("input_shape", [(None, 3), (5, 3)])
def test_shapes_computed_as_tensors_are_inferred_as_keras_does(input_shape):
    expected = _tiled_causal_mask_layer(keras)(keras.Input(input_shape)).shape
    output = _tiled_causal_mask_layer(torchseq)(torchseq.Input(input_shape))
    assert output.shape == expected
    values = _tiled_causal_mask_layer(torchseq)(torch.zeros(2, 4, 3))
    assert values.shape == (2, 4, 4) and values[1].tril().equal(values[1])
