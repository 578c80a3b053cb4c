"""Tests for torchseq.losses.temporal_classification: CTC against keras.losses."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.losses.harness import (
    WEIGHTINGS,
    LossCase,
    case_data,
    check_against_keras,
    check_reduction_against_keras,
    check_unreduced_against_keras,
    make_data,
)
from torchseq import losses

N = 6
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]

# Labels in [1, 4) padded with 0; rows of every length from empty to full.
CASES = [
    LossCase("CTC", {}, ("sequences", (N, 4)), ("logits", (N, 10, 5))),
    LossCase("CTC", {}, ("sequences", (N, 3)), ("real", (N, 7, 4))),
    LossCase("CTC", {"name": "speech"}, ("sequences", (N, 5)), ("logits", (N, 12, 6))),
]


@pytest.mark.parametrize("weighting", WEIGHTINGS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_keras(keras, case, weighting):
    check_against_keras(keras, case, weighting)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_unreduced_matches_keras(keras, case):
    check_unreduced_against_keras(keras, case)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_reductions_match_keras(keras, reduction):
    check_reduction_against_keras(keras, CASES[0], reduction)


@pytest.mark.parametrize("case", CASES[:2], ids=str)
def test_function_matches_keras(keras, case):
    y_true, y_pred = case_data(case)
    for labels in (y_true, y_true.astype("float32")):
        ours = losses.ctc(labels, torch.from_numpy(y_pred))
        theirs = keras.losses.ctc(torch.from_numpy(labels), torch.from_numpy(y_pred))
        torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)


def test_blank_is_class_zero_and_the_scores_are_logits():
    # Two timesteps, the label [1]: the paths are (1, 1), (0, 1) and (1, 0).
    logits = torch.randn(1, 2, 3)
    probabilities = torch.softmax(logits, dim=-1)[0]
    expected = -torch.log(
        probabilities[0, 1] * probabilities[1, 1]
        + probabilities[0, 0] * probabilities[1, 1]
        + probabilities[0, 1] * probabilities[1, 0]
    )
    torch.testing.assert_close(losses.ctc(torch.tensor([[1, 0]]), logits), expected.reshape(1))


def test_labels_that_cannot_fit_give_inf_as_in_keras(keras):
    y_true = np.array([[1, 2, 1, 2], [1, 0, 0, 0]])
    y_pred = make_data("logits", (2, 3, 4), seed=0)
    ours = losses.CTC(reduction="none")(y_true, y_pred)
    theirs = keras.losses.CTC(reduction="none")(torch.from_numpy(y_true), torch.from_numpy(y_pred))
    assert torch.isinf(ours[0]) and torch.isfinite(ours[1])
    torch.testing.assert_close(ours, theirs)


def test_integer_labels_stay_integers_and_low_precision_logits_compute_in_float32():
    y_true = torch.tensor([[1, 2], [3, 0]])
    logits = torch.randn(2, 5, 4)
    expected = losses.ctc(y_true, logits)
    half = losses.ctc(y_true, logits.bfloat16())
    assert half.dtype == torch.float32
    torch.testing.assert_close(half, losses.ctc(y_true, logits.bfloat16().float()))
    assert losses.CTC()._convert_target(y_true, None).dtype == torch.int64
    assert losses.CTC(dtype="float64")(y_true, logits).dtype == torch.float64
    torch.testing.assert_close(losses.CTC()(y_true, logits), expected.mean())


def test_config_matches_keras_and_names_resolve(keras):
    assert losses.CTC().get_config() == keras.losses.CTC().get_config()
    assert losses.get("ctc") is losses.ctc
    restored = losses.deserialize(losses.serialize(losses.CTC(reduction="sum", name="c")))
    assert isinstance(restored, losses.CTC) and (restored.name, restored.reduction) == ("c", "sum")


@pytest.mark.parametrize(
    ("y_true_shape", "y_pred_shape", "match"),
    [
        ((4,), (4, 6, 3), (r"ctc expects y_true of shape \(batch_size, max_length\) holding "
         r"integer labels, received: y_true.shape=\(4,\)")),
        ((4, 2), (4, 6), (r"ctc expects y_pred of shape \(batch_size, max_length, num_classes\) "
         r"holding logits, received: y_pred.shape=\(4, 6\)")),
    ],
)  # fmt: skip
def test_wrong_ranks_are_refused(y_true_shape, y_pred_shape, match):
    with pytest.raises(ValueError, match=match):
        losses.ctc(torch.ones(y_true_shape, dtype=torch.long), torch.zeros(y_pred_shape))
