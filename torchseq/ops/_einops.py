"""``rearrange``: einops-style axis moves (transpose, merge, split) named by a pattern,
as ``keras.ops.rearrange``."""

from __future__ import annotations

import math
import re

from torchseq.ops._convert import Tensor, TensorLike, _to_tensor

__all__ = ["rearrange"]

# One axis of a pattern side: a name, or a group of names in parentheses.
_TOKEN = re.compile(r"\(([^()]*)\)|([^\s()]+)|(\S)")
_NAME = re.compile(r"[A-Za-z_]\w*\Z")


def rearrange(tensor: TensorLike, pattern: str, **axes_lengths: int) -> Tensor:
    """Move, merge and split axes as an einops pattern says.

    The pattern names each input axis on the left of ``->`` and lists the same names in
    the output order on the right; a group in parentheses is several axes as one (merged
    on the right, split on the left, the split lengths given in ``axes_lengths`` except
    at most one, which is inferred).

    Args:
        tensor: The input tensor.
        pattern: ``"b h w c -> b c h w"``, ``"b h w c -> (b h) w c"``,
            ``"b (h1 h) w c -> (b h1) h w c"`` ...
        **axes_lengths: Lengths of axes that a split group cannot infer, ``h1=2``.

    Returns:
        The rearranged tensor (a view where torch can give one).

    Raises:
        ValueError: The pattern is malformed (no single ``->``, ``...``, nested or
            unbalanced parentheses, repeated or unmatched names), does not fit the
            tensor's rank, or the lengths do not divide the axes they split.

    Example:
        >>> rearrange(torch.zeros(2, 3, 4), "b h w -> b (w h)").shape
        torch.Size([2, 12])
    """
    tensor = _to_tensor(tensor)
    inputs, outputs = _parse_pattern(pattern, axes_lengths)
    if len(inputs) != tensor.ndim:
        raise ValueError(
            f"rearrange: the pattern {pattern!r} names {len(inputs)} input axes, but the "
            f"tensor has rank {tensor.ndim} (shape {tuple(tensor.shape)})"
        )
    lengths = _axis_lengths(inputs, tuple(tensor.shape), axes_lengths, pattern)
    order = [name for group in inputs for name in group]
    split = tensor.reshape([lengths[name] for name in order])
    moved = split.permute([order.index(name) for group in outputs for name in group])
    return moved.reshape([math.prod(lengths[name] for name in group) for group in outputs])


def _parse_pattern(
    pattern: str, axes_lengths: dict[str, int]
) -> tuple[list[list[str]], list[list[str]]]:
    """The two sides of ``pattern`` as lists of axis groups (a plain axis: a group of one)."""
    if not isinstance(pattern, str):
        raise TypeError(
            f"rearrange expected a str pattern, received: pattern={pattern!r} of type "
            f"{type(pattern).__name__}"
        )
    sides = pattern.split("->")
    if len(sides) != 2:
        raise ValueError(
            f"rearrange expected a pattern 'input axes -> output axes' with one '->', "
            f"received: pattern={pattern!r}"
        )
    inputs, outputs = (_parse_side(side, pattern) for side in sides)
    input_names = [name for group in inputs for name in group]
    output_names = [name for group in outputs for name in group]
    for side, names in (("input", input_names), ("output", output_names)):
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(
                f"rearrange: the {side} side of {pattern!r} repeats the axes {repeated}; "
                "each axis must be named once per side"
            )
    if set(input_names) != set(output_names):
        raise ValueError(
            f"rearrange: both sides of {pattern!r} must name the same axes, received: "
            f"only on the input side {sorted(set(input_names) - set(output_names))}, "
            f"only on the output side {sorted(set(output_names) - set(input_names))}"
        )
    unknown = sorted(set(axes_lengths) - set(input_names))
    if unknown:
        raise ValueError(
            f"rearrange: axes_lengths names axes {unknown} that the pattern {pattern!r} "
            f"does not have (its axes: {input_names})"
        )
    return inputs, outputs


def _parse_side(side: str, pattern: str) -> list[list[str]]:
    groups = []
    for match in _TOKEN.finditer(side):
        group, name, stray = match.groups()
        if stray is not None:
            raise ValueError(
                f"rearrange: unbalanced or nested parentheses in the pattern {pattern!r}"
            )
        names = group.split() if group is not None else [name]
        for axis in names:
            if axis == "...":
                raise ValueError(
                    f"rearrange does not support '...' (as keras.ops.rearrange), received: "
                    f"pattern={pattern!r}; name every axis"
                )
            if not _NAME.match(axis):
                raise ValueError(
                    f"rearrange: axis names must be identifiers, received {axis!r} in the "
                    f"pattern {pattern!r}"
                )
        groups.append(names)
    return groups


def _axis_lengths(
    inputs: list[list[str]], shape: tuple[int, ...], axes_lengths: dict[str, int], pattern: str
) -> dict[str, int]:
    """The length of every named axis: the tensor's, or split from it by ``axes_lengths``."""
    lengths: dict[str, int] = {}
    for group, size in zip(inputs, shape):
        unknown = [name for name in group if name not in axes_lengths]
        known = math.prod(int(axes_lengths[name]) for name in group if name in axes_lengths)
        if len(unknown) > 1:
            raise ValueError(
                f"rearrange: the group ({' '.join(group)}) of {pattern!r} can infer one length, "
                f"but {unknown} are not given; pass them as keywords, e.g. {unknown[0]}=2"
            )
        if unknown and (known <= 0 or size % known) or not unknown and known != size:
            given = {name: axes_lengths[name] for name in group if name in axes_lengths}
            raise ValueError(
                f"rearrange: the axis ({' '.join(group)}) of {pattern!r} has length {size}, "
                f"which the given lengths {given} do not "
                f"{'divide' if unknown else 'multiply to'}"
            )
        for name in group:
            lengths[name] = int(axes_lengths[name]) if name in axes_lengths else size // known
    return lengths
