"""Intersection over union from a running confusion matrix: ``IoU`` and its variants.

Every metric here keeps one ``(num_classes, num_classes)`` confusion matrix (rows are
true classes, columns predicted ones), adds each batch's weighted counts to it with one
``index_add_`` on the device, and reads ``tp / (tp + fp + fn)`` per class from it. The
variants only change how a batch becomes class ids: ``BinaryIoU`` thresholds scores,
``OneHot*`` take the argmax of one-hot targets, ``MeanIoU`` averages every class.

As in Keras, the matrix is ``int32`` unless ``dtype`` says otherwise, so fractional
``sample_weight`` values are truncated (with a warning); pass ``dtype="float32"`` to
weigh samples by fractions. Labels or predictions outside ``[0, num_classes)`` and the
``ignore_class`` label are left out.

Example:
    >>> import torch
    >>> from torchseq import metrics
    >>> m = metrics.MeanIoU(num_classes=2)
    >>> m(torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 0, 1]))
    tensor(0.3333)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchseq import config
from torchseq.metrics.confusion import _optional_int
from torchseq.metrics.metric import Metric, one_hot_classes

__all__ = ["BinaryIoU", "IoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU"]

DType = str | torch.dtype | None
_DEFAULT_DTYPE = "int32"  # Keras's default for these metrics: the matrix counts samples


class IoU(Metric):
    """Mean intersection over union of chosen classes; mirrors ``keras.metrics.IoU``.

    For each class ``c`` of ``target_class_ids``, ``iou_c = tp / (tp + fp + fn)`` over
    everything seen; the result is their mean, leaving out classes that never occurred
    (in the targets nor the predictions).

    Args:
        num_classes: Number of classes, > 0; the confusion matrix is
            ``(num_classes, num_classes)``.
        target_class_ids: The classes averaged, each in ``[0, num_classes)``.
        name: Defaults to ``None``: ``"io_u"``, made unique, as in Keras.
        dtype: Dtype of the confusion matrix. Defaults to ``None``: ``"int32"``, as in
            Keras (fractional sample weights are truncated).
        ignore_class: A label left out of the counts (a "void" class such as ``-1`` or
            ``255``). Defaults to ``None``.
        sparse_y_true: Targets are class ids; ``False`` takes the argmax over ``axis``.
            Defaults to ``True``.
        sparse_y_pred: Predictions are class ids; ``False`` takes the argmax over
            ``axis``. Defaults to ``True``.
        axis: The class axis of dense targets or predictions. Defaults to ``-1``.

    Shapes:
        ``y_true`` and ``y_pred`` hold the same number of class ids once flattened (after
        the argmax of dense ones); ``sample_weight`` is a number or has one weight per id.

    Example:
        >>> m = IoU(num_classes=2, target_class_ids=[0])
        >>> m(torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 0, 1]))
        tensor(0.3333)
    """

    _direction = "up"
    _omitted_config: tuple[str, ...] = ()

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Sequence[int],
        name: str | None = None,
        dtype: DType = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        super().__init__(name=name, dtype=_DEFAULT_DTYPE if dtype is None else dtype)
        self.num_classes = _num_classes(type(self).__name__, num_classes)
        self.target_class_ids = _target_class_ids(
            type(self).__name__, target_class_ids, self.num_classes
        )
        self.ignore_class = _ignore_class(type(self).__name__, ignore_class)
        self.sparse_y_true = bool(sparse_y_true)
        self.sparse_y_pred = bool(sparse_y_pred)
        self.axis = _axis(type(self).__name__, axis)
        self.register_buffer(
            "_target_ids", torch.tensor(self.target_class_ids, dtype=torch.int64), persistent=False
        )
        self.add_variable(shape=(self.num_classes, self.num_classes), name="total_confusion_matrix")

    @property
    def total_cm(self) -> torch.Tensor:
        """The confusion matrix: true classes on rows, predicted classes on columns."""
        return self.total_confusion_matrix

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true, y_pred = self._as_tensor(y_true), self._as_tensor(y_pred)
        if not self.sparse_y_true:
            y_true = one_hot_classes(y_true, self.axis)
        if not self.sparse_y_pred:
            y_pred = torch.argmax(y_pred, dim=self.axis)
        self._add_to_matrix(y_true, y_pred, sample_weight)

    def _add_to_matrix(
        self, y_true: torch.Tensor, y_pred: torch.Tensor, sample_weight: Any
    ) -> None:
        """Count each (label, prediction) pair, with its weight, in the confusion matrix."""
        dtype, size = self._compute_dtype, self.num_classes
        labels, predictions = y_true.to(dtype).reshape(-1), y_pred.to(dtype).reshape(-1)
        if labels.shape != predictions.shape:
            raise ValueError(
                f"{type(self).__name__}: y_true and y_pred must hold the same number of class "
                f"ids, received shapes {tuple(y_true.shape)} and {tuple(y_pred.shape)}"
            )
        weights = self._weights(sample_weight, labels)
        kept = (labels >= 0) & (labels < size) & (predictions >= 0) & (predictions < size)
        if self.ignore_class is not None:
            kept &= labels != self.ignore_class
        cells = labels.to(torch.int64) * size + predictions.to(torch.int64)
        cells = torch.where(kept, cells, 0)
        weights = torch.where(kept, weights, torch.zeros_like(weights))
        self.total_confusion_matrix.view(-1).index_add_(0, cells, weights)

    def _weights(self, sample_weight: Any, labels: torch.Tensor) -> torch.Tensor:
        """One weight per label, in the matrix's dtype."""
        dtype = self._compute_dtype
        if sample_weight is None:
            return torch.ones_like(labels)
        weights = self._as_tensor(sample_weight)
        if weights.is_floating_point() and not dtype.is_floating_point:
            warnings.warn(
                f"{type(self).__name__}: sample_weight is {config.dtype_name(weights.dtype)} "
                f"but the metric's dtype is {self.dtype}, so fractional weights are "
                "truncated; pass dtype='float32' to the metric to keep them",
                UserWarning,
                stacklevel=5,  # the caller of update_state
            )
        weights = weights.to(dtype)
        if weights.ndim > 1:
            weights = weights.reshape(-1)
        try:
            return torch.broadcast_to(weights, labels.shape)
        except RuntimeError as error:
            raise ValueError(
                f"{type(self).__name__}: sample_weight must be a number or hold one weight "
                f"per class id ({labels.numel()}), received shape {tuple(weights.shape)}"
            ) from error

    def result(self) -> torch.Tensor:
        result_dtype = (
            self._compute_dtype if self._compute_dtype.is_floating_point else torch.float32
        )
        matrix = self.total_confusion_matrix.to(result_dtype)
        true_positives = torch.diagonal(matrix)
        # Column sums + row sums - tp = tp + fp + fn.
        union = torch.sum(matrix, dim=0) + torch.sum(matrix, dim=1) - true_positives
        true_positives, union = true_positives[self._target_ids], union[self._target_ids]
        present = union > 1e-9
        iou = torch.where(present, true_positives / (union + config.epsilon()), 0.0)
        return torch.sum(iou) / (torch.sum(present) + config.epsilon())

    def get_config(self) -> dict[str, Any]:
        config_ = {
            **super().get_config(),
            "num_classes": self.num_classes,
            "target_class_ids": list(self.target_class_ids),
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }
        return {key: value for key, value in config_.items() if key not in self._omitted_config}


class BinaryIoU(IoU):
    """IoU of classes 0 and/or 1 of thresholded scores; mirrors ``keras.metrics.BinaryIoU``.

    A prediction ``>= threshold`` is class 1, below it class 0; targets are 0 or 1.

    Args:
        target_class_ids: ``[0]``, ``[1]`` or ``[0, 1]`` (their mean). Defaults to
            ``(0, 1)``.
        threshold: The score from which a prediction is class 1. Defaults to ``0.5``.
        name: Defaults to ``None``: ``"binary_io_u"``, made unique.
        dtype: Dtype of the confusion matrix. Defaults to ``None``: ``"int32"``.

    Example:
        >>> m = BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
        >>> m(torch.tensor([0, 1, 0, 1]), torch.tensor([0.1, 0.2, 0.4, 0.7]))
        tensor(0.3333)
    """

    def __init__(
        self,
        target_class_ids: Sequence[int] = (0, 1),
        threshold: float = 0.5,
        name: str | None = None,
        dtype: DType = None,
    ) -> None:
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise TypeError(
                f"BinaryIoU: threshold must be a number, received: threshold={threshold!r} "
                f"of type {type(threshold).__name__}"
            )
        self.threshold = threshold

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = self._as_tensor(y_pred, torch.float32) >= self.threshold
        self._add_to_matrix(self._as_tensor(y_true), y_pred, sample_weight)

    def get_config(self) -> dict[str, Any]:
        return {
            "target_class_ids": list(self.target_class_ids),
            "threshold": self.threshold,
            "name": self.name,
            "dtype": self.dtype,
        }


class MeanIoU(IoU):
    """IoU averaged over every class; mirrors ``keras.metrics.MeanIoU``.

    Args: as :class:`IoU`, without ``target_class_ids`` (all classes are averaged);
    ``name`` defaults to ``"mean_io_u"``, made unique.

    Example:
        >>> m = MeanIoU(num_classes=2)
        >>> m(torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 0, 1]))
        tensor(0.3333)
    """

    _omitted_config = ("target_class_ids",)

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: DType = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        num_classes = _num_classes(type(self).__name__, num_classes)
        super().__init__(
            num_classes=num_classes,
            target_class_ids=list(range(num_classes)),
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )


class OneHotIoU(IoU):
    """:class:`IoU` of one-hot targets; mirrors ``keras.metrics.OneHotIoU``.

    Targets are one-hot along ``axis`` (their argmax is the class); predictions are
    scores along ``axis`` unless ``sparse_y_pred``.

    Args:
        num_classes: Number of classes, > 0.
        target_class_ids: The classes averaged, each in ``[0, num_classes)``.
        name: Defaults to ``None``: ``"one_hot_io_u"``, made unique.
        dtype: Dtype of the confusion matrix. Defaults to ``None``: ``"int32"``.
        ignore_class: A class left out of the counts. Defaults to ``None``.
        sparse_y_pred: Predictions are class ids. Defaults to ``False``.
        axis: The class axis. Defaults to ``-1``.
    """

    _omitted_config = ("sparse_y_true",)

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Sequence[int],
        name: str | None = None,
        dtype: DType = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes=num_classes,
            target_class_ids=target_class_ids,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )


class OneHotMeanIoU(MeanIoU):
    """:class:`MeanIoU` of one-hot targets; mirrors ``keras.metrics.OneHotMeanIoU``.

    Args: as :class:`OneHotIoU`, without ``target_class_ids`` (all classes are averaged);
    ``name`` defaults to ``"one_hot_mean_io_u"``, made unique.
    """

    _omitted_config = ("target_class_ids", "sparse_y_true")

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: DType = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes=num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )


def _num_classes(owner: str, value: Any) -> int:
    number = _optional_int("num_classes", value, minimum=1)
    if number is None:
        raise TypeError(f"{owner}: num_classes must be an integer > 0, received: num_classes=None")
    return number


def _target_class_ids(owner: str, ids: Any, num_classes: int) -> list[int]:
    if isinstance(ids, (int, np.integer)) or not isinstance(ids, (Sequence, np.ndarray)):
        raise TypeError(
            f"{owner}: target_class_ids must be a list or tuple of class ids, "
            f"received: target_class_ids={ids!r} of type {type(ids).__name__}"
        )
    checked = [_optional_int("target_class_ids", i, minimum=0) for i in ids]
    out_of_range = [i for i in checked if i is None or i >= num_classes]
    if not checked or out_of_range:
        raise ValueError(
            f"{owner}: target_class_ids must be a non-empty list of ids in "
            f"[0, {num_classes}), received: target_class_ids={list(ids)!r}"
        )
    return [int(i) for i in checked if i is not None]


def _ignore_class(owner: str, value: Any) -> int | None:
    """Any integer label (``-1`` and ``255`` are common "void" labels), or ``None``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(
            f"{owner}: ignore_class must be an integer label or None, received: "
            f"ignore_class={value!r} of type {type(value).__name__}"
        )
    return int(value)


def _axis(owner: str, axis: Any) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(
            f"{owner}: axis must be an int, received: axis={axis!r} of type {type(axis).__name__}"
        )
    return int(axis)
