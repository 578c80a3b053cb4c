"""Tests for torchseq.metrics.metric: the Metric base, Mean, Sum and MeanMetricWrapper."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.metrics import no_host_sync
from torchseq import backend as K
from torchseq import metrics

# (values shape, sample_weight: None, a shape, or a Python number)
REDUCTION_CASES = [
    ((6,), None),
    ((6,), (6,)),
    ((6, 1), (6,)),
    ((6,), (6, 1)),
    ((6, 3), None),
    ((6, 3), (6,)),
    ((6, 3), (6, 3)),
    ((6, 3, 2), (6, 3)),
    ((), None),
    ((), 4),
    ((6,), 2.5),
    ((6, 3), ()),
]


def _weights(rng: np.random.Generator, spec):
    if spec is None or isinstance(spec, (int, float)):
        return spec, spec
    array = rng.uniform(0.0, 2.0, size=spec).astype("float32")
    return array, torch.from_numpy(array)


@pytest.mark.parametrize("name", ["Mean", "Sum"])
@pytest.mark.parametrize(("shape", "weight_spec"), REDUCTION_CASES, ids=str)
def test_reduction_parity_with_keras(name, shape, weight_spec):
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    ours, theirs = getattr(metrics, name)(), getattr(keras.metrics, name)()
    for _ in range(2):
        values = rng.normal(size=shape).astype("float32")
        keras_weight, our_weight = _weights(rng, weight_spec)
        with no_host_sync():
            ours.update_state(torch.from_numpy(values), sample_weight=our_weight)
            value = ours.result()
        theirs.update_state(values, sample_weight=keras_weight)
        np.testing.assert_allclose(
            value.numpy(), keras.ops.convert_to_numpy(theirs.result()), rtol=1e-6, atol=1e-6
        )


def mean_pred(y_true, y_pred):
    """Seed 004's custom metric, written with the Keras-2 backend."""
    return K.mean(y_pred)


def absolute_error(y_true, y_pred):
    return torch.abs(y_true - y_pred)


def test_wrapper_of_a_function_returning_one_value_per_batch():
    metric = metrics.MeanMetricWrapper(mean_pred)
    metric.update_state(torch.zeros(2, 1), torch.tensor([[0.2], [0.4]]))
    metric.update_state(torch.zeros(4, 1), torch.tensor([[1.0], [1.0], [1.0], [1.0]]))
    torch.testing.assert_close(metric.result(), torch.tensor(0.65))  # two batch means


def test_wrapper_parity_with_keras_on_per_element_values():
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(1)
    ours = metrics.MeanMetricWrapper(absolute_error)
    theirs = keras.metrics.MeanMetricWrapper(lambda t, p: keras.ops.abs(t - p))
    for weights in (None, rng.uniform(size=5).astype("float32")):
        y_true, y_pred = rng.normal(size=(2, 5, 3)).astype("float32")
        ours.update_state(y_true, y_pred, sample_weight=weights)  # numpy in, as Keras takes it
        theirs.update_state(y_true, y_pred, sample_weight=weights)
    np.testing.assert_allclose(ours.result().numpy(), keras.ops.convert_to_numpy(theirs.result()))


def test_wrapper_passes_its_keyword_arguments_and_serializes_them():
    metric = metrics.MeanMetricWrapper(metrics.binary_accuracy, name="ba", threshold=0.9)
    assert metric(torch.ones(2, 1), torch.tensor([[0.8], [0.95]])) == 0.5
    clone = metrics.MeanMetricWrapper.from_config(metric.get_config())
    assert (clone.name, clone._fn, clone._fn_kwargs) == (
        "ba",
        metrics.binary_accuracy,
        {"threshold": 0.9},
    )


def test_wrapper_rejects_a_non_callable():
    with pytest.raises(TypeError, match=r"fn must be a callable .* received: fn=3 of type int"):
        metrics.MeanMetricWrapper(3)


def test_names_follow_keras():
    assert [metrics.Mean().name, metrics.Mean().name] == ["mean", "mean"]
    assert metrics.Sum(name="total").name == "total"
    wrappers = [metrics.MeanMetricWrapper(mean_pred).name for _ in range(2)]
    assert wrappers == ["mean_metric_wrapper", "mean_metric_wrapper_1"]
    with pytest.raises(TypeError, match=r"name must be a string or None, received: name=3"):
        metrics.Mean(name=3)


def test_call_updates_then_returns_the_result():
    metric = metrics.Mean()
    assert metric(torch.tensor([1.0, 3.0])) == 2.0
    assert metric(torch.tensor([8.0])) == 4.0
    metric.reset_state()
    assert metric.result() == 0.0  # no samples: 0, not NaN


def test_state_is_device_buffers_outside_the_state_dict_and_autograd():
    metric = metrics.Mean(dtype="float64")
    assert metric.dtype == "float64" and metric.get_config() == {"name": "mean", "dtype": "float64"}
    assert [name for name, _ in metric.named_buffers()] == ["total", "count"]
    assert metric.variables == [metric.total, metric.count]
    assert metric.state_dict() == {}
    y = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    metric.update_state(y * 2)
    assert not metric.total.requires_grad and metric.total.grad_fn is None
    metric.to(torch.float32)
    assert metric.result().dtype == torch.float32


class BinaryTruePositives(metrics.Metric):
    """The custom metric of Keras's documentation, with torch in-place updates."""

    def __init__(self, name="binary_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(
            shape=(), initializer="zeros", name="true_positives"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = (y_true.bool() & y_pred.bool()).float()
        if sample_weight is not None:
            values = values * sample_weight
        self.true_positives.add_(values.sum())

    def result(self):
        return self.true_positives.clone()


def test_custom_subclass_runs_without_grad_and_resets():
    metric = BinaryTruePositives()
    y_pred = torch.tensor([1.0, 1.0, 0.0], requires_grad=True)
    metric.update_state(torch.tensor([1.0, 0.0, 1.0]), y_pred, sample_weight=y_pred * 3)
    assert metric.result() == 3.0 and not metric.result().requires_grad
    metric.reset_state()
    assert metric.result() == 0.0
    assert repr(metric) == "<BinaryTruePositives name=binary_true_positives>"


def test_base_methods_say_what_to_implement():
    with pytest.raises(NotImplementedError, match="Metric must implement update_state"):
        metrics.Metric().update_state(1, 2)
    with pytest.raises(NotImplementedError, match="Metric must implement result"):
        metrics.Metric().result()


# Metrics traced whole by torch.compile(fullgraph=True): no graph break, so no host sync.
COMPILED = [
    (metrics.Mean, lambda: (torch.rand(8),)),
    (metrics.AUC, lambda: (torch.randint(0, 2, (8, 1)).float(), torch.rand(8, 1))),
    (
        lambda: metrics.Precision(top_k=2),
        lambda: (torch.randint(0, 2, (8, 4)).float(), torch.rand(8, 4)),
    ),
]


@pytest.mark.parametrize(("make_metric", "make_args"), COMPILED, ids=["Mean", "AUC", "Precision"])
def test_update_state_and_result_compile_without_graph_breaks(make_metric, make_args):
    torch._dynamo.reset()
    eager, compiled = make_metric(), make_metric()
    update = torch.compile(compiled.update_state, fullgraph=True, backend="eager")
    result = torch.compile(compiled.result, fullgraph=True, backend="eager")
    for _ in range(2):
        args = make_args()
        eager.update_state(*args)
        update(*args)
    torch.testing.assert_close(result(), eager.result())
    torch._dynamo.reset()


def test_a_metric_updated_in_a_layers_call_counts_no_symbolic_call():
    import torchseq as keras

    class Counts(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.seen = metrics.Sum(name="seen")

        def call(self, inputs):
            self.seen.update_state(keras.ops.ones_like(inputs[:, 0]))
            return inputs

    layer = Counts()
    inputs = keras.Input((3,))
    model = keras.Model(inputs, layer(inputs))
    assert float(layer.seen.result()) == 0.0  # shape inference ran call on fake tensors
    model.predict(np.zeros((5, 3), "float32"), verbose=0)
    assert float(layer.seen.result()) == 5.0
