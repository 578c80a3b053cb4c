"""compile(jit_compile=True) on the models Keras users train: one graph, eager numbers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch._dynamo

import torchseq as ts
from torchseq import layers, ops
from torchseq.ops._convert import _result_dtype

# See tests/training/test_jit_compile.py: torch.compile's own warning about `.grad`.
pytestmark = pytest.mark.filterwarnings(
    "ignore:The .grad attribute of a Tensor that is not a leaf Tensor:UserWarning"
)

SAMPLES = 16  # two batches of 8: one batch shape, one graph


class TokenAndPositionEmbedding(layers.Layer):
    """keras.io's text-classification transformer embedding."""

    def __init__(self, maxlen: int, vocab_size: int, embed_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.token_emb = layers.Embedding(vocab_size, embed_dim)
        self.pos_emb = layers.Embedding(maxlen, embed_dim)

    def call(self, x):
        positions = ops.arange(start=0, stop=ops.shape(x)[-1], step=1)
        return self.token_emb(x) + self.pos_emb(positions)


class OpsDense(layers.Layer):
    """A custom layer written with keras.ops and add_weight."""

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform")
        self.k = self.add_weight(shape=(3, input_shape[-1], 2), initializer="glorot_uniform")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, x):
        dense = ops.tensordot(x, self.w, axes=1) + self.b
        conv = ops.conv(x, self.k, padding="same")
        return ops.sum(ops.expand_dims(dense, -1), axis=-1) + ops.sum(conv, -1, keepdims=True)


def convolutions() -> ts.Sequential:
    return ts.Sequential(
        [
            ts.Input((8, 8, 3)),
            layers.ZeroPadding2D(1),
            layers.SeparableConv2D(4, 3),
            layers.DepthwiseConv2D(3),
            layers.Conv2DTranspose(4, 3, strides=2),
            layers.UpSampling2D(),
            layers.Cropping2D(4),
            layers.MaxPooling2D(),
            layers.GlobalAveragePooling2D(),
            layers.Dense(4, activation="softmax"),
        ]
    )


def batch_normalized() -> ts.Sequential:
    # The moving statistics update in place inside the compiled step.
    return ts.Sequential(
        [
            ts.Input((6, 3)),
            layers.Conv1D(4, 3),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.GlobalAveragePooling1D(),
            layers.Dense(4, activation="softmax"),
        ]
    )


def masked_transformer_block() -> ts.Model:
    tokens = ts.Input((6,), dtype="int64")
    x = TokenAndPositionEmbedding(6, 10, 8)(tokens)
    keep = ops.not_equal(tokens, 0)  # ops on symbolic tensors: graph nodes of their own
    attention_mask = ops.logical_and(ops.expand_dims(keep, 1), ops.expand_dims(keep, 2))
    attended = layers.MultiHeadAttention(2, 4)(x, x, attention_mask=attention_mask)
    x = layers.LayerNormalization()(layers.Add()([x, attended]))
    x = layers.GlobalAveragePooling1D()(x)
    return ts.Model(tokens, layers.Dense(4, activation="softmax")(x))


def masked_gru() -> ts.Sequential:
    return ts.Sequential(
        [
            ts.Input((4,), dtype="int64"),
            layers.Embedding(10, 4, mask_zero=True),
            layers.GRU(4),
            layers.Dense(4, activation="softmax"),
        ]
    )


def preprocessing_inside() -> ts.Sequential:
    return ts.Sequential(
        [
            ts.Input((3,), dtype="int64"),
            layers.CategoryEncoding(10, output_mode="multi_hot"),
            layers.Rescaling(0.5, offset=0.1),
            layers.Normalization(mean=0.3, variance=0.04),
            layers.Dense(4, activation="softmax"),
        ]
    )


def custom_ops_layer() -> ts.Sequential:
    return ts.Sequential(
        [ts.Input((5, 3)), OpsDense(4), layers.Flatten(), layers.Dense(4, activation="softmax")]
    )


def inputs(shape: tuple, dtype: str) -> np.ndarray:
    rng = np.random.default_rng(0)
    if dtype == "float32":
        return rng.random((SAMPLES, *shape)).astype("float32")
    tokens = rng.integers(1, 10, size=(SAMPLES, *shape))
    tokens[::2, 2:] = 0  # padding for the masks
    return tokens


MODELS = {
    "convolutions": (convolutions, (8, 8, 3), "float32"),
    "batch_normalized": (batch_normalized, (6, 3), "float32"),
    "masked_transformer_block": (masked_transformer_block, (6,), "int64"),
    "masked_gru": (masked_gru, (4,), "int64"),
    "preprocessing_inside": (preprocessing_inside, (3,), "int64"),
    "custom_ops_layer": (custom_ops_layer, (5, 3), "float32"),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_model_trains_as_one_graph_with_eager_weights(name):
    build, shape, dtype = MODELS[name]
    x = inputs(shape, dtype)
    y = ts.utils.to_categorical(np.arange(SAMPLES) % 4, 4)
    eager, compiled = build(), build()
    eager(x[:2]), compiled(x[:2])  # built, so that the weights can be copied
    compiled.set_weights(eager.get_weights())
    for model, jit in ((eager, False), (compiled, True)):
        model.compile("sgd", "categorical_crossentropy", metrics=["accuracy"], jit_compile=jit)
    eager.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)

    torch._dynamo.utils.counters.clear()
    compiled.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert not torch._dynamo.utils.counters["graph_break"]
    assert compiled._compile_state.runner._eager is None  # no fallback (and no warning)
    assert compiled._compile_state.runner.updates_in_graph
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] == 1
    torch._dynamo.utils.counters.clear()
    compiled.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] == 0  # the second epoch

    assert int(compiled.optimizer.iterations) == int(eager.optimizer.iterations) == 4
    for ours, theirs in zip(compiled.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


_DTYPES = [
    torch.bool, torch.uint8, torch.int8, torch.int32, torch.int64, torch.float16,
    torch.bfloat16, torch.float32, torch.float64, torch.complex64, torch.complex128,
]


def test_the_traceable_result_dtype_follows_torch_promotion():
    # What ops promote mixed operands with (torch.result_type breaks a compiled graph).
    for a_dtype, b_dtype in itertools.product(_DTYPES, repeat=2):
        for a_shape, b_shape in itertools.product([(), (2,)], repeat=2):
            a, b = torch.zeros(a_shape, dtype=a_dtype), torch.zeros(b_shape, dtype=b_dtype)
            assert _result_dtype(a, b) == torch.result_type(a, b), (a, b)


def test_the_compiled_step_updates_buffers_the_model_holds_now():
    # model.to(...) or .double() replace buffers (not parameters) with new tensors: the
    # compiled step must update the model's current ones.
    model = batch_normalized()
    model.compile("sgd", "categorical_crossentropy", jit_compile=True)
    x = inputs((6, 3), "float32")
    y = ts.utils.to_categorical(np.arange(SAMPLES) % 4, 4)
    model.fit(x, y, batch_size=8, verbose=0)
    norm = model.layers[1]
    norm._buffers["moving_mean"] = norm._buffers["moving_mean"].clone()  # as .to() does
    before = norm.moving_mean.clone()
    model.fit(x, y, batch_size=8, verbose=0)
    assert model._compile_state.runner._eager is None
    assert not torch.equal(norm.moving_mean, before)
