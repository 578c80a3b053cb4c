"""The names Keras exports at the top level: version, name_scope, device, the base classes,
Function; and keras.utils' small helpers (is_keras_tensor, get_source_inputs, Config)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch
from keras.src.backend.common import name_scope as keras_name_scope

import torchseq
from torchseq import name_scopes as name_scope_module
from torchseq.device_scope import current_device

_CLASSES = [
    "Function",
    "Initializer",
    "InputSpec",
    "KerasTensor",
    "Loss",
    "Metric",
    "Operation",
    "Optimizer",
    "Regularizer",
    "Variable",
]


def test_version_is_torchseqs():
    assert torchseq.version() == torchseq.__version__
    assert isinstance(keras.version(), str)


@pytest.mark.parametrize("name", _CLASSES)
def test_keras_top_level_classes_are_exported(name):
    assert hasattr(keras, name)
    assert isinstance(getattr(torchseq, name), type)
    assert name in torchseq.__all__


def test_exported_classes_type_the_objects_users_make():
    layer = torchseq.layers.Dense(2)
    layer(np.ones((1, 3), "float32"))
    assert isinstance(layer.kernel, torchseq.Variable)
    assert isinstance(torchseq.Input((3,)), torchseq.KerasTensor)
    assert isinstance(torchseq.losses.MeanSquaredError(), torchseq.Loss)
    assert isinstance(torchseq.metrics.Mean(), torchseq.Metric)
    assert isinstance(torchseq.optimizers.SGD(), torchseq.Optimizer)
    assert isinstance(torchseq.initializers.Zeros(), torchseq.Initializer)
    assert isinstance(torchseq.regularizers.L2(), torchseq.Regularizer)
    assert isinstance(torchseq.ops.mean(torchseq.Input((3,)), axis=1).layer, torchseq.Operation)


# ------------------------------------------------------------------ name_scope


def _paths(module, scope_class):
    record = []
    with scope_class("outer"):
        record.append(module.current_path())
        with scope_class("inner"):
            record.append(module.current_path())
            with scope_class("reset", override_parent="model/block"):
                record.append(module.current_path())
        record.append(module.current_path())
    record.append(module.current_path())
    return record


def test_name_scope_paths_match_keras():
    ours = _paths(name_scope_module, torchseq.name_scope)
    theirs = _paths(keras_name_scope, keras.name_scope)
    assert ours == theirs == ["outer", "outer/inner", "model/block/reset", "outer", ""]


def test_name_scope_deduplicates_a_callers_reentry_as_keras_does():
    caller = object()
    for module, scope_class in (
        (name_scope_module, torchseq.name_scope),
        (keras_name_scope, keras.name_scope),
    ):
        with scope_class("layer", caller=caller), scope_class("layer", caller=caller):
            assert module.current_path() == "layer"
        with scope_class("layer", caller=caller), scope_class("layer", caller=object()):
            assert module.current_path() == "layer/layer"


def test_name_scope_pops_when_the_block_raises():
    with pytest.raises(RuntimeError), torchseq.name_scope("broken"):
        raise RuntimeError
    assert name_scope_module.current_path() == ""


@pytest.mark.parametrize("name", ["a/b", "", 3])
def test_name_scope_refuses_bad_names(name):
    with pytest.raises(ValueError, match="non-empty string without '/', received: name="):
        torchseq.name_scope(name)


# ------------------------------------------------------------------ device


def test_device_scope_chooses_where_weights_are_created():
    with torchseq.device("cpu") as chosen:
        assert chosen == torch.device("cpu")
        assert current_device() == torch.device("cpu")
        assert torch.get_default_device() == torch.device("cpu")
        model = torchseq.Sequential([torchseq.Input((3,)), torchseq.layers.Dense(2)])
    assert current_device() is None
    assert all(weight.device.type == "cpu" for weight in model.weights)


def test_device_scope_restores_the_default_when_the_block_raises():
    before = torch.get_default_device()
    with pytest.raises(RuntimeError), torchseq.device("cpu"):
        raise RuntimeError
    assert torch.get_default_device() == before
    assert current_device() is None


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        (
            "tpu-ish",
            ValueError,
            r"'cpu', 'cuda', 'cuda:1' or 'gpu:0', received: device_name='tpu-ish'",
        ),
        ("meta", ValueError, "cannot be 'meta'"),
        (0, TypeError, "received: device_name=0 of type int"),
    ],
)
def test_device_scope_refuses_bad_names(name, error, message):
    with pytest.raises(error, match=message), torchseq.device(name):
        pass


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_device_scope_creates_weights_on_the_gpu():
    with torchseq.device("gpu:0"):
        layer = torchseq.layers.Dense(2)
        built = torchseq.Sequential([torchseq.Input((3,)), torchseq.layers.Dense(2)])
    outputs = layer(torch.ones(1, 3, device="cuda"))  # built outside the scope
    assert outputs.device.type == "cuda"
    assert {w.device.type for w in layer.weights} == {"cuda"}
    assert {w.device.type for w in built.weights} == {"cuda"}


# ------------------------------------------------------------------ Function


def _copy_weights(source, target):
    for theirs, ours in zip(source.weights, target.weights):
        ours.assign(np.asarray(theirs.numpy()))


def test_function_matches_keras_with_the_same_weights():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(4, 3)).astype("float32")
    graphs = []
    for lib in (keras, torchseq):
        inputs = lib.Input((3,))
        dense = lib.layers.Dense(2)
        hidden = dense(inputs)
        graphs.append(
            (lib.Function(inputs, {"y": hidden, "z": lib.ops.mean(hidden, axis=1)}), dense)
        )
    (theirs, their_dense), (ours, our_dense) = graphs
    _copy_weights(their_dense, our_dense)
    expected = {key: np.asarray(value.detach().cpu()) for key, value in theirs(data).items()}
    received = ours(data)
    for key in ("y", "z"):
        np.testing.assert_allclose(received[key].detach().numpy(), expected[key], rtol=1e-6)
    assert [type(op).__name__ for op in ours.operations] == ["InputLayer", "Dense", "Mean"]
    assert len(ours.inputs) == 1 and len(ours.outputs) == 2


def test_function_output_spec_and_errors():
    inputs = torchseq.Input((3,))
    function = torchseq.Function([inputs], torchseq.layers.Dense(5)(inputs))
    spec = function.compute_output_spec([torchseq.Input((3,))])
    assert spec.shape == (None, 5)
    with pytest.raises(ValueError, match="expected inputs with the structure of"):
        function(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="inputs made of symbolic tensors"):
        torchseq.Function(np.ones(3), inputs)


# ------------------------------------------------------------------ keras.utils helpers


def test_is_keras_tensor_matches_keras():
    for lib in (keras, torchseq):
        assert lib.utils.is_keras_tensor(lib.Input((2,)))
        assert not lib.utils.is_keras_tensor(np.ones(2))


def test_get_source_inputs_matches_keras():
    for lib in (keras, torchseq):
        a, b, unused = lib.Input((3,)), lib.Input((3,)), lib.Input((3,))
        shared = lib.layers.Dense(3)
        y = lib.layers.Add()([shared(b), shared(a), b])
        assert lib.utils.get_source_inputs(y) == [b, a]
        assert lib.utils.get_source_inputs(unused) == [unused]
        assert lib.utils.get_source_inputs(3) == 3


@pytest.mark.parametrize("dtype", [None, "float64", np.int32, torch.bfloat16, "bool"])
def test_utils_standardize_dtype_matches_keras(dtype):
    their_dtype = "bfloat16" if dtype is torch.bfloat16 else dtype
    assert torchseq.utils.standardize_dtype(dtype) == keras.utils.standardize_dtype(their_dtype)


def test_config_reads_and_writes_as_keras_config():
    for lib in (keras, torchseq):
        settings = lib.utils.Config(learning_rate=0.1, momentum=0.9)
        settings.seed = 123
        settings["use_ema"] = True
        assert (settings.seed, settings["learning_rate"], len(settings)) == (123, 0.1, 4)
        assert list(settings) == ["learning_rate", "momentum", "seed", "use_ema"]
        assert settings.as_dict() == {
            "learning_rate": 0.1,
            "momentum": 0.9,
            "seed": 123,
            "use_ema": True,
        }
        assert settings.to_json() == (
            '{"learning_rate": 0.1, "momentum": 0.9, "seed": 123, "use_ema": true}'
        )
        settings.freeze()
        assert settings.frozen
        with pytest.raises(ValueError, match="frozen"):
            settings.seed = 1
        with pytest.raises(ValueError, match="frozen"):
            settings.pop("seed")
        settings.unfreeze()
        settings.update(seed=7)
        assert settings.get("seed") == 7 and "seed" in settings
        with pytest.raises(AttributeError, match="momentun"):
            _ = settings.momentun


def test_config_suggests_the_closest_name():
    with pytest.raises(AttributeError, match="did you mean 'momentum'"):
        _ = torchseq.utils.Config(momentum=0.9).momentun
