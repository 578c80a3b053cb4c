"""Data into tensors: the one conversion behind ``model(...)``, ``fit``, ``evaluate``,
``predict`` and the ``*_on_batch`` methods.

``to_tensor`` wraps numpy (and pandas) data without a copy and casts it at most once.
``data_dtypes`` states the rule that picks the dtype each model input receives:

* an ``Input`` of a non-float dtype (``Input(dtype="int32")``, ``"bool"``) gets that dtype;
* an ``Input`` of another float dtype than ``config.floatx()`` (``Input(dtype="float64")``)
  gets that dtype;
* an ``Input`` of dtype ``config.floatx()`` (the default) gets the dtype of the model's
  floating weights, so a model converted with ``.double()`` or ``.to(torch.float64)``
  receives float64; bool and integer data are cast too, as Keras casts to the Input's dtype;
* where no ``Input`` declares a dtype (a subclassed model, a Sequential not built yet),
  float data gets the weights' float dtype and other data keeps its dtype.

Example:
    >>> import numpy as np, torch
    >>> to_tensor(np.arange(3), torch.float32).dtype
    torch.float32
    >>> to_tensor(np.zeros(2)).dtype  # float64 data, no declared dtype: config.floatx()
    torch.float32
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from torchseq import config
from torchseq.utils import tree

__all__ = ["as_numpy", "convert_inputs", "data_dtypes", "to_tensor"]


def to_tensor(
    value: Any,
    dtype: torch.dtype | None = None,
    *,
    float_dtype: torch.dtype | None = None,
    what: str = "x",
) -> torch.Tensor:
    """A numpy array, pandas object or tensor as a tensor, sharing memory where it can.

    Args:
        value: The data.
        dtype: The dtype to deliver, or ``None``: floating data then becomes
            ``float_dtype`` and other data keeps its dtype.
        float_dtype: The dtype of floating data when ``dtype`` is ``None``. Defaults to
            ``None``: ``config.floatx()``.
        what: How error messages name the data (``"x"``, ``"y"``...). Defaults to ``"x"``.

    Returns:
        A tensor; the same tensor (or a view of the same numpy memory) when no cast is needed.

    Raises:
        TypeError: For another type, an array of non-numeric dtype, or complex data cast to
            a real dtype.
    """
    if isinstance(value, torch.Tensor):
        tensor = value
    else:
        tensor = _from_numpy(as_numpy(value, what=what), what=what)
    target = dtype
    if target is None and tensor.is_floating_point():
        target = float_dtype or config.standardize_dtype(None)
    if target is None or tensor.dtype == target:
        return tensor
    if tensor.is_complex() and not target.is_complex:
        raise TypeError(
            f"{what} must hold real numbers for an input of dtype "
            f"{config.dtype_name(target)}, received complex data of dtype "
            f"{config.dtype_name(tensor.dtype)} (casting would drop the imaginary part)"
        )
    return tensor.to(target)


def data_dtypes(
    declared: Sequence[torch.dtype] | None, weights_float_dtype: torch.dtype | None
) -> tuple[list[torch.dtype | None] | None, torch.dtype]:
    """The dtype each input receives under the module's rule, and the float dtype of data.

    Args:
        declared: The dtypes of the model's ``Input`` s in input order, or ``None`` when
            the model declares none.
        weights_float_dtype: The dtype of the model's floating weights, or ``None``
            (no weights yet).

    Returns:
        ``(per_input, float_dtype)``: ``per_input`` holds a dtype for each input (``None``
        where only floats are cast), or is ``None``; ``float_dtype`` is what floating data
        without a declared dtype becomes (targets and sample weights included).
    """
    floatx = config.standardize_dtype(None)
    float_dtype = weights_float_dtype or floatx
    if declared is None:
        return None, float_dtype
    return [float_dtype if dtype == floatx else dtype for dtype in declared], float_dtype


def convert_inputs(
    x: Any,
    dtypes: list[torch.dtype | None] | None,
    names: Sequence[str] | None,
    convert: Callable[[Any, torch.dtype | None], Any],
) -> Any:
    """Apply ``convert(value, dtype)`` to every array of ``x``, matched to its input.

    ``x`` is one array (a single-input model), a list or tuple (namedtuples included) in
    input order, or a dict keyed by input name; whatever cannot be matched gets ``None``.
    """
    def each(value: Any, dtype: torch.dtype | None) -> Any:
        return tree.map_structure(lambda leaf: convert(leaf, dtype), value)

    if not dtypes:
        return each(x, None)
    if isinstance(x, Mapping):
        index = {name: position for position, name in enumerate(names or [])}
        return {
            key: each(value, dtypes[index[key]] if key in index else None)
            for key, value in x.items()
        }
    if isinstance(x, (list, tuple)):
        if len(x) != len(dtypes):
            return each(x, dtypes[0] if len(dtypes) == 1 else None)
        return tree.sequence_like(x, [each(value, dtype) for value, dtype in zip(x, dtypes)])
    return each(x, dtypes[0] if len(dtypes) == 1 else None)


def as_numpy(value: Any, *, what: str) -> np.ndarray:
    """A numpy array as is, a pandas DataFrame or Series through ``to_numpy()``.

    Raises:
        TypeError: For anything else.
    """
    if isinstance(value, np.ndarray):
        return value
    pandas = sys.modules.get("pandas")  # a pandas object implies pandas is imported
    if pandas is not None and isinstance(value, (pandas.DataFrame, pandas.Series)):
        return value.to_numpy()
    raise TypeError(
        f"{what} must be numpy arrays, torch tensors or pandas objects (or lists / dicts of "
        f"them), received: {type(value).__name__}"
    )


def _from_numpy(array: np.ndarray, *, what: str) -> torch.Tensor:
    if array.dtype.kind not in "biufc":
        raise TypeError(
            f"{what} must hold numbers (bool, int, float or complex), received a numpy array "
            f"of dtype {array.dtype}"
        )
    if not array.dtype.isnative or any(stride < 0 for stride in array.strides):
        array = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("="))
    if array.flags.writeable:
        return torch.from_numpy(array)
    # Sharing a read-only array is safe: the data is only read (sliced or gathered).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The given NumPy array is not writable")
        return torch.from_numpy(array)
