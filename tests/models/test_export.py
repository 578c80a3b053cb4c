"""``torch.export`` and ONNX export of Sequential and Functional models; ``torch.compile``
of the seed MLP without graph breaks."""

import importlib.util

import numpy as np
import pytest
import torch

import torchseq as keras


def seed_mlp():
    model = keras.Sequential()
    model.add(keras.layers.Dense(64, activation="relu", input_dim=20))
    model.add(keras.layers.Dropout(0.5))
    model.add(keras.layers.Dense(64, activation="relu"))
    model.add(keras.layers.Dropout(0.5))
    model.add(keras.layers.Dense(10, activation="softmax"))
    return model


def functional_two_branches():
    inputs = keras.Input((20,))
    hidden = keras.layers.Dense(8, activation="tanh")(inputs)
    merged = keras.layers.Concatenate()([hidden, keras.layers.Dense(4)(inputs)])
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(merged))


def conv_sequential():
    return keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(2),
        ]
    )


def functional_with_ops():
    inputs = keras.Input((20,))
    hidden = keras.ops.tanh(keras.layers.Dense(8)(inputs)) * 2.0
    shifted = hidden - keras.ops.mean(inputs, axis=-1, keepdims=True)
    return keras.Model(inputs, keras.layers.Dense(3)(shifted[:, :6]))


BUILDERS = [seed_mlp, functional_two_branches, functional_with_ops]


def inputs_for(model, batch=5):
    shape = (batch, *model.input_shape[1:])
    return torch.as_tensor(np.random.default_rng(0).standard_normal(shape).astype("float32"))


@pytest.mark.parametrize("builder", [*BUILDERS, conv_sequential])
def test_torch_export_gives_the_same_outputs(builder):
    model = builder()
    x = inputs_for(model)
    program = torch.export.export(model, (x,))
    torch.testing.assert_close(program.module()(x), model(x))
    assert "layers.0.kernel" in program.state_dict or "layers.1.kernel" in program.state_dict


def test_an_exported_program_takes_any_batch_size_with_a_dynamic_batch():
    model = seed_mlp()
    batch = torch.export.Dim("batch")
    program = torch.export.export(
        model, (inputs_for(model),), dynamic_shapes={"args": ({0: batch},)}
    )
    x = inputs_for(model, batch=9)
    torch.testing.assert_close(program.module()(x), model(x))


def test_model_layers_is_a_list_copy_and_a_module_list():
    model = seed_mlp()
    layers = model.layers
    assert isinstance(layers, torch.nn.ModuleList)
    assert layers == list(layers) and len(layers) == 5
    layers.append(keras.layers.Dense(1))
    assert len(model.layers) == 5
    assert model.get_parameter("layers.0.kernel") is model.layers[0].kernel
    assert repr(model.layers).startswith("[<Dense name=")
    assert isinstance(model.layers[:2] + [keras.layers.Dense(1)], list)


@pytest.mark.parametrize("builder", BUILDERS)
def test_models_compile_without_graph_breaks(builder):
    model = builder()
    explanation = torch._dynamo.explain(model)(inputs_for(model))
    assert explanation.graph_break_count == 0, explanation.break_reasons


@pytest.mark.skipif(
    not all(importlib.util.find_spec(name) for name in ("onnx", "onnxscript", "onnxruntime")),
    reason="ONNX export needs onnx, onnxscript and onnxruntime",
)
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize("builder", BUILDERS)
def test_onnx_export_runs_in_onnxruntime(builder, tmp_path):
    import onnxruntime

    model = builder()
    x = inputs_for(model)
    path = tmp_path / "model.onnx"
    torch.onnx.export(model, (x,), str(path), dynamo=True, verbose=False)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (name,) = [entry.name for entry in session.get_inputs()]
    (actual,) = session.run(None, {name: x.numpy()})
    np.testing.assert_allclose(actual, model(x).detach().numpy(), atol=1e-5, rtol=1e-5)
