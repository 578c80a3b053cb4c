"""Shared harness for the metric tests: data makers and the Keras parity check.

A case names a metric class (the same name in ``torchseq.metrics`` and ``keras.metrics``),
its constructor arguments and the kind of data it reads. ``check_parity`` feeds both
metrics the same batches (unweighted, weighted, unweighted), compares ``result()`` after
each, resets both, and compares again. Our metric sees torch tensors, as a trainer gives
them, while any host sync (``.item()``, ``.tolist()``, ``bool(tensor)``...) raises.

Usage in a test module::

    CASES = [MetricCase("AUC", {"curve": "PR"}, "binary"), ...]

    @pytest.mark.parametrize("case", CASES, ids=str)
    def test_parity(case):
        check_parity(case)
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
import torch

from torchseq import metrics

os.environ.setdefault("KERAS_BACKEND", "torch")

Batch = tuple[np.ndarray, np.ndarray, np.ndarray | None]
_BATCH = 12
_CLASSES = 4


def _binary(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # Half the predictions sit exactly on multiples of 1/20, so on threshold borders.
    y_pred = rng.uniform(size=(_BATCH, 1))
    y_pred[::2] = np.round(y_pred[::2] * 20) / 20
    return rng.integers(0, 2, size=(_BATCH, 1)).astype("float32"), y_pred


def _binary_flat_labels(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = _binary(rng)
    return y_true[:, 0], y_pred


def _logits(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.integers(0, 2, size=(_BATCH, 1)).astype("float32"), rng.normal(size=(_BATCH, 1)) * 3


def _probabilities(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    scores = rng.uniform(size=shape)
    return scores / scores.sum(axis=-1, keepdims=True)


def _categorical(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, _CLASSES, size=_BATCH)
    return np.eye(_CLASSES, dtype="float32")[labels], _probabilities(rng, (_BATCH, _CLASSES))


def _categorical_bool(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = _categorical(rng)
    return y_true.astype(bool), y_pred


def _sparse(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, _CLASSES, size=_BATCH)
    return labels, _probabilities(rng, (_BATCH, _CLASSES))


def _sparse_column(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels, y_pred = _sparse(rng)
    return labels[:, None], y_pred


def _sparse_temporal(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, _CLASSES, size=(_BATCH, 3))
    return labels, _probabilities(rng, (_BATCH, 3, _CLASSES))


def _sorted_ids(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    ids = np.stack([rng.permutation(_CLASSES) for _ in range(_BATCH)])
    return rng.integers(0, _CLASSES, size=_BATCH), ids.astype("float32")


def _multilabel(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y_pred = rng.uniform(size=(_BATCH, _CLASSES))
    y_pred[::3] = np.round(y_pred[::3] * 10) / 10
    return rng.integers(0, 2, size=(_BATCH, _CLASSES)).astype("float32"), y_pred


def _exact(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.integers(0, 3, size=(_BATCH, 1)), rng.integers(0, 3, size=(_BATCH, 1))


def _regression(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(size=(_BATCH, 3)), rng.normal(size=(_BATCH, 3))


def _regression_column(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.uniform(size=_BATCH) * 2, rng.uniform(size=(_BATCH, 1)) * 2


def _regression_temporal(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(size=(_BATCH, 5, 2)), rng.normal(size=(_BATCH, 5, 2))


def _regression_grid(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(size=(_BATCH, 4, 3)), rng.normal(size=(_BATCH, 4, 3))


def _class_ids(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.integers(0, _CLASSES, size=_BATCH), rng.integers(0, _CLASSES, size=_BATCH)


def _one_hot_and_ids(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y_true, _ = _categorical(rng)
    return y_true, rng.integers(0, _CLASSES, size=(_BATCH, 1))


def _segmentation(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # Labels include a "void" -1 and an out-of-range id; both are left out of the counts.
    shape = (_BATCH, 3)
    return rng.integers(-1, _CLASSES + 1, size=shape), rng.integers(0, _CLASSES + 1, size=shape)


DATA: dict[str, Callable[[np.random.Generator], tuple[np.ndarray, np.ndarray]]] = {
    "binary": _binary,
    "binary_flat_labels": _binary_flat_labels,
    "logits": _logits,
    "categorical": _categorical,
    "categorical_bool": _categorical_bool,
    "sparse": _sparse,
    "sparse_column": _sparse_column,
    "sparse_temporal": _sparse_temporal,
    "sorted_ids": _sorted_ids,
    "multilabel": _multilabel,
    "exact": _exact,
    "regression": _regression,
    "regression_column": _regression_column,
    "regression_temporal": _regression_temporal,
    "regression_grid": _regression_grid,
    "class_ids": _class_ids,
    "one_hot_and_ids": _one_hot_and_ids,
    "segmentation": _segmentation,
}
# Sample weights per data kind: one per sample, or one per time step.
_TEMPORAL = {"sparse_temporal": 3, "regression_temporal": 5, "segmentation": 3}


@dataclasses.dataclass
class MetricCase:
    """One metric configuration and the data it is checked on.

    Args:
        name: Class name, the same in ``torchseq.metrics`` and ``keras.metrics``.
        kwargs: Constructor arguments, given to both.
        data: A key of ``DATA``.
        rtol: Relative tolerance of the comparison.
        integer_weights: Weigh samples by integers (an int array), as metrics that
            count in integers (the IoU family) want.
    """

    name: str
    kwargs: dict[str, Any]
    data: str
    rtol: float = 1e-5
    integer_weights: bool = False

    def __str__(self) -> str:
        args = ",".join(f"{key}={value}" for key, value in self.kwargs.items())
        weights = "+int_weights" if self.integer_weights else ""
        return f"{self.name}({args})@{self.data}{weights}"


def make_batches(data: str, seed: int = 0, integer_weights: bool = False) -> list[Batch]:
    """Three batches of float32 scores: unweighted, weighted, unweighted."""
    rng = np.random.default_rng(seed)
    batches: list[Batch] = []
    for weighted in (False, True, False):
        y_true, y_pred = DATA[data](rng)
        if y_pred.dtype == np.float64:
            y_pred = y_pred.astype("float32")
        if y_true.dtype == np.float64:
            y_true = y_true.astype("float32")
        weight_shape = (_BATCH, _TEMPORAL[data]) if data in _TEMPORAL else (_BATCH,)
        weights = None
        if weighted and integer_weights:
            weights = rng.integers(0, 3, size=weight_shape).astype("int32")
        elif weighted:
            weights = rng.uniform(0.0, 2.0, size=weight_shape).astype("float32")
        if weights is not None:
            weights[0] = 0.0
        batches.append((y_true, y_pred, weights))
    return batches


def _refuse_host_sync(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a metric read a tensor back to the host during update_state/result")


@contextlib.contextmanager
def no_host_sync() -> Iterator[None]:
    """Make every tensor-to-host read raise, so update_state/result must stay on the device."""
    with pytest.MonkeyPatch.context() as patch:
        for method in ("item", "tolist", "numpy", "cpu", "__bool__", "__float__", "__int__"):
            patch.setattr(torch.Tensor, method, _refuse_host_sync)
        yield


def _as_torch(array: np.ndarray | None) -> torch.Tensor | None:
    return None if array is None else torch.from_numpy(array)


def check_config_round_trip(metric: metrics.Metric) -> None:
    """``from_config(get_config())`` and ``get(serialize())`` rebuild an equal metric."""
    cls = type(metric)
    clone = cls.from_config(metric.get_config())
    assert type(clone) is cls
    assert clone.get_config() == metric.get_config()
    again = metrics.get(metrics.serialize(metric))
    assert type(again) is cls
    assert again.get_config() == metric.get_config()


def _keras_result(metric: Any) -> np.ndarray:
    import keras

    return keras.ops.convert_to_numpy(metric.result())


def check_parity(case: MetricCase, seed: int = 0) -> None:
    """Compare ``torchseq.metrics.<name>`` with ``keras.metrics.<name>`` on the same batches."""
    keras = pytest.importorskip("keras")
    ours = getattr(metrics, case.name)(**case.kwargs)
    theirs = getattr(keras.metrics, case.name)(**case.kwargs)
    batches = make_batches(case.data, seed, case.integer_weights)
    for step, (y_true, y_pred, weights) in enumerate(batches + batches[:1]):
        if step == len(batches):
            ours.reset_state()
            theirs.reset_state()
        with no_host_sync():
            ours.update_state(
                _as_torch(y_true), _as_torch(y_pred), sample_weight=_as_torch(weights)
            )
            value = ours.result()
        theirs.update_state(y_true, y_pred, sample_weight=weights)
        assert isinstance(value, torch.Tensor)
        np.testing.assert_allclose(
            value.numpy(),
            _keras_result(theirs),
            rtol=case.rtol,
            atol=1e-6,
            err_msg=f"{case} after update {step}",
        )
    assert _comparable(ours.get_config()) == _comparable(theirs.get_config())


def _comparable(config: dict[str, Any]) -> dict[str, Any]:
    """A config with tensors as lists and without the (automatic) name."""
    result = {}
    for key, value in config.items():
        if key == "name":
            continue
        if hasattr(value, "tolist"):
            value = np.asarray(value).tolist()
        result[key] = value
    return result
