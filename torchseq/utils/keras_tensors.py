"""Questions about symbolic tensors: is this one, and which ``Input`` tensors made it."""

from __future__ import annotations

from typing import Any

__all__ = ["get_source_inputs", "is_keras_tensor"]


def is_keras_tensor(x: Any) -> bool:
    """Whether ``x`` is a symbolic tensor (``keras.utils.is_keras_tensor``).

    Example:
        >>> import torchseq as keras
        >>> keras.utils.is_keras_tensor(keras.Input((3,)))
        True
    """
    from torchseq.layers.symbolic import KerasTensor

    return isinstance(x, KerasTensor)


def get_source_inputs(tensor: Any) -> Any:
    """The symbolic tensors with no producing layer call (the ``Input`` tensors) that
    ``tensor`` was computed from, in the order a depth-first walk meets them.

    As ``keras.utils.get_source_inputs``: anything that is not a symbolic tensor is
    returned unchanged, and a symbolic tensor that no layer produced is its own source.

    Args:
        tensor: A symbolic tensor.

    Returns:
        A list of symbolic tensors, each once.

    Example:
        >>> import torchseq as keras
        >>> a, b = keras.Input((3,)), keras.Input((3,))
        >>> y = keras.layers.Dense(2)(keras.layers.Add()([a, b]))
        >>> keras.utils.get_source_inputs(y) == [a, b]
        True
    """
    if not is_keras_tensor(tensor):
        return tensor
    sources: list[Any] = []
    seen_nodes: set[int] = set()
    pending = [tensor]  # depth-first, without recursion: graphs may be thousands deep
    while pending:
        current = pending.pop()
        node = current.node
        if node is None or node.is_input:
            if all(current is not source for source in sources):
                sources.append(current)
        elif id(node) not in seen_nodes:
            seen_nodes.add(id(node))
            pending.extend(reversed(node.input_tensors))
    return sources
