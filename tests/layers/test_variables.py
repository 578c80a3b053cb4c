"""Weights and metric state are Keras variables and stay the tensors torch trains."""

from __future__ import annotations

import copy
import io

import numpy as np
import pytest
import torch
from torch import nn

import torchseq as keras
from torchseq import metrics
from torchseq.layers.variables import Buffer, Parameter, Variable


def _conv_model() -> keras.Sequential:
    model = keras.Sequential(
        [
            keras.Input((6, 6, 2)),
            keras.layers.Conv2D(3, 3, name="conv"),
            keras.layers.BatchNormalization(name="norm"),
            keras.layers.Flatten(name="flat"),
            keras.layers.Dense(2, name="head"),
        ]
    )
    return model


def _faces(model: nn.Module) -> dict[str, tuple[type, str]]:
    return {key: (type(t), t.path) for key, t in model.state_dict(keep_vars=True).items()}


# ---------------------------------------------------------------- what a weight is


def test_trainable_weight_is_a_parameter_with_the_variable_face():
    model = _conv_model()
    kernel = model.get_layer("head").kernel
    assert isinstance(kernel, nn.Parameter) and isinstance(kernel, Variable)
    assert type(kernel) is Parameter
    assert (kernel.path, kernel.name, kernel.trainable) == ("head/kernel", "kernel", True)
    assert kernel.dtype == torch.float32 and kernel.dtype_name == "float32"
    assert any(p is kernel for p in model.parameters())


def test_non_trainable_weight_is_a_buffer_with_the_variable_face():
    mean = _conv_model().get_layer("norm").moving_mean
    assert type(mean) is Buffer and not isinstance(mean, nn.Parameter)
    assert (mean.path, mean.name, mean.trainable) == ("norm/moving_mean", "moving_mean", False)
    with pytest.raises(ValueError, match=r"norm/moving_mean.*received: trainable=True"):
        mean.trainable = True


def test_trainable_follows_the_layer_and_can_be_set():
    model = _conv_model()
    head = model.get_layer("head")
    head.trainable = False
    assert head.kernel.trainable is False and not head.kernel.requires_grad
    head.kernel.trainable = True
    assert head.kernel.requires_grad


def test_operations_give_plain_tensors():
    kernel = _conv_model().get_layer("head").kernel
    assert type(kernel * 2) is torch.Tensor
    assert type(kernel.detach()) is torch.Tensor
    assert repr(kernel).startswith("Parameter containing:\ntensor(")


# ---------------------------------------------------------------- numpy, value, assign


def test_numpy_works_when_the_weight_requires_grad_and_is_a_copy():
    bias = _conv_model().get_layer("head").bias
    assert bias.requires_grad
    array = bias.numpy()
    array[:] = 7.0
    np.testing.assert_array_equal(bias.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(np.asarray(bias), [0.0, 0.0])


def test_conv_kernel_speaks_keras_layout():
    conv = _conv_model().get_layer("conv")
    assert tuple(conv.kernel.shape) == (3, 2, 3, 3)  # stored as torch's kernel wants
    assert tuple(conv.kernel.value.shape) == (3, 3, 2, 3)
    assert conv.kernel.numpy().shape == (3, 3, 2, 3)
    np.testing.assert_array_equal(conv.kernel.numpy(), conv.get_weights()[0])
    assert conv.kernel.value.requires_grad  # a view that stays differentiable


@pytest.mark.parametrize(
    "make_value",
    [
        lambda: np.full((3, 2), 0.5),
        lambda: [[0.5, 0.5]] * 3,
        lambda: torch.full((3, 2), 0.5, dtype=torch.float64, requires_grad=True),
    ],
    ids=["numpy", "list", "tensor"],
)
def test_assign_writes_in_place_without_autograd(make_value):
    dense = keras.layers.Dense(2)
    dense(torch.ones(1, 3))
    kernel = dense.kernel
    result = kernel.assign(make_value())
    assert result is kernel
    assert kernel.is_leaf and kernel.grad_fn is None and kernel.requires_grad
    assert kernel.dtype == torch.float32
    np.testing.assert_array_equal(kernel.numpy(), np.full((3, 2), 0.5, "float32"))


def test_assign_scalar_add_and_sub():
    dense = keras.layers.Dense(2)
    dense(torch.ones(1, 3))
    dense.bias.assign([1.0, 2.0]).assign_add(1.0)
    np.testing.assert_array_equal(dense.bias.numpy(), [2.0, 3.0])
    dense.bias.assign_sub(np.array([2.0, 1.0]))
    np.testing.assert_array_equal(dense.bias.numpy(), [0.0, 2.0])
    mean = metrics.Mean()
    mean.total.assign(3)
    assert mean.total.numpy() == 3.0


def test_assign_another_variable_takes_its_keras_value():
    first, second = _conv_model(), _conv_model()
    second.get_layer("conv").kernel.assign(first.get_layer("conv").kernel)
    np.testing.assert_array_equal(
        second.get_layer("conv").kernel.numpy(), first.get_layer("conv").kernel.numpy()
    )


def test_assign_shape_error_names_the_path_and_both_shapes():
    model = _conv_model()
    with pytest.raises(
        ValueError,
        match=r'"head/bias": assign expected a value of shape \(2,\), received: .*\(3,\)',
    ):
        model.get_layer("head").bias.assign([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"\(3, 3, 2, 3\).*\(3, 2, 3, 3\); that is the stored"):
        model.get_layer("conv").kernel.assign(np.zeros((3, 2, 3, 3)))


def test_assign_then_predict_matches_keras():
    reference_keras = pytest.importorskip("keras")
    model = _conv_model()
    reference = reference_keras.Sequential(
        [
            reference_keras.Input((6, 6, 2)),
            reference_keras.layers.Conv2D(3, 3),
            reference_keras.layers.BatchNormalization(),
            reference_keras.layers.Flatten(),
            reference_keras.layers.Dense(2),
        ]
    )
    model.set_weights(reference.get_weights())
    rng = np.random.default_rng(0)
    new_kernel = rng.standard_normal((3, 3, 2, 3)).astype("float32")
    new_mean = rng.standard_normal(3).astype("float32")
    for source, target in ((reference.layers[0], model.get_layer("conv")),):
        source.kernel.assign(new_kernel)
        target.kernel.assign(new_kernel)
    reference.layers[1].moving_mean.assign(new_mean)
    model.get_layer("norm").moving_mean.assign(new_mean)
    reference.layers[3].bias.assign_add(np.array([0.5, -0.5], "float32"))
    model.get_layer("head").bias.assign_add(np.array([0.5, -0.5], "float32"))
    x = rng.standard_normal((4, 6, 6, 2)).astype("float32")
    np.testing.assert_allclose(
        model.predict(x, verbose=0), reference.predict(x, verbose=0), atol=1e-5
    )
    for ours, theirs in zip(model.weights, reference.weights):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert ours.name == theirs.name
        assert ours.dtype_name == theirs.dtype


# ---------------------------------------------------------------- the face survives torch


def test_face_survives_dtype_moves_deepcopy_and_assign_loads():
    model = _conv_model()
    expected = _faces(model)
    model.to(torch.float64)
    assert _faces(model) == expected
    assert model.get_layer("norm").moving_variance.dtype_name == "float64"
    assert _faces(copy.deepcopy(model)) == expected
    clone = _conv_model()
    clone.load_state_dict(model.state_dict(), assign=True)
    assert _faces(clone) == expected


def test_face_survives_full_pickling():
    model = _conv_model()
    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    assert _faces(loaded) == _faces(model)


def test_state_dict_keys_and_weights_only_loading_are_unchanged():
    model = _conv_model()
    state = model.state_dict()
    assert all(type(value) is torch.Tensor for value in state.values())
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)
    assert list(loaded) == list(state)
    clone = _conv_model()
    clone.load_state_dict(loaded)
    assert _faces(clone) == _faces(model)


def test_pickled_weights_load_with_weights_only_as_plain_torch_tensors():
    model = _conv_model()
    buffer = io.BytesIO()
    torch.save(list(model.parameters()) + list(model.buffers()), buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)
    assert {type(t) for t in loaded} == {nn.Parameter, torch.Tensor}
    assert loaded[0].path == "conv/kernel"


def test_optimizer_step_and_compile_see_a_plain_parameter():
    model = _conv_model()
    model.compile(optimizer="adam", loss="mse")
    x, y = np.ones((4, 6, 6, 2), "float32"), np.zeros((4, 2), "float32")
    model.fit(x, y, epochs=1, verbose=0)
    assert _faces(model) == _faces(_conv_model())
    torch._dynamo.reset()
    explanation = torch._dynamo.explain(model)(torch.ones(2, 6, 6, 2))
    torch._dynamo.reset()
    assert explanation.graph_break_count == 0


def test_torch_optim_keeps_its_multi_tensor_kernels_for_weights():
    from torch.optim.optimizer import _foreach_supported_types

    kernel = _conv_model().get_layer("head").kernel
    assert type(kernel) in _foreach_supported_types


# ---------------------------------------------------------------- metric state


def test_metric_variables_are_keras_variables():
    mean = metrics.Mean(name="loss_mean")
    assert [v.path for v in mean.variables] == ["loss_mean/total", "loss_mean/count"]
    mean.update_state([1.0, 3.0])
    assert mean.variables[0].numpy() == 4.0
    mean.to(torch.float64)
    assert type(mean.total) is Buffer and mean.total.dtype_name == "float64"
    mean.count.assign(4.0)
    assert float(mean.result()) == 1.0


def test_a_standalone_variable_is_made_as_in_keras():
    value = keras.Variable(np.arange(3.0), name="scale")
    assert isinstance(value, Parameter) and value.trainable and value.path == "scale"
    assert value.dtype == torch.float32  # floatx, as Keras casts a float64 value
    ones = keras.Variable("ones", shape=(2, 2), trainable=False)
    assert isinstance(ones, Buffer) and not ones.trainable and ones.path == "variable"
    np.testing.assert_array_equal(ones.numpy(), np.ones((2, 2), "float32"))
    init = keras.Variable(keras.initializers.Constant(2.0), shape=(2,), dtype="float64")
    assert init.dtype == torch.float64 and init.numpy().tolist() == [2.0, 2.0]
    with pytest.raises(ValueError, match="needs the variable's shape, received: shape=None"):
        keras.Variable("zeros")
    with pytest.raises(ValueError, match="without '/', received: name='a/b'"):
        keras.Variable(1.0, name="a/b")


def _with_variables(library):
    """keras.io's LayerWithCustomVariable, plus a non-trainable variable."""

    class WithVariables(library.layers.Dense):
        def __init__(self, units):
            super().__init__(units)
            self.offset = library.Variable(np.zeros((units,)), name="offset", dtype="float32")
            self.frozen = library.Variable("ones", shape=(units,), trainable=False, name="frozen")

        def call(self, inputs):
            return super().call(inputs) * self.frozen + self.offset

    return WithVariables(2)


def test_a_variable_set_on_a_layer_is_tracked_in_keras_order():
    expected = _with_variables(pytest.importorskip("keras"))
    expected(np.ones((1, 3), "float32"))
    layer = _with_variables(keras)
    layer(np.ones((1, 3), "float32"))
    assert [w.path for w in layer.weights] == [w.path for w in expected.weights]
    assert [w.name for w in layer.trainable_weights] == ["offset", "kernel", "bias"]
    layer.set_weights([w.numpy() + 1.0 for w in layer.weights])
    assert layer.offset.numpy().tolist() == [1.0, 1.0]
    assert dict(layer.named_parameters())["offset"] is layer.offset  # the optimizer sees it
