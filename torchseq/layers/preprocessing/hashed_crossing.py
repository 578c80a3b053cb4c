"""``HashedCrossing``: a feature cross of several categorical features, hashed into bins."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchseq.layers.preprocessing import _encoding
from torchseq.layers.preprocessing._data_layer import DataLayer, as_string_array
from torchseq.layers.preprocessing._hash_functions import (
    fingerprint64,
    fingerprint_cat64_tensors,
    unsigned_mod,
)

__all__ = ["HashedCrossing"]

# TensorFlow's default key of ``tf.sparse.cross_hashed``, which Keras uses.
_CROSS_HASH_KEY = 0xDECAFCAFFE


class HashedCrossing(DataLayer):
    """Crosses categorical features and hashes the cross; mirrors ``keras.layers.HashedCrossing``.

    The bins are Keras's (TensorFlow's ``cross_hashed``): starting from a fixed key, each
    feature's value is chained in with ``FingerprintCat64`` (an integer as itself, a string
    as its FarmHash fingerprint), and the result modulo ``num_bins`` is the bin. Integer
    features are crossed batched on their device.

    Args:
        num_bins: Number of bins.
        output_mode: ``"int"`` (default, int64 bins) or ``"one_hot"``.
        sparse: Only ``False``.

    Call arguments:
        inputs: A list or tuple of at least two features of equal shape, each ``()``,
            ``(batch,)`` or ``(batch, 1)``: integer tensors, lists or arrays, or strings.

    Output shape: the features' shape for ``"int"``; with ``(..., num_bins)`` for one-hot.

    Example:
        >>> layer = HashedCrossing(num_bins=5)
        >>> layer((np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102])))
        tensor([1, 4, 1, 1, 3])
    """

    def __init__(
        self,
        num_bins: int,
        output_mode: str = "int",
        sparse: bool = False,
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        output_mode = _encoding.normalize_output_mode(
            "HashedCrossing", output_mode, ("int", "one_hot")
        )
        if sparse:
            raise ValueError(
                "HashedCrossing: torch has no sparse outputs here; expected sparse=False, "
                "received: sparse=True"
            )
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.num_bins = int(num_bins)
        self.output_mode = output_mode
        self.sparse = False

    def call(self, inputs: Any) -> torch.Tensor:
        features = self._checked_features(inputs)
        shape = features[0].shape
        device = next((f.device for f in features if torch.is_tensor(f)), None)
        crossed = torch.full(shape, _CROSS_HASH_KEY, dtype=torch.int64, device=device)
        for feature in features:
            crossed = fingerprint_cat64_tensors(crossed, self._feature_hashes(feature, device))
        bins = unsigned_mod(crossed, self.num_bins)
        return _encoding.encode(bins, self.output_mode, self.num_bins, self._dtype)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) < 2:
            raise ValueError(
                "HashedCrossing: expected a list of at least 2 input shapes, received: "
                f"{input_shape!r}"
            )
        return _encoding.encoded_shape(tuple(input_shape[0]), self.output_mode, self.num_bins)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "output_mode": self.output_mode,
            "sparse": False,
        }

    def _checked_features(self, inputs: Any) -> list[Any]:
        if not isinstance(inputs, (list, tuple)):
            raise TypeError(
                "HashedCrossing: expected a list or tuple of features, received: "
                f"{type(inputs).__name__}"
            )
        if len(inputs) < 2:
            raise ValueError(
                f"HashedCrossing: expected at least 2 features, received: {len(inputs)}"
            )
        features = [f if torch.is_tensor(f) else np.asarray(f) for f in inputs]
        shape = tuple(features[0].shape)
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise ValueError(
                "HashedCrossing: every feature must have shape (), (batch,) or (batch, 1), "
                f"received: {shape}"
            )
        shapes = [tuple(f.shape) for f in features]
        if any(s != shape for s in shapes):
            raise ValueError(
                f"HashedCrossing: the features must have equal shapes, received: {shapes}"
            )
        return features

    def _feature_hashes(self, feature: Any, device: Any) -> torch.Tensor:
        if torch.is_tensor(feature) or feature.dtype.kind in "iub":
            if torch.is_tensor(feature) and (feature.is_floating_point() or feature.is_complex()):
                raise ValueError(
                    f"HashedCrossing: features must be integers or strings, received dtype "
                    f"{feature.dtype}"
                )
            return torch.as_tensor(feature, device=device).long()
        if feature.dtype.kind not in "USO":
            raise ValueError(
                "HashedCrossing: features must be integers or strings, received dtype "
                f"{feature.dtype}"
            )
        strings = as_string_array("HashedCrossing", feature)
        distinct, inverse = np.unique(strings.reshape(-1), return_inverse=True)
        hashed = [_as_int64(fingerprint64(s.encode())) for s in distinct]
        table = torch.tensor(hashed, dtype=torch.int64, device=device)
        return table[torch.from_numpy(inverse.reshape(strings.shape)).to(device)]


def _as_int64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value
