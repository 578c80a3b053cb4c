"""``StringLookup``: strings to vocabulary indices, or indices back to strings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchseq.layers.preprocessing._data_layer import as_string_array
from torchseq.layers.preprocessing.index_lookup import IndexLookup

__all__ = ["StringLookup"]


class StringLookup(IndexLookup):
    """Maps strings to integer indices from a vocabulary; mirrors ``keras.layers.StringLookup``.

    Indices are laid out as in Keras: the mask token at 0 (when ``mask_token`` is set and
    ``output_mode="int"``), then ``num_oov_indices`` out-of-vocabulary (OOV) indices, then
    the vocabulary. With several OOV indices an unknown string goes to the one its FarmHash
    fingerprint (or, with ``salt``, SipHash) picks, as in Keras.

    Torch has no string tensors: inputs are a str, (nested) lists of str or numpy
    string/object arrays; outputs are torch int64 tensors (float for the encoded modes).
    With ``invert=True`` the layer takes indices and returns a numpy array of str.

    Args:
        max_tokens: Largest vocabulary size, special tokens included. Default ``None``.
        num_oov_indices: Number of OOV indices. Default ``1``; with ``0`` an unknown string
            is an error.
        mask_token: Token for masked input, at index 0. Default ``None`` (no mask).
        oov_token: Token returned for OOV indices by ``invert=True``. Default ``"[UNK]"``.
        vocabulary: Optional list, array or text file path of tokens.
        idf_weights: With ``output_mode="tf_idf"`` and ``vocabulary``: one weight per entry.
        invert: Map indices back to strings. Default ``False``.
        output_mode: ``"int"`` (default), ``"one_hot"``, ``"multi_hot"``, ``"count"`` or
            ``"tf_idf"``.
        pad_to_max_tokens: Encode to ``max_tokens`` bins even when the vocabulary is
            smaller. Default ``False``.
        sparse: Only ``False``.
        encoding: Text encoding of bytes inputs. Default ``"utf-8"``.
        salt: Optional int or pair of ints: hash OOV strings with SipHash keyed by it.

    Input shape: any. Output shape: the input's for ``"int"``; otherwise see
    ``CategoryEncoding``.

    Example:
        >>> layer = StringLookup(vocabulary=["a", "b", "c"])
        >>> layer([["a", "c"], ["d", "b"]])
        tensor([[1, 3],
                [0, 2]])
    """

    _is_string = True

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: str | None = None,
        oov_token: str = "[UNK]",
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        pad_to_max_tokens: bool = False,
        sparse: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        salt: int | Sequence[int] | None = None,
        **kwargs: Any,
    ) -> None:
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            salt=salt,
            name=name,
            **kwargs,
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "encoding": self.encoding}

    # ------------------------------------------------------------------ lookups

    def _lookup(self, inputs: Any) -> torch.Tensor:
        strings = as_string_array(type(self).__name__, inputs, self.encoding)
        flat = strings.reshape(-1)
        known = self._index_of.get
        indices = np.fromiter((known(t, -1) for t in flat), dtype=np.int64, count=flat.size)
        unknown = indices < 0
        masked = None
        if self.mask_token is not None:
            masked = flat == self.mask_token
            unknown &= ~masked
        if unknown.any():
            if self.num_oov_indices == 0:
                self._raise_oov(flat[unknown])
            if self.num_oov_indices == 1:
                indices[unknown] = self._oov_start_index()
            else:
                tokens = flat[unknown].tolist()
                distinct = list(dict.fromkeys(tokens))
                buckets = dict(zip(distinct, self._oov_indices_of_strings(distinct).tolist()))
                indices[unknown] = [buckets[t] for t in tokens]
        if masked is not None:
            indices[masked] = 0 if self.output_mode == "int" else -1
        return torch.from_numpy(indices.reshape(strings.shape))

    def _invert(self, inputs: Any) -> np.ndarray:
        indices = inputs.detach().cpu().numpy() if torch.is_tensor(inputs) else np.asarray(inputs)
        if indices.dtype.kind not in "iu":
            raise TypeError(
                f"{type(self).__name__}: invert=True expects integer indices, received data "
                f"of dtype {indices.dtype}"
            )
        table = np.array([*self.get_vocabulary(), self.oov_token], dtype=object)
        inside = (indices >= 0) & (indices < len(table) - 1)
        return table[np.where(inside, indices, len(table) - 1)].astype(str)

    def _tokens_of(self, vocabulary: Any) -> list[Any]:
        return as_string_array(type(self).__name__, vocabulary, self.encoding).reshape(-1).tolist()

    def _token_array(self, data: Any) -> np.ndarray:
        if torch.is_tensor(data):
            raise TypeError(
                f"{type(self).__name__}: adapt() expects strings, received a torch tensor"
            )
        return as_string_array(type(self).__name__, data, self.encoding)
