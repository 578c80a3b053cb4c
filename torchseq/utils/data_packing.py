"""``utils.pack_x_y_sample_weight`` and ``unpack_x_y_sample_weight``: the batch tuple of ``fit``.

``fit``, ``evaluate`` and a custom ``train_step(data)`` see a batch as ``x``, ``(x,)``,
``(x, y)`` or ``(x, y, sample_weight)``; these two helpers build and split that tuple.
"""

from __future__ import annotations

from typing import Any

__all__ = ["pack_x_y_sample_weight", "unpack_x_y_sample_weight"]


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """Pack data into the batch format of ``fit``; mirrors ``keras.utils.pack_x_y_sample_weight``.

    Args:
        x: The inputs.
        y: The targets, or ``None``.
        sample_weight: The sample weights, or ``None`` (ignored when ``y`` is ``None``).

    Returns:
        ``x`` alone when ``y`` is ``None`` (wrapped as ``(x,)`` when ``x`` is itself a
        tuple or list, so it is not read as ``(x, y)``), else ``(x, y)`` or
        ``(x, y, sample_weight)``.

    Example:
        >>> pack_x_y_sample_weight([1, 2])
        ([1, 2],)
        >>> pack_x_y_sample_weight("x", "y")
        ('x', 'y')
    """
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """Split a batch into ``(x, y, sample_weight)``; mirrors ``keras.utils.unpack_x_y_sample_weight``.

    For a custom ``train_step(self, data)`` that accepts every batch format.

    Args:
        data: ``x``, or a tuple or list ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``.

    Returns:
        ``(x, y, sample_weight)``, with ``None`` for what ``data`` lacks.

    Raises:
        ValueError: If ``data`` is a tuple or list of more than three items (or none).

    Example:
        >>> unpack_x_y_sample_weight(("x", "y"))
        ('x', 'y', None)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if not 1 <= len(data) <= 3:
        raise ValueError(
            "unpack_x_y_sample_weight expects x, (x,), (x, y) or (x, y, sample_weight), "
            f"received a tuple of {len(data)} items"
        )
    return (*data, *(None,) * (3 - len(data)))
