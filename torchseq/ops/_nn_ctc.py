"""Connectionist temporal classification: ``ctc_loss`` and ``ctc_decode`` (``keras.ops`` nn)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from torchseq.ops._convert import Tensor, TensorLike, _operands

__all__ = ["ctc_decode", "ctc_loss"]

_STRATEGIES = ("greedy", "beam_search")


def ctc_loss(
    target: TensorLike,
    output: TensorLike,
    target_length: TensorLike,
    output_length: TensorLike,
    mask_index: int = 0,
) -> Tensor:
    """The CTC negative log-likelihood of each label sequence; mirrors ``keras.ops.ctc_loss``.

    Args:
        target: ``(batch, max_label_length)`` integer labels.
        output: ``(batch, max_time, classes)`` logits (log-softmax is applied here).
        target_length: ``(batch,)`` label lengths.
        output_length: ``(batch,)`` output lengths.
        mask_index: The blank class (default 0).

    Returns:
        ``(batch,)`` losses.
    """
    target, output, target_length, output_length = _operands(
        target, output, target_length, output_length
    )
    if output.ndim != 3:
        raise ValueError(
            "ctc_loss expected output of shape (batch, max_time, classes), "
            f"received: output.shape={tuple(output.shape)}"
        )
    output = output.to(torch.promote_types(output.dtype, torch.float32))
    log_probs = output.transpose(0, 1).log_softmax(dim=-1)
    return F.ctc_loss(
        log_probs,
        target.to(torch.int64),
        output_length.to(torch.int64),
        target_length.to(torch.int64),
        blank=mask_index,
        reduction="none",
    )


def ctc_decode(
    inputs: TensorLike,
    sequence_lengths: TensorLike,
    strategy: str = "greedy",
    beam_width: int = 100,
    top_paths: int = 1,
    merge_repeated: bool = True,
    mask_index: int = 0,
) -> tuple[Tensor, Tensor]:
    """Decode CTC outputs into label sequences; mirrors ``keras.ops.ctc_decode``.

    Args:
        inputs: ``(batch, max_time, classes)`` logits or probabilities.
        sequence_lengths: ``(batch,)`` valid lengths.
        strategy: ``"greedy"`` (default): the best class per step, or ``"beam_search"``.
        beam_width: Beams kept by ``"beam_search"`` (default 100).
        top_paths: Paths returned by ``"beam_search"`` (default 1).
        merge_repeated: Whether ``"greedy"`` merges repeated classes (default True).
        mask_index: The blank class (default 0).

    Returns:
        ``(paths, scores)``: ``paths`` ``(top_paths, batch, max_time)`` int32 labels padded
        with -1; ``scores`` ``(batch, top_paths)``: for greedy the negated sum of the best
        inputs, for beam search each path's log-probability.
    """
    if strategy not in _STRATEGIES:
        raise ValueError(
            f"ctc_decode expected strategy to be one of {list(_STRATEGIES)}, "
            f"received: strategy={strategy!r}"
        )
    inputs, lengths = _operands(inputs, sequence_lengths)
    if inputs.ndim != 3:
        raise ValueError(
            "ctc_decode expected inputs of shape (batch, max_time, classes), "
            f"received: inputs.shape={tuple(inputs.shape)}"
        )
    inputs = inputs.to(torch.promote_types(inputs.dtype, torch.float32))
    lengths = lengths.to(torch.int64)
    if strategy == "greedy":
        return _greedy(inputs, lengths, merge_repeated, mask_index)
    return _beam_search(inputs, lengths, beam_width, top_paths, mask_index)


def _greedy(
    inputs: Tensor, lengths: Tensor, merge_repeated: bool, blank: int
) -> tuple[Tensor, Tensor]:
    steps = inputs.shape[1]
    best, labels = inputs.max(dim=-1)
    padding = torch.arange(steps, device=inputs.device) >= lengths[:, None]
    labels = labels.masked_fill(padding, blank)
    best = best.masked_fill(padding, 0.0)
    if merge_repeated:
        repeated = F.pad(labels[:, 1:] == labels[:, :-1], (1, 0))
        labels = labels.masked_fill(repeated, blank)
    dropped = labels == blank
    # Kept labels move to the front in order; the dropped ones become -1 at the end.
    order = torch.where(dropped, steps, torch.arange(steps, device=inputs.device)).argsort(
        dim=-1, stable=True
    )
    labels = labels.masked_fill(dropped, -1).gather(1, order)
    return labels.to(torch.int32)[None], -best.sum(dim=1, keepdim=True)


def _beam_search(
    inputs: Tensor, lengths: Tensor, beam_width: int, top_paths: int, blank: int
) -> tuple[Tensor, Tensor]:
    """Prefix beam search: each prefix keeps the log-probability of the alignments ending in
    a blank and of those ending in its last label, so that repeats merge only across steps."""
    batch, steps, classes = inputs.shape
    log_probs = inputs.log_softmax(dim=-1).double().cpu()
    paths = torch.full((top_paths, batch, steps), -1, dtype=torch.int32)
    scores = torch.full((batch, top_paths), -math.inf, dtype=torch.float64)
    for b, length in enumerate(lengths.tolist()):
        beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, -math.inf)}
        for t in range(length):
            step = log_probs[b, t].tolist()
            extended: dict[tuple[int, ...], list[float]] = {}
            for prefix, (ends_blank, ends_label) in beams.items():
                total = _logaddexp(ends_blank, ends_label)
                for c in range(classes):
                    if c == blank:
                        _extend(extended, prefix, 0, total + step[c])
                    elif prefix and prefix[-1] == c:
                        _extend(extended, prefix, 1, ends_label + step[c])
                        _extend(extended, prefix + (c,), 1, ends_blank + step[c])
                    else:
                        _extend(extended, prefix + (c,), 1, total + step[c])
            ranked = sorted(extended.items(), key=lambda item: -_logaddexp(*item[1]))
            beams = {prefix: (pair[0], pair[1]) for prefix, pair in ranked[:beam_width]}
        best = sorted(beams.items(), key=lambda item: -_logaddexp(*item[1]))[:top_paths]
        for k, (prefix, pair) in enumerate(best):
            paths[k, b, : len(prefix)] = torch.tensor(prefix, dtype=torch.int32)
            scores[b, k] = _logaddexp(*pair)
    return paths.to(inputs.device), scores.to(device=inputs.device, dtype=inputs.dtype)


def _extend(
    beams: dict[tuple[int, ...], list[float]], prefix: tuple[int, ...], track: int, value: float
) -> None:
    """Add probability ``exp(value)`` to ``prefix``'s track (0: ends in a blank, 1: in a label)."""
    entry = beams.setdefault(prefix, [-math.inf, -math.inf])
    entry[track] = _logaddexp(entry[track], value)


def _logaddexp(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    high = max(a, b)
    return high + math.log1p(math.exp(-abs(a - b)))
