"""``DataLayer``: the base of preprocessing layers that also take host data.

Keras's preprocessing layers accept Python lists and numpy arrays (strings included) as
well as tensors. A tensor or symbolic input takes the ordinary layer path (built, hooked,
part of a model's graph); host data goes straight to ``call``, which converts it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchseq import config
from torchseq.layers.layer import Layer
from torchseq.layers.symbolic import KerasTensor, is_symbolic
from torchseq.utils import tree

__all__ = ["DataLayer", "as_index_tensor", "as_string_array"]


class DataLayer(Layer):
    """A layer whose ``call`` also accepts lists, scalars and numpy arrays.

    Subclasses say their output dtype with ``_output_dtype`` and their output shape with
    ``compute_output_shape``; symbolic calls use both and run no computation. They may
    be called on a symbolic string input (``Input(dtype="string")``): they validate what
    they receive when they run.
    """

    _takes_strings = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        inputs = args[0] if args else None
        if not args or is_symbolic(args) or is_symbolic(kwargs) or _all_tensors(inputs):
            return super().__call__(*args, **kwargs)
        kwargs = {k: v for k, v in kwargs.items() if not (k in ("training", "mask"))}
        self.built = True
        return self.call(*args, **kwargs)

    def _output_dtype(self) -> torch.dtype:
        return self._dtype

    def compute_output_spec(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        shapes = tree.map_structure(lambda t: tuple(t.shape), inputs)
        return KerasTensor(self.compute_output_shape(shapes), self._output_dtype())


def _all_tensors(inputs: Any) -> bool:
    if isinstance(inputs, torch.Tensor):
        return True
    if isinstance(inputs, (list, tuple)) and inputs:
        return all(isinstance(item, torch.Tensor) for item in inputs)
    return False


def as_string_array(layer: str, inputs: Any, encoding: str = "utf-8") -> np.ndarray:
    """Strings (a str, bytes, nested lists, numpy string/object arrays) as an object array
    of Python ``str``.

    Raises:
        TypeError: The inputs are a tensor or hold something other than strings.
    """
    if isinstance(inputs, torch.Tensor):
        raise TypeError(
            f"{layer}: expected strings (a str, a list of str or a numpy string array), "
            f"received a torch tensor of dtype {inputs.dtype}; torch has no string tensors"
        )
    array = np.asarray(inputs, dtype=object) if not isinstance(inputs, np.ndarray) else inputs
    if array.dtype.kind == "S":
        return np.char.decode(array, encoding).astype(object)
    if array.dtype.kind == "U":
        return array.astype(object)
    if array.dtype.kind != "O":
        raise TypeError(f"{layer}: expected strings, received a numpy array of dtype {array.dtype}")
    flat = array.reshape(-1)
    if all(type(item) is str for item in flat):
        return array
    decoded = np.empty(flat.shape, dtype=object)
    for position, item in enumerate(flat):
        if isinstance(item, bytes):
            item = item.decode(encoding)
        elif not isinstance(item, str):
            raise TypeError(
                f"{layer}: expected strings, received an element {item!r} of type "
                f"{type(item).__name__}"
            )
        decoded[position] = item
    return decoded.reshape(array.shape)


def as_index_tensor(layer: str, inputs: Any, device: Any = None) -> torch.Tensor:
    """Integer data (a tensor, number, list or numpy array) as an int64 tensor.

    Raises:
        TypeError: The data are not integers (strings, or floats with fractions).
    """
    if isinstance(inputs, torch.Tensor):
        tensor = inputs
    else:
        array = np.asarray(inputs)
        if array.dtype.kind not in "iubf":
            raise TypeError(
                f"{layer}: expected integer inputs, received data of dtype {array.dtype}"
            )
        tensor = torch.as_tensor(array, device=device)
    if tensor.is_floating_point():
        tensor = tensor.long()
    elif tensor.dtype == torch.bool or tensor.is_complex():
        raise TypeError(f"{layer}: expected integer inputs, received dtype {tensor.dtype}")
    return tensor.long()


def float_dtype() -> torch.dtype:
    """``config.floatx()`` as a torch dtype: the dtype of encoded (non-``int``) outputs."""
    return config.standardize_dtype(config.floatx())
