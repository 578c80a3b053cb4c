"""The Functional API: graphs of layers between Input tensors and outputs."""

import numpy as np
import pytest
import torch

import torchseq as keras
from torchseq import layers


def mlp(input_dim=64):
    inputs = keras.Input(shape=(input_dim,))
    x = layers.Dense(32, activation="relu")(inputs)
    x = layers.Dense(32, activation="relu")(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def test_symbolic_calls_build_layers_without_computing():
    inputs = keras.Input(shape=(64,))
    dense = layers.Dense(32)
    out = dense(inputs)
    assert out.shape == (None, 32) and dense.built
    assert out.layer is dense and dense.output is out and dense.input is inputs


def test_functional_model_runs_and_counts():
    model = mlp()
    assert model.name == "functional"
    assert model.count_params() == 64 * 32 + 32 + 32 * 32 + 32 + 32 * 10 + 10
    out = model(torch.randn(5, 64))
    assert tuple(out.shape) == (5, 10)
    torch.testing.assert_close(out.sum(dim=1), torch.ones(5))
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Dense", "Dense", "Dense"]


def test_several_inputs_and_outputs_by_list_and_by_name():
    text = keras.Input(shape=(6,), name="text")
    question = keras.Input(shape=(4,), name="question")
    merged = layers.concatenate([layers.Dense(3)(text), layers.Dense(2)(question)])
    age = layers.Dense(1, name="age")(merged)
    income = layers.Dense(3, activation="softmax", name="income")(merged)
    model = keras.Model([text, question], [age, income])
    assert model.input_names == ["text", "question"]
    assert model.output_names == ["age", "income"]
    t, q = torch.randn(2, 6), torch.randn(2, 4)
    by_list = model([t, q])
    by_name = model({"question": q, "text": t})
    assert [tuple(o.shape) for o in by_list] == [(2, 1), (2, 3)]
    for a, b in zip(by_list, by_name):
        torch.testing.assert_close(a, b)
    with pytest.raises(ValueError, match="inputs named \\['text', 'question'\\].*unknown: \\['txt'\\]"):
        model({"txt": t, "question": q})
    with pytest.raises(ValueError, match="expects 2 input"):
        model([t])


def test_dict_outputs_are_returned_as_dicts():
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, {"a": layers.Dense(1)(inputs), "b": layers.Dense(2)(inputs)})
    out = model(torch.ones(1, 3))
    assert set(out) == {"a", "b"} and tuple(out["b"].shape) == (1, 2)
    assert model.output_names == ["a", "b"]


def test_shared_layers_share_weights():
    a = keras.Input(shape=(3,))
    b = keras.Input(shape=(3,))
    shared = layers.Dense(2)
    model = keras.Model([a, b], layers.add([shared(a), shared(b)]))
    assert model.count_params() == 8
    x = torch.randn(2, 3)
    torch.testing.assert_close(model([x, x]), 2 * shared(x))


def test_residual_connection():
    inputs = keras.Input(shape=(4,))
    x = layers.Dense(4, activation="relu")(inputs)
    outputs = layers.Add()([inputs, layers.Dense(4)(x)])
    model = keras.Model(inputs, outputs)
    data = torch.randn(3, 4)
    first, second = model.layers[1], model.layers[2]
    torch.testing.assert_close(model(data), data + second(first(data)))


def test_a_model_is_callable_like_a_layer():
    inner = mlp(8)
    inputs = keras.Input(shape=(8,))
    outer = keras.Model(inputs, layers.Dense(1)(inner(inputs)))
    assert outer.output_shape == (None, 1)
    x = torch.randn(2, 8)
    torch.testing.assert_close(outer(x), outer.layers[-1](inner(x)))


def test_a_model_inside_time_distributed():
    model = mlp(784)
    sequences = keras.Input(shape=(20, 784))
    processed = layers.TimeDistributed(model)(sequences)
    assert processed.shape == (None, 20, 10)
    video = keras.Model(sequences, processed)
    x = torch.randn(2, 20, 784)
    torch.testing.assert_close(video(x)[:, 3], model(x[:, 3]))


def test_an_intermediate_tensor_may_be_an_input():
    inputs = keras.Input(shape=(3,))
    hidden = layers.Dense(4)(inputs)
    head = layers.Dense(1)
    outputs = head(hidden)
    tail = keras.Model(hidden, outputs)
    x = torch.randn(2, 4)
    torch.testing.assert_close(tail(x), head(x))


def test_a_disconnected_graph_is_rejected():
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(3,), name="b")
    out = layers.Dense(1)(b)
    with pytest.raises(ValueError, match="Graph disconnected.*'b'"):
        keras.Model(a, out)


def test_non_symbolic_outputs_are_a_type_error():
    with pytest.raises(TypeError, match="symbolic tensors.*ndarray"):
        keras.Model(keras.Input(shape=(3,)), np.ones(3))


def test_functional_weights_match_keras_functional():
    keras_ref = pytest.importorskip("keras")
    inputs = keras_ref.Input(shape=(6,))
    x = keras_ref.layers.Dense(5, activation="tanh")(inputs)
    y = keras_ref.layers.Dense(3, activation="softmax")(x)
    reference = keras_ref.Model(inputs, [x, y])
    model_inputs = keras.Input(shape=(6,))
    mx = layers.Dense(5, activation="tanh")(model_inputs)
    my = layers.Dense(3, activation="softmax")(mx)
    model = keras.Model(model_inputs, [mx, my])
    model.set_weights(reference.get_weights())
    data = np.random.default_rng(0).standard_normal((4, 6)).astype("float32")
    for ours, theirs in zip(model(data), reference(data)):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().cpu().numpy(), atol=1e-6)
