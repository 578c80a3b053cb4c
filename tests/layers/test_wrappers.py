"""Tests for torchseq.layers.wrappers: TimeDistributed and TorchModule."""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from tests.layers.harness import to_numpy, to_torch
from torchseq.layers.core import Dense
from torchseq.layers.input_layer import Input
from torchseq.layers.layer import Layer
from torchseq.layers.wrappers import TimeDistributed, TorchModule, TorchModuleWrapper

# Keras's own Variable.__array__ predates numpy 2's copy keyword; the warning is not ours.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


# ---------------------------------------------------------------------- TimeDistributed parity


@dataclasses.dataclass
class WrappedCase:
    """TimeDistributed around ``inner`` (a class name in ``module``), the same for Keras."""

    inner: str
    kwargs: dict[str, Any]
    input_shape: tuple
    module: str = "torchseq.layers.core"
    atol: float = 1e-5

    def __str__(self) -> str:
        args = ",".join(f"{k}={v}" for k, v in self.kwargs.items())
        return f"TimeDistributed({self.inner}({args}))@{self.input_shape}"

    def make(self) -> TimeDistributed:
        inner_cls = getattr(pytest.importorskip(self.module), self.inner)
        return TimeDistributed(inner_cls(**self.kwargs))

    def make_keras(self) -> Any:
        keras = pytest.importorskip("keras")
        return keras.layers.TimeDistributed(getattr(keras.layers, self.inner)(**self.kwargs))

    def inputs(self) -> np.ndarray:
        return np.random.default_rng(0).standard_normal(self.input_shape).astype("float32")


_CONV = "torchseq.layers.convolutional"
_BATCH_NORM = "torchseq.layers.batch_normalization"
_NORM = "torchseq.layers.normalization"

TIME_DISTRIBUTED_CASES = [
    WrappedCase("Dense", {"units": 3}, (2, 5, 4)),
    WrappedCase("Dense", {"units": 2, "activation": "relu", "use_bias": False}, (2, 3, 4)),
    WrappedCase("Dense", {"units": 2, "activation": "softmax"}, (2, 3, 4, 5)),
    WrappedCase("Conv2D", {"filters": 4, "kernel_size": 3}, (2, 3, 6, 6, 2), _CONV),
    WrappedCase(
        "Conv2D", {"filters": 3, "kernel_size": 2, "strides": 2, "padding": "same"},
        (2, 2, 5, 5, 3), _CONV,
    ),
    WrappedCase(
        "Conv2D", {"filters": 2, "kernel_size": 3, "data_format": "channels_first"},
        (2, 3, 2, 6, 6), _CONV,
    ),
    WrappedCase("BatchNormalization", {}, (2, 3, 4), _BATCH_NORM),
    WrappedCase("LayerNormalization", {}, (2, 3, 4), _NORM),
]


@pytest.mark.parametrize("case", TIME_DISTRIBUTED_CASES, ids=str)
def test_time_distributed_matches_keras(case: WrappedCase) -> None:
    layer = case.make()
    reference = case.make_keras()
    inputs = case.inputs()
    expected = to_numpy(reference(inputs, training=False))
    layer(to_torch(inputs))
    assert [w.shape for w in layer.get_weights()] == [
        tuple(w.shape) for w in reference.get_weights()
    ]
    layer.set_weights(reference.get_weights())
    assert layer.count_params() == reference.count_params()
    np.testing.assert_allclose(to_numpy(layer(to_torch(inputs))), expected, atol=case.atol)
    symbolic = (None, *case.input_shape[1:])
    assert layer.compute_output_shape(symbolic) == reference.compute_output_shape(symbolic)


@pytest.mark.parametrize("case", TIME_DISTRIBUTED_CASES[:4], ids=str)
def test_time_distributed_output_shape_with_unknown_time(case: WrappedCase) -> None:
    layer = case.make()
    output = layer(Input(shape=(None, *case.input_shape[2:])))
    real = layer(to_torch(case.inputs()))
    assert output.shape == (None, None, *real.shape[2:])


@pytest.mark.parametrize("case", TIME_DISTRIBUTED_CASES[:4], ids=str)
def test_time_distributed_config_round_trip(case: WrappedCase) -> None:
    layer = case.make()
    config = layer.get_config()
    assert config["layer"]["class_name"] == case.inner
    clone = TimeDistributed.from_config(config)
    assert clone.get_config() == config
    assert clone.layer is not layer.layer


@pytest.mark.parametrize("case", TIME_DISTRIBUTED_CASES[:4], ids=str)
def test_time_distributed_state_dict_round_trip(case: WrappedCase) -> None:
    inputs = to_torch(case.inputs())
    first, second = case.make(), case.make()
    first(inputs)
    second(inputs)
    second.load_state_dict(first.state_dict())
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(to_numpy(first(inputs)), to_numpy(second(inputs)))


# ---------------------------------------------------------------------- TimeDistributed behaviour


def test_time_distributed_weights_are_the_inner_layers() -> None:
    inner = Dense(3)
    layer = TimeDistributed(inner)
    assert layer.weights == []
    layer(torch.ones(2, 5, 4))
    assert inner.built
    assert [w is v for w, v in zip(layer.weights, inner.weights)] == [True, True]
    assert [w.path for w in layer.weights] == ["dense/kernel", "dense/bias"]
    assert list(layer.state_dict()) == ["layer.kernel", "layer.bias"]
    assert layer.count_params() == 15


def test_time_distributed_feeds_a_view_of_the_input() -> None:
    seen = []
    inner = Dense(3)
    inner.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    x = torch.randn(2, 5, 4)
    TimeDistributed(inner)(x)
    assert seen[0].shape == (10, 4)
    assert seen[0].data_ptr() == x.data_ptr()


def test_time_distributed_is_one_batched_call_per_step() -> None:
    # Same numbers as applying the inner layer to each step by hand.
    inner = Dense(3, activation="tanh")
    layer = TimeDistributed(inner)
    x = torch.randn(2, 4, 5)
    expected = torch.stack([inner(x[:, t]) for t in range(4)], dim=1)
    torch.testing.assert_close(layer(x), expected)


def test_time_distributed_passes_training_mode() -> None:
    layer = TimeDistributed(TorchModule(nn.Dropout(0.5)))
    x = torch.ones(4, 3, 50)
    torch.testing.assert_close(layer(x), x)
    trained = layer(x, training=True)
    assert (trained == 0).any() and (trained == 2).any()
    assert not layer.training and not layer.layer.module.training
    torch.testing.assert_close(layer(x), x)


class _MaskedMean(Layer):
    """Mean over the last axis of the unmasked entries; records the mask it got."""

    def call(self, inputs: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        self.received_mask = mask
        if mask is None:
            return inputs.mean(-1)
        weights = mask.to(inputs.dtype)
        return (inputs * weights).sum(-1) / weights.sum(-1)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape[:-1]


def test_time_distributed_passes_the_mask_per_step() -> None:
    layer = TimeDistributed(_MaskedMean())
    x = torch.arange(24.0).reshape(2, 3, 4)
    mask = torch.tensor([True, True, False, False]).expand(2, 3, 4)
    output = layer(x, mask=mask)
    assert layer.layer.received_mask.shape == (6, 4)
    torch.testing.assert_close(output, x[..., :2].mean(-1))
    assert layer.supports_masking


def test_time_distributed_rejects_a_mask_of_another_shape() -> None:
    layer = TimeDistributed(_MaskedMean())
    with pytest.raises(ValueError, match=r"mask must start with.*\(2, 3\).*\(2, 4, 4\)"):
        layer(torch.ones(2, 3, 4), mask=torch.ones(2, 4, 4, dtype=torch.bool))


def test_time_distributed_not_trainable_freezes_the_inner_layer() -> None:
    layer = TimeDistributed(Dense(3), trainable=False)
    layer(torch.ones(1, 2, 4))
    assert layer.trainable_weights == []
    assert len(layer.non_trainable_weights) == 2
    assert not layer.layer.trainable


@pytest.mark.parametrize(
    ("inner", "received"),
    [("dense", "received: 'dense' of type str"), (3, "received: 3 of type int")],
)
def test_time_distributed_rejects_a_non_layer(inner: object, received: str) -> None:
    with pytest.raises(TypeError, match=f"TimeDistributed: layer must be a torchseq Layer.*{received}"):
        TimeDistributed(inner)  # type: ignore[arg-type]


def test_time_distributed_points_plain_modules_to_torch_module() -> None:
    with pytest.raises(TypeError, match=r"of type Linear.*TorchModule\(module\)"):
        TimeDistributed(nn.Linear(2, 2))  # type: ignore[arg-type]


def test_time_distributed_rejects_rank_2_input() -> None:
    with pytest.raises(ValueError, match=r"at least 3 dimensions.*\(2, 4\)"):
        TimeDistributed(Dense(3))(torch.ones(2, 4))
    with pytest.raises(ValueError, match=r"at least 3 dimensions.*\(None, 4\)"):
        TimeDistributed(Dense(3))(Input(shape=(4,)))
    built = TimeDistributed(Dense(3))
    built(torch.ones(2, 5, 4))
    with pytest.raises(ValueError, match=r'"time_distributed_2".*at least 3 dimensions'):
        built(torch.ones(2, 4))


def test_time_distributed_checks_the_built_inner_layer_symbolically() -> None:
    inner = Dense(3)
    inner(torch.ones(1, 4))
    with pytest.raises(ValueError, match=r'"dense".*axis -1.*value 4.*\(None, 5\)'):
        TimeDistributed(inner)(Input(shape=(2, 5)))


def test_time_distributed_of_a_torch_module_infers_shapes() -> None:
    layer = TimeDistributed(TorchModule(nn.Conv1d(2, 4, 3)))
    output = layer(Input(shape=(None, 2, 7)))
    assert output.shape == (None, None, 4, 5)
    assert layer(torch.ones(3, 2, 2, 7)).shape == (3, 2, 4, 5)


# ---------------------------------------------------------------------- TimeDistributed of models


def _sequential(keras: Any, input_dim: int) -> Any:
    return keras.Sequential(
        [keras.Input(shape=(input_dim,)), keras.layers.Dense(4, activation="relu"),
         keras.layers.Dense(2)]
    )


def _functional(keras: Any, input_dim: int) -> Any:
    inputs = keras.Input(shape=(input_dim,))
    outputs = keras.layers.Dense(2)(keras.layers.Dense(4, activation="relu")(inputs))
    return keras.Model(inputs, outputs)


@pytest.mark.parametrize("make_model", [_sequential, _functional])
def test_time_distributed_of_a_model_matches_keras(make_model: Any) -> None:
    pytest.importorskip("torchseq.models.sequential")
    keras = pytest.importorskip("keras")
    import torchseq

    reference = keras.layers.TimeDistributed(make_model(keras, 5))
    layer = TimeDistributed(make_model(torchseq, 5))
    x = np.random.default_rng(0).standard_normal((2, 3, 5)).astype("float32")
    expected = to_numpy(reference(x))
    layer(torch.from_numpy(x))
    layer.set_weights(reference.get_weights())
    assert layer.count_params() == reference.count_params()
    np.testing.assert_allclose(to_numpy(layer(torch.from_numpy(x))), expected, atol=1e-5)
    assert layer(Input(shape=(None, 5))).shape == (None, None, 2)


# ---------------------------------------------------------------------- TorchModule weights


def _mlp() -> nn.Sequential:
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))


def test_torch_module_weights_are_the_module_parameters() -> None:
    module = _mlp()
    layer = TorchModule(module)
    assert layer.built
    assert [w is p for w, p in zip(layer.weights, module.parameters())] == [True] * 4
    assert layer.count_params() == sum(p.numel() for p in module.parameters()) == 58
    assert len(layer.trainable_weights) == 4
    assert layer.non_trainable_weights == []


def test_torch_module_buffers_are_non_trainable_weights() -> None:
    module = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    layer = TorchModule(module)
    batch_norm = module[1]
    assert layer.non_trainable_weights == [batch_norm.running_mean, batch_norm.running_var]
    assert len(layer.trainable_weights) == 4
    assert layer.count_params() == 16 + 8 + 8


def test_torch_module_get_set_weights_round_trip() -> None:
    module = _mlp()
    layer = TorchModule(module)
    weights = layer.get_weights()
    assert [w.shape for w in weights] == [(8, 4), (8,), (2, 8), (2,)]  # torch layouts
    layer.set_weights([w + 1 for w in weights])
    np.testing.assert_array_equal(to_numpy(module[0].weight), weights[0] + 1)
    for new, old in zip(layer.get_weights(), weights):
        np.testing.assert_array_equal(new, old + 1)


def test_torch_module_state_dict_round_trip() -> None:
    first, second = TorchModule(_mlp()), TorchModule(_mlp())
    assert list(first.state_dict()) == [
        "module.0.weight", "module.0.bias", "module.2.weight", "module.2.bias",
    ]
    second.load_state_dict(first.state_dict())
    x = torch.randn(3, 4)
    torch.testing.assert_close(first(x), second(x))


def test_torch_module_not_trainable_freezes_every_parameter() -> None:
    module = _mlp()
    layer = TorchModule(module, trainable=False)
    assert not any(p.requires_grad for p in module.parameters())
    assert layer.trainable_weights == []
    assert len(layer.non_trainable_weights) == 4
    layer.trainable = True
    assert all(p.requires_grad for p in module.parameters())


def test_torch_module_gradients_reach_the_module() -> None:
    module = _mlp()
    TorchModule(module)(torch.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in module.parameters())


# ---------------------------------------------------------------------- TorchModule shapes


class _Patches(nn.Module):
    """Non-overlapping 2x2 patches of a (batch, channels, height, width) image, flattened."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.unfold(x, kernel_size=2, stride=2).transpose(1, 2)


@pytest.mark.parametrize(
    ("module", "input_shape", "expected"),
    [
        (_mlp(), (4,), (None, 2)),
        (nn.Sequential(nn.Conv2d(3, 8, 3, stride=2), nn.Flatten()), (3, 9, 9), (None, 128)),
        (nn.Conv1d(4, 6, 3, padding=1), (4, None), (None, 6, None)),
        (_Patches(), (3, 6, 8), (None, 12, 12)),
        (nn.Embedding(10, 3), (5,), (None, 5, 3)),
    ],
    ids=["mlp", "conv-flatten", "conv1d-unknown-length", "patches", "embedding"],
)
def test_torch_module_infers_output_shape(
    module: nn.Module, input_shape: tuple, expected: tuple
) -> None:
    layer = TorchModule(module)
    dtype = "int64" if isinstance(module, nn.Embedding) else None
    output = layer(Input(shape=input_shape, dtype=dtype))
    assert output.shape == expected
    if dtype is None:
        assert layer.compute_output_shape((None, *input_shape)) == expected


def test_torch_module_tuple_output_shapes() -> None:
    layer = TorchModule(nn.LSTM(4, 5, batch_first=True))
    sequence, (hidden, cell) = layer(Input(shape=(7, 4)))
    assert sequence.shape == (None, 7, 5)
    assert hidden.shape == cell.shape == (1, None, 5)


class _Explodes(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise AssertionError("shape inference must not run the module")


def test_torch_module_declared_output_shape_runs_nothing() -> None:
    layer = TorchModule(_Explodes(), output_shape=(None, 7))
    assert layer(Input(shape=(3,))).shape == (None, 7)
    assert layer.compute_output_shape((None, 3)) == (None, 7)
    assert layer.get_config()["output_shape"] == (None, 7)


def test_torch_module_shape_inference_leaves_state_and_mode_alone() -> None:
    module = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.5))
    layer = TorchModule(module)
    layer.train()
    module[2].eval()  # a mixed mode must survive too
    layer(Input(shape=(3,)))
    assert int(module[1].num_batches_tracked) == 0
    torch.testing.assert_close(module[1].running_mean, torch.zeros(4))
    assert [m.training for m in module] == [True, True, False]


def test_torch_module_with_several_inputs_in_a_functional_model() -> None:
    pytest.importorskip("torchseq.models.model")
    from torchseq.models import Model

    class AddProject(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = nn.Linear(4, 2)

        def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            return self.linear(a + b)

    a, b = Input(shape=(4,)), Input(shape=(4,))
    layer = TorchModule(AddProject())
    outputs = layer(a, b)
    assert outputs.shape == (None, 2)
    model = Model([a, b], Dense(1)(outputs))
    x, y = torch.randn(3, 4), torch.randn(3, 4)
    assert model([x, y]).shape == (3, 1)
    assert model.count_params() == 10 + 3


def test_torch_module_follows_the_float64_module_dtype() -> None:
    layer = TorchModule(nn.Linear(3, 2).double())
    assert layer.dtype == "float64"
    assert layer(Input(shape=(3,), dtype="float64")).dtype == "float64"


# ---------------------------------------------------------------------- TorchModule modes


def test_torch_module_training_mode_follows_the_layer() -> None:
    module = nn.Dropout(0.5)
    module.train()
    layer = TorchModule(module)
    assert not module.training  # wrapped modules start in inference mode, like layers
    x = torch.ones(8, 50)
    torch.testing.assert_close(layer(x), x)
    trained = layer(x, training=True)
    assert (trained == 0).any() and (trained == 2).any()
    assert not module.training
    layer.train()
    assert module.training
    torch.testing.assert_close(layer(x, training=False), x)
    assert module.training


# ---------------------------------------------------------------------- TorchModule summary


def test_torch_module_summary_rows() -> None:
    layer = TorchModule(nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2)))
    assert layer.summary_rows() == [
        ("0", "Linear", None, 40),
        ("1", "BatchNorm1d", None, 32),
        ("2", "ReLU", None, 0),
        ("3", "Linear", None, 18),
    ]
    layer(Input(shape=(4,)))
    assert [row[2] for row in layer.summary_rows()] == [(None, 8), (None, 8), (None, 8), (None, 2)]
    assert [row[2] for row in layer.summary_rows((5, 4))] == [(5, 8), (5, 8), (5, 8), (5, 2)]


def test_torch_module_summary_rows_of_a_leaf_module() -> None:
    assert TorchModule(nn.Linear(2, 3)).summary_rows((None, 2)) == []


def test_torch_module_in_a_sequential_summary() -> None:
    pytest.importorskip("torchseq.models.sequential")
    from torchseq.models import Sequential

    model = Sequential([Input(shape=(4,)), TorchModule(_mlp()), Dense(3)])
    assert model.count_params() == 58 + 9
    lines: list[str] = []
    model.summary(print_fn=lines.append, expand_nested=True, line_length=120)
    text = "".join(lines)
    assert "torch_module (TorchModule(Sequential))" in text
    assert "└ 2 (Linear)" in text
    assert "(None, 2)" in text


# ---------------------------------------------------------------------- TorchModule config


def test_torch_module_config_names_the_module_class() -> None:
    layer = TorchModule(_mlp(), name="backbone")
    config = layer.get_config()
    assert config["module_class"] == "torch.nn.modules.container.Sequential"
    assert config["name"] == "backbone"
    with pytest.raises(ValueError, match=r"container.Sequential\) cannot be rebuilt from a config"):
        TorchModule.from_config(config)


def test_torch_module_names_and_repr() -> None:
    layer = TorchModule(nn.Linear(2, 3))
    assert layer.name == "torch_module"
    assert layer.type_name == "TorchModule(Linear)"
    assert repr(layer) == "<TorchModule(Linear) name=torch_module, built=True>"
    alias = TorchModuleWrapper(nn.Linear(2, 3))
    assert alias.name == "torch_module_wrapper"
    assert alias.type_name == "TorchModuleWrapper(Linear)"


@pytest.mark.parametrize(
    ("module", "error", "message"),
    [
        ("linear", TypeError, r"must be a torch.nn.Module, received: 'linear' of type str"),
        (Dense(2, name="dense"), TypeError, r'already a torchseq layer \(Dense "dense"\)'),
        (nn.LazyLinear(3), ValueError, r"uninitialized lazy parameters.*LazyLinear"),
        (nn.Sequential(nn.LazyLinear(3)), ValueError, r"uninitialized lazy parameters"),
    ],
    ids=["string", "torchseq-layer", "lazy", "nested-lazy"],
)
def test_torch_module_rejects_bad_modules(module: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        TorchModule(module)


def test_torch_module_rejects_a_bad_output_shape() -> None:
    with pytest.raises(TypeError, match=r"output_shape must be a tuple.*output_shape='7'"):
        TorchModule(nn.Linear(2, 3), output_shape="7")


def test_wrappers_module_exports() -> None:
    wrappers = importlib.import_module("torchseq.layers.wrappers")
    assert sorted(wrappers.__all__) == [
        "TimeDistributed", "TorchModule", "TorchModuleWrapper", "Wrapper",
    ]

