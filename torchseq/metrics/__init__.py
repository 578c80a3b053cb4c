"""Metrics with Keras 3's names, defaults and numbers; state kept in device buffers.

``get`` turns what ``compile(metrics=...)`` accepts into a :class:`Metric`: a name (class
name, snake_case name such as ``"binary_crossentropy"`` or ``"kl_divergence"``, or one
of Keras's short names ``"mse"``, ``"mae"``, ``"mape"``, ``"msle"``, ``"bce"``), a config dict, a class, an instance, or a plain function ``f(y_true, y_pred)``
(wrapped in :class:`MeanMetricWrapper`). ``resolve`` adds Keras's compile-time rule that
turns ``"accuracy"`` / ``"acc"`` into the binary, categorical or sparse categorical
accuracy that fits the target and output shapes.

Example:
    >>> from torchseq import metrics
    >>> metrics.get("mse")
    <MeanSquaredError name=mse>
    >>> metrics.resolve("accuracy", (32,), (32, 10))
    <SparseCategoricalAccuracy name=accuracy>
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any, cast

from torchseq.losses.crossentropy import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    sparse_categorical_crossentropy,
)
from torchseq.losses.hinges import categorical_hinge, hinge, squared_hinge
from torchseq.losses.probabilistic import kl_divergence, poisson
from torchseq.losses.regression import huber
from torchseq.metrics import accuracy as _accuracy_module
from torchseq.metrics.accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from torchseq.metrics.auc import AUC
from torchseq.metrics.confusion import (
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from torchseq.metrics.correlation import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    R2Score,
    concordance_correlation,
    pearson_correlation,
)
from torchseq.metrics.f_score import F1Score, FBetaScore
from torchseq.metrics.hinges import CategoricalHinge, Hinge, SquaredHinge
from torchseq.metrics.iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from torchseq.metrics.metric import Mean, MeanMetricWrapper, Metric, Sum, _snake_case
from torchseq.metrics.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
)
from torchseq.metrics.regression import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
    cosine_similarity,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from torchseq.metrics.sensitivity_specificity import (
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
)
from torchseq.utils import identifiers

__all__ = [
    "AUC",
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "BinaryIoU",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "ConcordanceCorrelation",
    "CosineSimilarity",
    "F1Score",
    "FBetaScore",
    "FalseNegatives",
    "FalsePositives",
    "Hinge",
    "IoU",
    "KLDivergence",
    "LogCoshError",
    "Mean",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanIoU",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Metric",
    "OneHotIoU",
    "OneHotMeanIoU",
    "PearsonCorrelation",
    "Poisson",
    "Precision",
    "PrecisionAtRecall",
    "R2Score",
    "Recall",
    "RecallAtPrecision",
    "RootMeanSquaredError",
    "SensitivityAtSpecificity",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "SpecificityAtSensitivity",
    "SquaredHinge",
    "Sum",
    "TopKCategoricalAccuracy",
    "TrueNegatives",
    "TruePositives",
    "binary_accuracy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "concordance_correlation",
    "cosine_similarity",
    "deserialize",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "pearson_correlation",
    "poisson",
    "resolve",
    "resolve_accuracy",
    "serialize",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy",
    "squared_hinge",
    "top_k_categorical_accuracy",
]

_CLASSES: tuple[type[Metric], ...] = (
    Metric,
    Mean,
    Sum,
    MeanMetricWrapper,
    MeanSquaredError,
    RootMeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCoshError,
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    F1Score,
    FBetaScore,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    R2Score,
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    ConcordanceCorrelation,
    PearsonCorrelation,
    IoU,
    BinaryIoU,
    MeanIoU,
    OneHotIoU,
    OneHotMeanIoU,
)
# Keras's table: class names, their snake_case, and the short names of loss functions.
_OBJECTS: dict[str, type[Metric]] = {
    **{cls.__name__: cls for cls in _CLASSES},
    **{_snake_case(cls.__name__): cls for cls in _CLASSES},
    **{alias: BinaryCrossentropy for alias in ("bce", "BCE")},
    **{alias: MeanSquaredError for alias in ("mse", "MSE")},
    **{alias: MeanAbsoluteError for alias in ("mae", "MAE")},
    **{alias: MeanAbsolutePercentageError for alias in ("mape", "MAPE")},
    **{alias: MeanSquaredLogarithmicError for alias in ("msle", "MSLE")},
}
# Per-sample functions, by name, for MeanMetricWrapper configs.
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    fn.__name__: fn
    for fn in (
        _accuracy_module.accuracy,
        binary_accuracy,
        categorical_accuracy,
        sparse_categorical_accuracy,
        top_k_categorical_accuracy,
        sparse_top_k_categorical_accuracy,
        mean_squared_error,
        mean_absolute_error,
        mean_absolute_percentage_error,
        mean_squared_logarithmic_error,
        log_cosh,
        cosine_similarity,
        pearson_correlation,
        concordance_correlation,
        binary_crossentropy,
        binary_focal_crossentropy,
        categorical_crossentropy,
        categorical_focal_crossentropy,
        sparse_categorical_crossentropy,
        hinge,
        squared_hinge,
        categorical_hinge,
        kl_divergence,
        poisson,
        huber,
    )
}
_ACCURACY_NAMES = ("accuracy", "acc")


def get(identifier: Any) -> Metric | None:
    """Resolve a metric identifier, following ``keras.metrics.get`` and Keras's ``compile``.

    Args:
        identifier: ``None`` (returned as is); a name from Keras's table
            (``"AUC"``, ``"auc"``, ``"mean_squared_error"``, ``"mse"``...), giving a
            metric with default arguments named by the string, as Keras's logs name it
            (``get("mse").name == "mse"``); a Keras config dict; a ``Metric`` class
            (instantiated) or instance (returned as is); or any other callable
            ``f(y_true, y_pred)``, wrapped in :class:`MeanMetricWrapper` and named after
            it (``mean_pred`` -> ``"mean_pred"``).

    Raises:
        ValueError: For an unknown name (the message lists the valid names) or a
            malformed config dict.
        TypeError: For an identifier of any other type.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        cls = identifiers.deserialize_object(
            identifier, kind="metric", objects=_OBJECTS, custom_objects=None
        )
        return _named(cls, identifier)
    if isinstance(identifier, dict):
        return _as_metric(deserialize(identifier))
    if inspect.isclass(identifier):
        return _as_metric(identifier())
    if callable(identifier):
        return _as_metric(identifier)
    raise TypeError(
        "metric must be a name, a config dict, a Metric class or instance, or a function "
        f"f(y_true, y_pred), received: {identifier!r} of type {type(identifier).__name__}"
    )


def resolve(
    identifier: Any,
    y_true_shape: Sequence[int | None],
    y_pred_shape: Sequence[int | None],
    loss: Any = None,
) -> Metric:
    """The metric ``compile`` builds for one output: :func:`get`, plus the accuracy rule.

    ``"accuracy"`` and ``"acc"`` (any case) go through :func:`resolve_accuracy`; every
    other identifier through :func:`get`.

    Args:
        identifier: What the user passed in ``metrics=`` for this output.
        y_true_shape: Shape of the targets (the batch axis may be ``None``).
        y_pred_shape: Shape of the model output.
        loss: The output's loss identifier; see :func:`resolve_accuracy`.

    Raises:
        ValueError: For ``None`` or an unknown name.
    """
    if identifier is None:
        raise ValueError("Expected a metric, received: None")
    if isinstance(identifier, str) and identifier.lower() in _ACCURACY_NAMES:
        return resolve_accuracy(identifier, y_true_shape, y_pred_shape, loss=loss)
    return cast(Metric, get(identifier))  # only None gives None, and it is ruled out


def check_identifier(identifier: Any) -> None:
    """Refuse now what :func:`resolve` would refuse at the first batch (``None``, an unknown
    name), so ``compile`` fails before it changes anything; the accuracy names, chosen from
    the shapes, pass."""
    if isinstance(identifier, str) and identifier.lower() in _ACCURACY_NAMES:
        return
    resolve(identifier, (), ())


def resolve_accuracy(
    name: str,
    y_true_shape: Sequence[int | None],
    y_pred_shape: Sequence[int | None],
    loss: Any = None,
) -> Metric:
    """Keras 3's rule for ``metrics=["accuracy"]``: pick the accuracy from the shapes.

    A last output axis of size 1 gives :class:`BinaryAccuracy`; targets of lower rank
    than the output, or a last target axis of size 1 against a wider output, give
    :class:`SparseCategoricalAccuracy`; otherwise :class:`CategoricalAccuracy`. The
    metric is named ``name`` as written (``"accuracy"``, ``"acc"``).

    Args:
        name: ``"accuracy"`` or ``"acc"``, in any case.
        y_true_shape: Shape of the targets (the batch axis may be ``None``).
        y_pred_shape: Shape of the model output.
        loss: Accepted for the trainer's convenience and ignored: Keras 3 decides from
            the shapes alone (Keras 2 also read the loss), so multi-label
            ``binary_crossentropy`` with a ``(batch, n > 1)`` output gets
            ``CategoricalAccuracy``, exactly as in Keras 3.

    Raises:
        ValueError: For another name or a shape of rank 0.
        TypeError: For a name that is not a string.

    Example:
        >>> resolve_accuracy("acc", (None, 1), (None, 1))
        <BinaryAccuracy name=acc>
    """
    del loss  # Keras 3 ignores it; see the docstring.
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, received: {name!r} of type {type(name).__name__}")
    if name.lower() not in _ACCURACY_NAMES:
        raise ValueError(
            f"resolve_accuracy: name must be one of {list(_ACCURACY_NAMES)} (any case), "
            f"received: name={name!r}"
        )
    true_shape, pred_shape = (
        _checked_shape("y_true_shape", y_true_shape),
        _checked_shape("y_pred_shape", y_pred_shape),
    )
    pred_last, true_last = pred_shape[-1], true_shape[-1]
    if pred_last == 1:
        return BinaryAccuracy(name=name)
    wider_output = pred_last is not None and pred_last > 1
    if len(true_shape) < len(pred_shape) or (true_last == 1 and wider_output):
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


def serialize(metric: Metric | Callable[..., Any] | None) -> dict[str, Any] | None:
    """Keras's config dict: ``{"module", "class_name", "config", "registered_name"}``."""
    return identifiers.serialize_object(
        metric, kind="metric", module="keras.metrics", objects={**_OBJECTS, **_FUNCTIONS}
    )


def deserialize(
    config: str | dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> Metric | Callable[..., Any]:
    """Build a metric (or a per-sample function) from a name or a Keras config dict.

    A bare name is read from Keras's table, so ``"binary_crossentropy"`` gives the
    ``BinaryCrossentropy`` metric, as in Keras; a ``{"class_name": "function", ...}``
    config gives the function of that name.

    Args:
        config: A name or the output of :func:`serialize`.
        custom_objects: Extra name -> class or function entries, searched first; they
            also resolve the ``fn`` of a ``MeanMetricWrapper`` config.
    """
    inner = config.get("config") if isinstance(config, dict) else None
    if isinstance(inner, dict) and isinstance(inner.get("fn"), (str, dict)):
        fn = _deserialize_function(inner["fn"], custom_objects)
        config = {**config, "config": {**inner, "fn": fn}}
    if isinstance(config, dict) and config.get("class_name") == "function":
        return _deserialize_function(config, custom_objects)
    return identifiers.deserialize_object(
        config, kind="metric", objects={**_FUNCTIONS, **_OBJECTS}, custom_objects=custom_objects
    )


def _deserialize_function(
    config: str | dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> Callable[..., Any]:
    """The per-sample function a ``MeanMetricWrapper`` config names (a name or config dict).

    Where a function and a metric class share a snake_case name
    (``"binary_crossentropy"``), the function is meant.
    """
    return identifiers.deserialize_object(
        config, kind="metric", objects={**_OBJECTS, **_FUNCTIONS}, custom_objects=custom_objects
    )


def _named(cls_or_metric: Any, name: str) -> Metric:
    metric = _as_metric(cls_or_metric)
    metric.name = name
    return metric


def _as_metric(obj: Any) -> Metric:
    """A ``Metric`` as is; any other callable wrapped, named as Keras's compile names it."""
    if isinstance(obj, Metric):
        return obj
    if inspect.isclass(obj):
        return _as_metric(obj())
    if not callable(obj):
        raise TypeError(
            f"metric must be a Metric or a callable f(y_true, y_pred), "
            f"received: {obj!r} of type {type(obj).__name__}"
        )
    return MeanMetricWrapper(obj, name=_object_name(obj))


def _object_name(obj: Any) -> str:
    """Keras's ``get_object_name``: ``.name``, else the snake_case function or class name."""
    name = getattr(obj, "name", None)
    if isinstance(name, str):
        return name
    if hasattr(obj, "__name__"):
        return _snake_case(obj.__name__)
    return _snake_case(type(obj).__name__)


def _checked_shape(argument: str, shape: Any) -> tuple[int | None, ...]:
    if not isinstance(shape, Sequence) or isinstance(shape, str):
        raise TypeError(
            f"{argument} must be a shape tuple, received: {shape!r} of type {type(shape).__name__}"
        )
    if len(shape) == 0:
        raise ValueError(
            f"{argument} must have rank >= 1 to choose an accuracy, received: {tuple(shape)}"
        )
    return tuple(shape)
