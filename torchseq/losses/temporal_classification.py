"""Connectionist temporal classification (CTC): sequence targets without an alignment.

Keras 3's conventions: ``y_true`` holds the label sequences as a dense
``(batch, max_label_length)`` integer array, padded with ``0``; class ``0`` is also the
CTC blank, so real classes are ``1 ... num_classes - 1``. ``y_pred`` holds unnormalised
scores ``(batch, timesteps, num_classes)``; every sample uses all its timesteps. The
kernel is torch's ``ctc_loss`` on ``log_softmax(y_pred)``.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from torchseq.losses._inputs import as_labels, as_prediction
from torchseq.losses.loss import _LabelLoss

__all__ = ["CTC", "ctc"]

_BLANK = 0


def ctc(y_true: Any, y_pred: Any) -> torch.Tensor:
    """The CTC loss of each sample: minus the log-probability of its label sequence.

    Args:
        y_true: Integer labels ``(batch, max_label_length)``, padded with ``0`` (the
            blank); a sample's length is its number of non-zero labels. Float labels
            are truncated.
        y_pred: Logits ``(batch, timesteps, num_classes)``, not softmax-normalised.
            float16 and bfloat16 are computed in float32, as Keras does.

    Returns:
        ``(batch,)`` losses; ``inf`` for a label sequence that cannot fit in the
        timesteps (as in Keras).

    Raises:
        ValueError: When ``y_true`` is not of rank 2 or ``y_pred`` not of rank 3.

    Example:
        >>> ctc(torch.tensor([[1, 2, 0]]), torch.zeros(1, 4, 3)).shape
        torch.Size([1])
    """
    y_pred = as_prediction(y_pred)
    labels = as_labels(y_true, y_pred.device)
    if labels.ndim != 2:
        raise ValueError(
            "ctc expects y_true of shape (batch_size, max_length) holding integer labels, "
            f"received: y_true.shape={tuple(labels.shape)}"
        )
    if y_pred.ndim != 3:
        raise ValueError(
            "ctc expects y_pred of shape (batch_size, max_length, num_classes) holding "
            f"logits, received: y_pred.shape={tuple(y_pred.shape)}"
        )
    if y_pred.dtype in (torch.float16, torch.bfloat16):
        y_pred = y_pred.float()
    batch, timesteps = y_pred.shape[:2]
    log_probabilities = torch.log_softmax(y_pred.transpose(0, 1), dim=-1)
    input_lengths = torch.full((batch,), timesteps, dtype=torch.long, device=y_pred.device)
    label_lengths = torch.sum(labels != _BLANK, dim=-1)
    return F.ctc_loss(
        log_probabilities,
        labels,
        input_lengths,
        label_lengths,
        blank=_BLANK,
        reduction="none",
    )


class CTC(_LabelLoss):
    """CTC loss (:func:`ctc`) for sequence models such as speech or handwriting recognisers.

    Args:
        reduction: See :class:`~torchseq.losses.Loss`. Defaults to ``"sum_over_batch_size"``.
        name: Defaults to ``"ctc"``.
        dtype: Computation dtype; defaults to ``config.floatx()``.

    Example:
        >>> labels = torch.tensor([[1, 2, 0], [3, 0, 0]])  # 0 pads (and is the blank)
        >>> CTC()(labels, torch.zeros(2, 5, 4)).shape
        torch.Size([])
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "ctc",
        dtype: str | torch.dtype | None = None,
    ) -> None:
        super().__init__(ctc, name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true: Any, y_pred: Any) -> torch.Tensor:
        return super().call(y_true, y_pred).to(self.dtype)
