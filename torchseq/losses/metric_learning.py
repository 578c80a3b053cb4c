"""Metric-learning losses on embeddings: Circle loss.

The model outputs L2-normalised embeddings (e.g. a ``Dense`` without activation followed
by ``UnitNormalization``); ``y_true`` holds an integer class label per sample. Pairs of
samples with the same label are pulled together, pairs with different labels pushed
apart, all within the batch (or against a given reference set).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from torchseq.losses._inputs import as_labels, as_prediction, as_tensor, check_number
from torchseq.losses.loss import _LabelLoss

__all__ = ["Circle", "circle"]


def circle(
    y_true: Any,
    y_pred: Any,
    ref_labels: Any = None,
    ref_embeddings: Any = None,
    remove_diagonal: bool = True,
    gamma: float = 80.0,
    margin: float = 0.4,
) -> torch.Tensor:
    """Circle loss of each sample against the reference embeddings (Sun et al., 2020).

    With ``d`` the cosine distance ``max(1 - x . y, 0)`` to each reference, a positive
    pair (same label) scores ``-gamma * max(margin + d, 0) * (margin - d)`` and a
    negative pair ``gamma * max(1 + margin - d, 0) * (1 - margin - d)``; the loss is
    ``softplus(logsumexp(positive scores) + logsumexp(negative scores))``. A sample with
    no positive or no negative pair gets 0 and is left out of the mean: the result
    carries a ``_keras_mask`` (``loss > 0``) that the loss classes and the reductions
    honour, as in Keras.

    Args:
        y_true: Integer labels ``(batch,)`` or ``(batch, 1)``; float labels are truncated.
        y_pred: L2-normalised embeddings ``(batch, dim)``.
        ref_labels: Labels of the reference embeddings; defaults to ``y_true``.
        ref_embeddings: L2-normalised reference embeddings ``(refs, dim)``; defaults
            to ``y_pred`` (every pair within the batch).
        remove_diagonal: Leave out the pairs ``(i, i)`` (a sample with itself) from
            the positives. Defaults to ``True``.
        gamma: Scale of the scores. Defaults to ``80.0``.
        margin: Relaxation margin. Defaults to ``0.4``.

    Returns:
        ``(batch,)`` losses.

    Raises:
        ValueError: For labels of another shape, or embeddings not of rank 2.
    """
    y_pred = as_prediction(y_pred)
    device = y_pred.device
    labels = _flat_labels("y_true", y_true, device)
    references = y_pred
    if ref_embeddings is not None:
        references = as_tensor(ref_embeddings, y_pred.dtype, device)
    reference_labels = labels
    if ref_labels is not None:
        reference_labels = _flat_labels("ref_labels", ref_labels, device)
    for name, embeddings in (("y_pred", y_pred), ("ref_embeddings", references)):
        if embeddings.ndim != 2:
            raise ValueError(
                f"circle expects {name} of shape (batch_size, embedding_dim), "
                f"received: {name}.shape={tuple(embeddings.shape)}"
            )

    # torch.maximum, not clamp: at a tie (a sample with itself) it halves the gradient, as
    # Keras's ops.maximum does.
    zero = torch.zeros((), dtype=y_pred.dtype, device=device)
    distances = torch.maximum(1.0 - y_pred @ references.T, zero)
    positive, negative = _pair_masks(labels, reference_labels, remove_diagonal)
    positive_weights = torch.maximum((margin + distances) * positive.to(distances.dtype), zero)
    negative_weights = torch.maximum(
        (1.0 + margin - distances) * negative.to(distances.dtype), zero
    )
    positive_scores = -gamma * positive_weights * (margin - distances)
    negative_scores = gamma * negative_weights * (1.0 - margin - distances)
    minus_inf = torch.full((), float("-inf"), dtype=distances.dtype, device=device)
    positive_term = torch.logsumexp(torch.where(positive, positive_scores, minus_inf), dim=1)
    negative_term = torch.logsumexp(torch.where(negative, negative_scores, minus_inf), dim=1)
    losses = F.softplus(positive_term + negative_term)
    losses._keras_mask = losses > 0
    return losses


def _flat_labels(name: str, labels: Any, device: torch.device) -> torch.Tensor:
    """``(n,)`` int64 labels from ``(n,)`` or ``(n, 1)``."""
    labels = as_labels(labels, device)
    if labels.ndim == 2 and labels.shape[1] == 1:
        return labels.squeeze(1)
    if labels.ndim != 1:
        raise ValueError(
            f"circle expects {name} of shape (batch_size,) or (batch_size, 1) holding integer "
            f"labels, received: {name}.shape={tuple(labels.shape)}"
        )
    return labels


def _pair_masks(
    labels: torch.Tensor, reference_labels: torch.Tensor, remove_diagonal: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """Boolean ``(batch, refs)`` masks of the positive and the negative pairs."""
    positive = labels[:, None] == reference_labels[None, :]
    negative = ~positive
    if remove_diagonal:
        diagonal = torch.eye(
            labels.shape[0], reference_labels.shape[0], dtype=torch.bool, device=labels.device
        )
        positive = positive & ~diagonal
    return positive, negative


class Circle(_LabelLoss):
    """Circle loss between integer labels and L2-normalised embeddings (:func:`circle`).

    Within each batch, same-label pairs are pulled together and different-label pairs
    pushed apart, each pair weighted by how far it is from its optimum.

    Args:
        gamma: Scale of the pair scores. Defaults to ``80.0``.
        margin: Relaxation margin. Defaults to ``0.4``.
        remove_diagonal: Leave out each sample's pair with itself. Defaults to ``True``.
        reduction: See :class:`~torchseq.losses.Loss`. Defaults to ``"sum_over_batch_size"``
            (over the samples with a non-zero loss).
        name: Defaults to ``"circle"``.
        dtype: Computation dtype; defaults to ``config.floatx()``.

    Example:
        >>> embeddings = torch.nn.functional.normalize(torch.randn(8, 16), dim=-1)
        >>> Circle()(torch.tensor([0, 0, 1, 1, 2, 2, 3, 3]), embeddings).shape
        torch.Size([])
    """

    def __init__(
        self,
        gamma: float = 80.0,
        margin: float = 0.4,
        remove_diagonal: bool = True,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "circle",
        dtype: str | torch.dtype | None = None,
    ) -> None:
        super().__init__(
            circle,
            name=name,
            reduction=reduction,
            dtype=dtype,
            gamma=check_number("gamma", gamma, low=0, low_inclusive=False),
            margin=check_number("margin", margin),
            remove_diagonal=bool(remove_diagonal),
        )
