"""Shared Keras-parity checks for the loss modules.

Usage in a test module::

    CASES = [LossCase("MeanSquaredError", {}, ("real", (4, 3)), ("real", (4, 3))), ...]

    @pytest.mark.parametrize("weighting", WEIGHTINGS)
    @pytest.mark.parametrize("case", CASES, ids=str)
    def test_matches_keras(keras, case, weighting):
        check_against_keras(keras, case, weighting)
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch

from torchseq import losses

# None: unweighted; "per_sample": a weight per loss value (a (n,) weight for per-sample
# losses, a (n, t) weight for per-timestep losses); "scalar": one number.
WEIGHTINGS = (None, "per_sample", "scalar")

# Keyword arguments of the classes that the function forms do not take.
_CLASS_ONLY = ("reduction", "name", "dtype")

FUNCTIONS = {
    "BinaryCrossentropy": "binary_crossentropy",
    "BinaryFocalCrossentropy": "binary_focal_crossentropy",
    "CategoricalCrossentropy": "categorical_crossentropy",
    "CategoricalFocalCrossentropy": "categorical_focal_crossentropy",
    "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
    "MeanSquaredError": "mean_squared_error",
    "MeanAbsoluteError": "mean_absolute_error",
    "MeanAbsolutePercentageError": "mean_absolute_percentage_error",
    "MeanSquaredLogarithmicError": "mean_squared_logarithmic_error",
    "CosineSimilarity": "cosine_similarity",
    "Huber": "huber",
    "LogCosh": "log_cosh",
    "Hinge": "hinge",
    "SquaredHinge": "squared_hinge",
    "CategoricalHinge": "categorical_hinge",
    "KLDivergence": "kl_divergence",
    "Poisson": "poisson",
    "Dice": "dice",
    "Tversky": "tversky",
    "CTC": "ctc",
    "Circle": "circle",
    "CategoricalGeneralizedCrossEntropy": "categorical_generalized_cross_entropy",
}


@dataclasses.dataclass
class LossCase:
    """One loss configuration and the data it is checked on.

    Args:
        class_name: Class name, the same in torchseq.losses and keras.losses.
        kwargs: Constructor arguments, the same for both.
        y_true: ``(kind, shape)`` of the targets (see :func:`make_data`).
        y_pred: ``(kind, shape)`` of the predictions.
    """

    class_name: str
    kwargs: dict[str, Any]
    y_true: tuple[str, tuple[int, ...]]
    y_pred: tuple[str, tuple[int, ...]]

    def __str__(self) -> str:
        args = ",".join(f"{key}={value}" for key, value in self.kwargs.items())
        (true_kind, true_shape), (pred_kind, pred_shape) = self.y_true, self.y_pred
        return f"{self.class_name}({args})-{true_kind}{true_shape}-{pred_kind}{pred_shape}"


def make_data(kind: str, shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Test data of a given kind, float32 unless the kind is integer labels.

    Kinds: ``real`` (normal), ``positive`` (uniform in (0, 3)), ``unit`` (uniform in
    [0, 1] with exact 0s and 1s), ``simplex`` (rows summing to one on the last axis),
    ``unnormalized`` (positive rows not summing to one), ``logits`` (normal * 3),
    ``binary`` (0/1), ``signed`` (-1/1), ``onehot`` (on the last axis), ``onehot1``
    (on axis 1), ``labels`` (int64 in [0, 4)), ``float_labels`` (the same as float32),
    ``near_zero`` (real, with exact zeros for MAPE's epsilon), ``unit_rows`` (rows of
    L2 norm 1 on the last axis), ``sequences`` (int64 label sequences in [1, 4) padded
    with 0, of lengths from 0 to the whole row).
    """
    rng = np.random.default_rng(seed)
    if kind == "real":
        return rng.normal(size=shape).astype("float32")
    if kind == "near_zero":
        values = rng.normal(size=shape).astype("float32")
        values.flat[::3] = 0.0
        return values
    if kind == "positive":
        return rng.uniform(0.01, 3.0, size=shape).astype("float32")
    if kind == "unit":
        values = rng.uniform(size=shape).astype("float32")
        values.flat[::5] = 0.0
        values.flat[2::7] = 1.0
        return values
    if kind in ("simplex", "unnormalized"):
        exp = np.exp(rng.normal(size=shape))
        values = exp / exp.sum(axis=-1, keepdims=True)
        return (values if kind == "simplex" else values * 2.5).astype("float32")
    if kind == "logits":
        return (3 * rng.normal(size=shape)).astype("float32")
    if kind == "binary":
        return rng.integers(0, 2, size=shape).astype("float32")
    if kind == "signed":
        return (2 * rng.integers(0, 2, size=shape) - 1).astype("float32")
    if kind in ("onehot", "onehot1"):
        axis = len(shape) - 1 if kind == "onehot" else 1
        labels = rng.integers(0, shape[axis], size=shape[:axis] + shape[axis + 1 :])
        return np.moveaxis(np.eye(shape[axis], dtype="float32")[labels], -1, axis)
    if kind == "unit_rows":
        values = rng.normal(size=shape)
        return (values / np.linalg.norm(values, axis=-1, keepdims=True)).astype("float32")
    if kind == "sequences":
        labels = rng.integers(1, 4, size=shape)
        lengths = rng.integers(0, shape[-1] + 1, size=shape[:-1])
        lengths.flat[:2] = (0, shape[-1])
        return np.where(np.arange(shape[-1]) < lengths[..., None], labels, 0).astype("int64")
    if kind in ("labels", "float_labels"):
        labels = rng.integers(0, 4, size=shape)
        return labels.astype("int64" if kind == "labels" else "float32")
    raise ValueError(f"unknown data kind {kind!r}")


def case_data(case: LossCase) -> tuple[np.ndarray, np.ndarray]:
    return make_data(*case.y_true, seed=1), make_data(*case.y_pred, seed=2)


def make_weight(weighting: str | None, loss_shape: tuple[int, ...]) -> Any:
    if weighting is None:
        return None
    if weighting == "scalar":
        return 0.5
    return np.random.default_rng(3).uniform(0.0, 2.0, size=loss_shape).astype("float32")


def keras_value(keras: Any, loss: Any, y_true: np.ndarray, y_pred: Any, weight: Any) -> Any:
    """A Keras loss on torch tensors (the torch backend keeps autograd)."""
    args = [torch.from_numpy(y_true), y_pred]
    if weight is not None:
        args.append(torch.as_tensor(weight))
    return loss(*args)


def check_against_keras(keras: Any, case: LossCase, weighting: str | None) -> None:
    """Same value, per-sample values and gradient as Keras for one case and weighting."""
    y_true, y_pred = case_data(case)
    ours = getattr(losses, case.class_name)(**case.kwargs)
    theirs = getattr(keras.losses, case.class_name)(**case.kwargs)
    unreduced = getattr(losses, case.class_name)(**case.kwargs, reduction="none")
    loss_shape = tuple(unreduced(torch.from_numpy(y_true), torch.from_numpy(y_pred)).shape)
    weight = make_weight(weighting, loss_shape)

    ours_pred = torch.from_numpy(y_pred).requires_grad_()
    theirs_pred = torch.from_numpy(y_pred).requires_grad_()
    torch_weight = None if weight is None else torch.as_tensor(weight)
    value = ours(torch.from_numpy(y_true), ours_pred, torch_weight)
    expected = keras_value(keras, theirs, y_true, theirs_pred, weight)
    assert value.shape == ()
    assert value.dtype == torch.float32
    torch.testing.assert_close(value, expected.detach(), rtol=1e-5, atol=1e-6)

    value.backward()
    expected.backward()
    torch.testing.assert_close(ours_pred.grad, theirs_pred.grad, rtol=1e-4, atol=1e-6)


def check_reduction_against_keras(keras: Any, case: LossCase, reduction: str | None) -> None:
    """Keras's value for one reduction, with a weight per loss value."""
    y_true, y_pred = case_data(case)
    kwargs = {**case.kwargs, "reduction": reduction}
    pair = (torch.from_numpy(y_true), torch.from_numpy(y_pred))
    unreduced = getattr(losses, case.class_name)(**{**case.kwargs, "reduction": "none"})(*pair)
    weight = torch.as_tensor(make_weight("per_sample", tuple(unreduced.shape)))
    ours = getattr(losses, case.class_name)(**kwargs)(*pair, sample_weight=weight)
    theirs = getattr(keras.losses, case.class_name)(**kwargs)(*pair, sample_weight=weight)
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)


def check_unreduced_against_keras(keras: Any, case: LossCase) -> None:
    """``reduction="none"`` and the function form give Keras's per-sample values."""
    y_true, y_pred = case_data(case)
    kwargs = {**case.kwargs, "reduction": "none"}
    pair = (torch.from_numpy(y_true), torch.from_numpy(y_pred))
    ours = getattr(losses, case.class_name)(**kwargs)(*pair)
    theirs = getattr(keras.losses, case.class_name)(**kwargs)(*pair)
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)

    if y_true.ndim != y_pred.ndim:
        return
    function = FUNCTIONS[case.class_name]
    options = {key: value for key, value in case.kwargs.items() if key not in _CLASS_ONLY}
    ours_fn = getattr(losses, function)(
        torch.from_numpy(y_true), torch.from_numpy(y_pred), **options
    )
    theirs_fn = getattr(keras.losses, function)(
        torch.from_numpy(y_true), torch.from_numpy(y_pred), **options
    )
    torch.testing.assert_close(ours_fn, theirs_fn.to(ours_fn.dtype), rtol=1e-5, atol=1e-6)
