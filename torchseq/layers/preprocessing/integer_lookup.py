"""``IntegerLookup``: integer tokens to vocabulary indices, or indices back to tokens."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchseq.layers.preprocessing._data_layer import as_index_tensor
from torchseq.layers.preprocessing.index_lookup import IndexLookup

__all__ = ["IntegerLookup"]


class IntegerLookup(IndexLookup):
    """Maps integer tokens to indices from a vocabulary; mirrors ``keras.layers.IntegerLookup``.

    The layout of indices is Keras's (mask at 0 when ``mask_token`` is set and
    ``output_mode="int"``, then the OOV indices, then the vocabulary). The lookup runs
    batched on the input tensor's device (a sorted key table and ``searchsorted``), so the
    layer also works inside a model. With several OOV indices an unknown token ``t`` goes
    to ``t mod num_oov_indices`` (``oov_method="floormod"``) or to the FarmHash bucket of
    its decimal text (``"farmhash"``), as in Keras.

    Args:
        max_tokens: Largest vocabulary size, special tokens included. Default ``None``.
        num_oov_indices: Number of OOV indices. Default ``1``; ``0`` makes unknown tokens
            an error.
        mask_token: Integer token for masked input, at index 0. Default ``None``.
        oov_token: Token returned for OOV indices by ``invert=True``. Default ``-1``.
        vocabulary: Optional list, array or text file path of tokens.
        vocabulary_dtype: Only ``"int64"``.
        idf_weights: With ``output_mode="tf_idf"`` and ``vocabulary``: one weight per entry.
        invert: Map indices back to tokens. Default ``False``.
        output_mode: ``"int"`` (default), ``"one_hot"``, ``"multi_hot"``, ``"count"`` or
            ``"tf_idf"``.
        sparse: Only ``False``.
        pad_to_max_tokens: Encode to ``max_tokens`` bins. Default ``False``.
        oov_method: ``"floormod"`` (default) or ``"farmhash"``.
        salt: With ``"farmhash"``: an int or pair of ints keying SipHash instead.

    Input shape: any integer tensor (or list, numpy array). Output shape: the input's for
    ``"int"``; otherwise see ``CategoryEncoding``. Outputs are int64 (``"int"``) or floats.

    Example:
        >>> layer = IntegerLookup(vocabulary=[12, 36, 1138, 42])
        >>> layer(torch.tensor([[12, 1138, 42], [42, 1000, 36]]))
        tensor([[1, 3, 4],
                [4, 0, 2]])
    """

    _is_string = False

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: int | None = None,
        oov_token: int = -1,
        vocabulary: Any = None,
        vocabulary_dtype: str = "int64",
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        salt: int | Sequence[int] | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if vocabulary_dtype != "int64":
            raise ValueError(
                "IntegerLookup: only vocabulary_dtype='int64' is supported, received: "
                f"vocabulary_dtype={vocabulary_dtype!r}"
            )
        self.vocabulary_dtype = vocabulary_dtype
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=None if mask_token is None else int(mask_token),
            oov_token=None if oov_token is None else int(oov_token),
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            oov_method=oov_method,
            salt=salt,
            name=name,
            **kwargs,
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "vocabulary_dtype": self.vocabulary_dtype}

    # ------------------------------------------------------------------ lookups

    def _lookup(self, inputs: Any) -> torch.Tensor:
        values = as_index_tensor(type(self).__name__, inputs)
        keys, indices = self._table_on(values.device)
        if len(keys):
            position = torch.searchsorted(keys, values.contiguous()).clamp_max(len(keys) - 1)
            found = keys[position] == values
            looked_up = torch.where(found, indices[position], -1)
        else:
            found = torch.zeros_like(values, dtype=torch.bool)
            looked_up = torch.full_like(values, -1)
        unknown = ~found
        if self.mask_token is not None:
            masked = values == self.mask_token
            unknown &= ~masked
        if self.num_oov_indices == 0:
            if bool(unknown.any()):
                self._raise_oov(values[unknown].unique().tolist())
        else:
            looked_up = torch.where(unknown, self._oov_indices_of_ints(values), looked_up)
        if self.mask_token is not None:
            looked_up = torch.where(masked, 0 if self.output_mode == "int" else -1, looked_up)
        return looked_up

    def _invert(self, inputs: Any) -> torch.Tensor:
        indices = as_index_tensor(type(self).__name__, inputs)
        oov = self.oov_token if self.oov_token is not None else -1
        table = torch.tensor([*self.get_vocabulary(), oov], device=indices.device)
        inside = (indices >= 0) & (indices < len(table) - 1)
        return table[torch.where(inside, indices, len(table) - 1)]

    def _table_on(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """The sorted tokens and their indices, as tensors on ``device`` (cached)."""
        table = self._device_tables.get(device)
        if table is None:
            tokens = torch.tensor(self._tokens, dtype=torch.int64)
            keys, order = torch.sort(tokens)
            indices = order + self._token_start_index()
            table = self._device_tables[device] = (keys.to(device), indices.to(device))
        return table

    def _tokens_of(self, vocabulary: Any) -> list[Any]:
        if torch.is_tensor(vocabulary):
            vocabulary = vocabulary.detach().cpu().numpy()
        array = np.asarray(vocabulary)
        if array.dtype.kind not in "iu":
            raise TypeError(
                f"IntegerLookup: the vocabulary must hold integers, received dtype {array.dtype}"
            )
        return [int(v) for v in array.reshape(-1)]

    def _token_array(self, data: Any) -> np.ndarray:
        if torch.is_tensor(data):
            return data.detach().cpu().numpy().astype(np.int64)
        array = np.asarray(data)
        if array.dtype.kind not in "iu":
            raise TypeError(
                f"IntegerLookup: adapt() expects integers, received data of dtype {array.dtype}"
            )
        return array.astype(np.int64)
