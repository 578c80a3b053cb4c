"""``Hashing``: strings or integers hashed into a fixed number of bins."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchseq.layers.preprocessing import _encoding
from torchseq.layers.preprocessing._data_layer import DataLayer, as_string_array, float_dtype
from torchseq.layers.preprocessing._hash_functions import (
    fingerprint64,
    fingerprint64_of_ints,
    siphash64,
    unsigned_mod,
)
from torchseq.utils.integers import is_int

__all__ = ["Hashing"]


class Hashing(DataLayer):
    """Hashes strings or integers into ``num_bins`` bins; mirrors ``keras.layers.Hashing``.

    The bins are Keras's: FarmHash ``Fingerprint64`` of the value's text (an integer's
    decimal text; floats are truncated to integers first) modulo the number of bins, or
    SipHash-2-4 keyed by ``salt``. Integer tensors are hashed batched on their own device;
    strings (a str, lists, numpy string arrays) on the host, once per distinct string.

    Args:
        num_bins: Number of bins, including the mask bin when ``mask_value`` is set.
        mask_value: Optional value mapped to bin 0; the others then use bins ``1..``.
        salt: Optional int or pair of ints: use SipHash keyed by it instead of FarmHash.
        output_mode: ``"int"`` (default), ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        sparse: Only ``False``.

    Input shape: any. Output shape: the input's for ``"int"`` (int64); otherwise see
    ``CategoryEncoding``.

    Example:
        >>> Hashing(num_bins=3)([["A"], ["B"], ["C"], ["D"], ["E"]]).tolist()
        [[1], [0], [1], [1], [2]]
    """

    def __init__(
        self,
        num_bins: int,
        mask_value: Any = None,
        salt: int | Sequence[int] | None = None,
        output_mode: str = "int",
        sparse: bool = False,
        **kwargs: Any,
    ) -> None:
        if num_bins is None or num_bins <= 0:
            raise ValueError(
                f"Hashing: num_bins must be a positive int, received: num_bins={num_bins}"
            )
        output_mode = _encoding.normalize_output_mode(
            "Hashing", output_mode, ("int", "one_hot", "multi_hot", "count")
        )
        if sparse:
            raise ValueError(
                "Hashing: torch has no sparse outputs here; expected sparse=False, "
                "received: sparse=True"
            )
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else float_dtype()
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = [int(part) for part in salt]
            elif is_int(salt):
                salt = [int(salt), int(salt)]
            else:
                raise ValueError(
                    f"Hashing: salt must be an int or a pair of ints, received: salt={salt!r}"
                )
        super().__init__(**kwargs)
        if output_mode == "int" and self._dtype not in (torch.int32, torch.int64):
            raise ValueError(
                "Hashing: output_mode='int' needs dtype 'int32' or 'int64', received: "
                f"dtype={self.dtype!r}"
            )
        self.num_bins = int(num_bins)
        self.mask_value = mask_value
        self.salt = salt
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = False

    def call(self, inputs: Any) -> torch.Tensor:
        bins = self._hash_to_bins(inputs)
        return _encoding.encode(bins, self.output_mode, self.num_bins, self._dtype)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return _encoding.encoded_shape(tuple(input_shape), self.output_mode, self.num_bins)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "salt": self.salt,
            "mask_value": self.mask_value,
            "output_mode": self.output_mode,
            "sparse": False,
        }

    def _hash_to_bins(self, inputs: Any) -> torch.Tensor:
        bins = self.num_bins
        masking = self.mask_value is not None and bins > 1
        if masking:
            bins -= 1
        if _holds_strings(inputs):
            strings = as_string_array("Hashing", inputs)
            distinct, inverse = np.unique(strings.reshape(-1), return_inverse=True)
            hashed = np.array([self._hash_bytes(s.encode()) % bins for s in distinct], np.int64)
            result = torch.from_numpy(hashed[inverse].reshape(strings.shape))
            if masking:
                masked = torch.from_numpy(strings == self.mask_value)
        else:
            values = torch.as_tensor(inputs) if not torch.is_tensor(inputs) else inputs
            if values.is_floating_point():
                values = values.long()
            values = values.long()
            if self.strong_hash:
                distinct, inverse = torch.unique(values, return_inverse=True)
                hashed = [self._hash_bytes(str(v).encode()) % bins for v in distinct.tolist()]
                result = torch.tensor(hashed, dtype=torch.int64, device=values.device)[inverse]
            else:
                result = unsigned_mod(fingerprint64_of_ints(values), bins)
            if masking:
                masked = values == self.mask_value
        if masking:
            result = torch.where(masked, 0, result + 1)
        return result

    def _hash_bytes(self, data: bytes) -> int:
        return siphash64(data, self.salt) if self.salt else fingerprint64(data)


def _holds_strings(inputs: Any) -> bool:
    if torch.is_tensor(inputs):
        return False
    if isinstance(inputs, (str, bytes)):
        return True
    return np.asarray(inputs).dtype.kind in "USO"
