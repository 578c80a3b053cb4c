"""``IndexLookup``: the vocabulary machinery shared by ``StringLookup`` and ``IntegerLookup``.

A vocabulary maps tokens to indices laid out as Keras lays them out: the mask token at 0
(``output_mode="int"`` only), then ``num_oov_indices`` out-of-vocabulary indices, then the
tokens. ``adapt`` counts tokens and keeps the most frequent (ties: the greater token first,
as Keras sorts). Integer tokens are looked up on the tensor's own device with a sorted key
table and ``searchsorted``; string tokens through a dict, once per distinct string.
"""

from __future__ import annotations

import collections
import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch

from torchseq.layers.preprocessing import _encoding
from torchseq.layers.preprocessing._data_layer import DataLayer, float_dtype
from torchseq.layers.preprocessing._hash_functions import (
    fingerprint64,
    fingerprint64_of_ints,
    siphash64,
    unsigned_mod,
)
from torchseq.utils.integers import int_or_none, is_int

__all__ = ["IndexLookup"]

_OOV_METHODS = ("floormod", "farmhash")
_VOCABULARY_FILE = "vocabulary.txt"


class IndexLookup(DataLayer):
    """Maps tokens to vocabulary indices (or back, with ``invert=True``), then encodes them.

    Not used directly: ``StringLookup`` and ``IntegerLookup`` give the token type and
    Keras's defaults. See ``StringLookup`` for the arguments.
    """

    _is_string = True

    def __init__(
        self,
        max_tokens: int | None,
        num_oov_indices: int,
        mask_token: Any,
        oov_token: Any,
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        salt: int | Sequence[int] | None = None,
        vocabulary_size: int | None = None,
        has_input_vocabulary: bool | None = None,
        **kwargs: Any,
    ) -> None:
        layer = type(self).__name__
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                f"{layer}: max_tokens must be greater than 1 when set, received: "
                f"max_tokens={max_tokens}"
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(
                f"{layer}: pad_to_max_tokens=True needs max_tokens, received: max_tokens=None"
            )
        if num_oov_indices < 0:
            raise ValueError(
                f"{layer}: num_oov_indices must be >= 0, received: "
                f"num_oov_indices={num_oov_indices}"
            )
        if oov_method not in _OOV_METHODS:
            raise ValueError(
                f"{layer}: oov_method must be one of {list(_OOV_METHODS)}, received: "
                f"oov_method={oov_method!r}"
            )
        output_mode = _encoding.normalize_output_mode(layer, output_mode, _encoding.OUTPUT_MODES)
        if sparse:
            raise ValueError(
                f"{layer}: torch has no sparse outputs for this layer; expected sparse=False, "
                "received: sparse=True"
            )
        if invert and output_mode != "int":
            raise ValueError(
                f"{layer}: invert=True needs output_mode='int', received: "
                f"output_mode={output_mode!r}"
            )
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                f"{layer}: idf_weights are only used with output_mode='tf_idf', received: "
                f"output_mode={output_mode!r}"
            )
        salt = _salt_pair(layer, salt, self._is_string or oov_method == "farmhash", oov_method)
        if has_input_vocabulary is None:
            has_input_vocabulary = vocabulary is not None
        if output_mode == "tf_idf" and has_input_vocabulary and idf_weights is None:
            raise ValueError(
                f"{layer}: with a vocabulary and output_mode='tf_idf', idf_weights must be "
                "given too, received: idf_weights=None"
            )
        super().__init__(**kwargs)
        self.max_tokens = int_or_none(max_tokens)
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.invert = bool(invert)
        self.output_mode = output_mode
        self.sparse = False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.oov_method = oov_method
        self.salt = salt
        self.input_vocabulary = None if isinstance(vocabulary, str) else vocabulary
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = bool(has_input_vocabulary)
        self._frozen_vocab_size = vocabulary_size
        self._tokens: list[Any] = []
        self._index_of: dict[Any, int] = {}
        self._idf_weights: torch.Tensor | None = None
        self._device_tables: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] = {}
        self._config_vocabulary: tuple[list | None, list | None] = (None, None)
        self.reset_state()
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # ------------------------------------------------------------------ vocabulary

    def vocabulary_size(self) -> int:
        """The number of indices: mask and OOV positions plus the tokens."""
        return self._token_start_index() + len(self._tokens)

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[Any]:
        """The vocabulary in index order.

        Args:
            include_special_tokens: Include the mask token and the OOV tokens at the front.
        """
        vocabulary = [self.oov_token] * self._token_start_index() + list(self._tokens)
        if self.mask_token is not None and self.output_mode == "int":
            vocabulary[0] = self.mask_token
        if not include_special_tokens:
            vocabulary = vocabulary[self._token_start_index() :]
        return vocabulary

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Replace the vocabulary (and for ``tf_idf`` the IDF weights).

        Args:
            vocabulary: A list or array of unique tokens, or the path of a text file with
                one token per line. It may start with the special tokens in index order
                (mask, then OOV); they are recognised and not counted as tokens.
            idf_weights: For ``output_mode="tf_idf"`` only: one weight per vocabulary entry.

        Raises:
            ValueError: Repeated tokens, special tokens out of place, an empty vocabulary,
                more than ``max_tokens`` entries, or IDF weights that do not fit.
        """
        layer = type(self).__name__
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(
                f"{layer}: output_mode='tf_idf' needs idf_weights with the vocabulary, "
                "received: idf_weights=None"
            )
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(
                f"{layer}: idf_weights are only used with output_mode='tf_idf', received: "
                f"output_mode={self.output_mode!r}"
            )
        if isinstance(vocabulary, (str, os.PathLike)):
            vocabulary = self._read_vocabulary_file(vocabulary)
        tokens = self._tokens_of(vocabulary)
        if not tokens:
            raise ValueError(f"{layer}: cannot set an empty vocabulary, received: {vocabulary!r}")
        special = self._special_tokens()
        found_special = tokens[: len(special)] == special
        if found_special:
            tokens = tokens[len(special) :]
        repeated = [token for token, n in collections.Counter(tokens).items() if n > 1]
        if repeated:
            raise ValueError(
                f"{layer}: the vocabulary repeats tokens {repeated}; expected unique tokens"
            )
        for name, token in (("mask_token", self.mask_token), ("oov_token", self.oov_token)):
            if token is None or token not in tokens or (name == "oov_token" and not self.invert):
                continue
            raise ValueError(
                f"{layer}: found the reserved {name} {token!r} at vocabulary index "
                f"{tokens.index(token) + (len(special) if found_special else 0)}; give the "
                "vocabulary without special tokens, or with them only at the start in this "
                f"order: {special}"
            )
        size = self._token_start_index() + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(
                f"{layer}: the vocabulary has {size} entries (special tokens included), more "
                f"than max_tokens={self.max_tokens}"
            )
        self._store_tokens(tokens)
        if self.output_mode == "tf_idf":
            self._idf_weights = self._padded_idf(idf_weights, len(vocabulary), found_special)
        self._config_vocabulary = (self._tokens_of(vocabulary), _plain_list(idf_weights))

    def _padded_idf(self, idf_weights: Any, vocabulary_length: int, found_special: bool) -> Any:
        layer = type(self).__name__
        weights = np.asarray(
            idf_weights.detach().cpu() if torch.is_tensor(idf_weights) else idf_weights,
            dtype=np.float64,
        )
        if weights.ndim != 1:
            raise ValueError(f"{layer}: idf_weights must be 1-D, received shape {weights.shape}")
        if len(weights) != vocabulary_length:
            raise ValueError(
                f"{layer}: idf_weights must have one weight per vocabulary entry; received "
                f"{len(weights)} weights for {vocabulary_length} entries"
            )
        front = 0 if found_special else self._token_start_index()
        front_value = float(np.mean(weights)) if front else 0.0
        back = 0
        if self.pad_to_max_tokens and self.max_tokens is not None:
            back = self.max_tokens - front - len(weights)
        padded = np.pad(weights, (front, back), constant_values=(front_value, 0.0))
        return torch.as_tensor(padded, dtype=float_dtype())

    def _store_tokens(self, tokens: list[Any]) -> None:
        """Install ``tokens`` (no special tokens) and freeze the vocabulary size."""
        self._tokens = list(tokens)
        start = self._token_start_index()
        self._index_of = {token: start + i for i, token in enumerate(self._tokens)}
        self._device_tables = {}
        self._record_vocabulary_size()

    def _record_vocabulary_size(self) -> None:
        size = self.vocabulary_size()
        fixed_depth = self.output_mode == "int" or self.pad_to_max_tokens
        if not fixed_depth and self._frozen_vocab_size not in (None, size):
            raise RuntimeError(
                f"{type(self).__name__}: with output_mode={self.output_mode!r} and "
                "pad_to_max_tokens=False the vocabulary size cannot change once set; it was "
                f"{self._frozen_vocab_size}, the new vocabulary has {size} entries"
            )
        self._frozen_vocab_size = size

    def save_assets(self, dir_path: str) -> None:
        """Write a vocabulary learned by ``adapt`` to ``dir_path/vocabulary.txt``, one token
        a line with the special tokens first, as Keras keeps it in a ``.keras`` archive's
        ``assets/``. A vocabulary given as an argument is in the config instead."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, _VOCABULARY_FILE), "w", encoding="utf-8") as file:
            file.write("\n".join(str(token) for token in self.get_vocabulary()))

    def load_assets(self, dir_path: str) -> None:
        """Read the vocabulary that :meth:`save_assets` (or Keras) wrote to ``dir_path``.

        Raises:
            ValueError: The file is missing, or the layer's output mode is ``tf_idf``
                (whose IDF weights Keras keeps among the weights, which torchseq does not
                read).
        """
        if self.input_vocabulary is not None:
            return
        path = os.path.join(dir_path, _VOCABULARY_FILE)
        if self.output_mode == "tf_idf":
            raise ValueError(
                f'{type(self).__name__} "{self.name}": cannot load an adapted vocabulary with '
                "output_mode='tf_idf' from a .keras archive's assets; expected the "
                "vocabulary and idf_weights in the layer's config"
            )
        self.set_vocabulary(self._read_vocabulary_file(path))

    # ------------------------------------------------------------------ adapt

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Learn the vocabulary (and IDF weights for ``tf_idf``) from ``data``.

        Args:
            data: An array, list or tensor of tokens (a 1-D one is one token per
                document; a list of rows of different lengths is one document per row),
                or an iterable of such batches (a generator, a ``DataLoader``).
            steps: With an iterable, the number of batches to read (default: all).
        """
        self.reset_state()
        if _is_batch_iterable(data):
            for step, batch in enumerate(data):
                if steps is not None and step >= steps:
                    break
                self.update_state(batch)
        elif _is_ragged(data):
            self._count_documents([self._token_array(row).reshape(-1) for row in data])
        else:
            array = self._token_array(data)
            self._count_documents(array.reshape(-1, 1) if array.ndim == 1 else array)
        self.finalize_state()

    def update_state(self, data: Any) -> None:
        """Count the tokens of one batch (rows are documents; a 1-D batch is one)."""
        array = self._token_array(data)
        self._count_documents(array.reshape(1, -1) if array.ndim <= 1 else array)

    def _count_documents(self, documents: Any) -> None:
        """Add the token counts of ``documents`` (a 2-D array, or a list of 1-D rows)."""
        if self._has_input_vocabulary:
            raise ValueError(
                f'{type(self).__name__} "{self.name}": cannot adapt a layer whose vocabulary '
                "was set with vocabulary= or set_vocabulary()"
            )
        rows = list(documents) if not isinstance(documents, np.ndarray) else documents
        flat = np.concatenate([np.asarray(row).reshape(-1) for row in rows]) if len(rows) else []
        self._token_counts.update(_value_counts(flat))
        if self.output_mode == "tf_idf":
            for row in rows:
                self._document_counts.update(_value_counts(np.asarray(row).reshape(-1)).keys())
            self._num_documents += len(rows)

    def finalize_state(self) -> None:
        """Turn the counts gathered by ``update_state`` into the vocabulary."""
        if self._has_input_vocabulary or not self._token_counts:
            self._record_vocabulary_size()
            return
        for special in (self.mask_token, self.oov_token):
            self._token_counts.pop(special, None)
        ranked = sorted(self._token_counts.items(), key=lambda item: (item[1], item[0]))
        tokens = [token for token, _ in reversed(ranked)]
        if self.max_tokens:
            tokens = tokens[: self.max_tokens - self._token_start_index()]
        self._store_tokens(tokens)
        if self.output_mode == "tf_idf":
            documents = np.array([self._document_counts[t] for t in tokens], dtype=np.float64)
            idf = np.log(1 + self._num_documents / (1 + documents)).astype(np.float32)
            front = np.full(self._token_start_index(), np.mean(idf) if len(idf) else 0.0)
            weights = np.concatenate([front, idf])
            if self.pad_to_max_tokens and self.max_tokens is not None:
                weights = np.pad(weights, (0, self.max_tokens - len(weights)))
            self._idf_weights = torch.as_tensor(weights, dtype=float_dtype())
        learned = self.get_vocabulary()
        idf = None if self._idf_weights is None else self._idf_weights[: len(learned)].tolist()
        self._config_vocabulary = (learned, idf)
        self.reset_state()

    def reset_state(self) -> None:
        """Forget the counts gathered by ``update_state`` (not the vocabulary)."""
        self._token_counts: collections.Counter = collections.Counter()
        self._document_counts: collections.Counter = collections.Counter()
        self._num_documents = 0

    # ------------------------------------------------------------------ call

    def call(self, inputs: Any) -> Any:
        self._check_known_depth()
        if self.invert:
            return self._invert(inputs)
        indices = self._lookup(inputs)
        if self.output_mode == "int":
            return indices
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        idf = None
        if self.output_mode == "tf_idf":
            if self._idf_weights is None:
                raise ValueError(
                    f"{type(self).__name__}: output_mode='tf_idf' needs idf_weights; pass "
                    "them with the vocabulary or call adapt()"
                )
            idf = self._idf_weights
        return _encoding.encode(indices, self.output_mode, depth, float_dtype(), idf_weights=idf)

    def compute_output_shape(self, input_shape: Any) -> Any:
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        return _encoding.encoded_shape(tuple(input_shape), self.output_mode, depth)

    def get_config(self) -> dict[str, Any]:
        """Keras's config; the vocabulary (given or learned by ``adapt``) is written into it."""
        vocabulary, idf_weights = self._config_vocabulary
        return {
            **super().get_config(),
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": False,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "idf_weights": idf_weights,
            "vocabulary": vocabulary,
            "vocabulary_size": self._frozen_vocab_size,
            "oov_method": self.oov_method,
            "salt": self.salt,
        }

    def _output_dtype(self) -> torch.dtype:
        return torch.int64 if self.output_mode == "int" else float_dtype()

    # ------------------------------------------------------------------ lookups

    def _lookup(self, inputs: Any) -> torch.Tensor:
        """Token indices; in encoded modes the mask token becomes -1 (encoded as nothing)."""
        raise NotImplementedError

    def _invert(self, inputs: Any) -> Any:
        raise NotImplementedError

    def _oov_indices_of_strings(self, tokens: Sequence[str]) -> np.ndarray:
        """The OOV index of each (distinct) string token, hashed as Keras hashes them."""
        if self.num_oov_indices == 1:
            return np.full(len(tokens), self._oov_start_index(), dtype=np.int64)
        hashes = [
            siphash64(token.encode(), self.salt) if self.salt else fingerprint64(token.encode())
            for token in (str(t) for t in tokens)
        ]
        buckets = [h % self.num_oov_indices for h in hashes]
        return np.asarray(buckets, dtype=np.int64) + self._oov_start_index()

    def _oov_indices_of_ints(self, values: torch.Tensor) -> torch.Tensor:
        n = self.num_oov_indices
        if n == 1:
            buckets = torch.zeros_like(values)
        elif self.oov_method == "floormod":
            buckets = torch.remainder(values, n)
        elif self.salt is None:
            buckets = unsigned_mod(fingerprint64_of_ints(values), n)
        else:
            distinct, inverse = torch.unique(values, return_inverse=True)
            hashed = [siphash64(str(v).encode(), self.salt) % n for v in distinct.tolist()]
            buckets = torch.tensor(hashed, dtype=torch.int64, device=values.device)[inverse]
        return buckets + self._oov_start_index()

    def _raise_oov(self, tokens: Iterable[Any]) -> None:
        found = sorted({str(t) for t in tokens})[:10]
        raise ValueError(
            f'{type(self).__name__} "{self.name}": with num_oov_indices=0 every input must be '
            f"in the vocabulary; found out-of-vocabulary values {found}. Set "
            "num_oov_indices=1 to map them to an OOV index."
        )

    # ------------------------------------------------------------------ helpers

    def _special_tokens(self) -> list[Any]:
        return [self.mask_token] * self._oov_start_index() + [self.oov_token] * (
            self.num_oov_indices
        )

    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def _check_known_depth(self) -> None:
        if self.output_mode == "int" or self.pad_to_max_tokens:
            return
        if self._frozen_vocab_size is None:
            raise RuntimeError(
                f'{type(self).__name__} "{self.name}": with output_mode={self.output_mode!r} '
                "and pad_to_max_tokens=False the vocabulary must be set before the layer is "
                "called; pass vocabulary= or call adapt() first"
            )

    def _read_vocabulary_file(self, path: Any) -> list[Any]:
        if self.output_mode == "tf_idf":
            raise ValueError(
                f"{type(self).__name__}: output_mode='tf_idf' cannot read its vocabulary "
                f"from a file, received: vocabulary={str(path)!r}"
            )
        if not os.path.isfile(path):
            raise ValueError(f"{type(self).__name__}: vocabulary file {str(path)!r} not found")
        with open(path, encoding="utf-8") as file:
            lines = file.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        if self._is_string:
            return lines
        try:
            return [int(line) for line in lines]
        except ValueError as error:
            raise ValueError(
                f"{type(self).__name__}: vocabulary file {str(path)!r} must hold one integer "
                f"a line ({error})"
            ) from error

    def _tokens_of(self, vocabulary: Any) -> list[Any]:
        """A user's vocabulary as a list of plain tokens."""
        raise NotImplementedError

    def _token_array(self, data: Any) -> np.ndarray:
        """Adapt data as a numpy array of tokens."""
        raise NotImplementedError


# ---------------------------------------------------------------------- helpers


def _salt_pair(layer: str, salt: Any, hashes: bool, oov_method: str) -> list[int] | None:
    if salt is None:
        return None
    if not hashes:
        raise ValueError(
            f"{layer}: salt is only used with oov_method='farmhash', received: "
            f"oov_method={oov_method!r}"
        )
    if isinstance(salt, (tuple, list)) and len(salt) == 2:
        return [int(part) for part in salt]
    if is_int(salt):
        return [int(salt), int(salt)]
    raise ValueError(f"{layer}: salt must be an int or a pair of ints, received: salt={salt!r}")


def _is_batch_iterable(data: Any) -> bool:
    """Whether adapt data is a stream of batches (not one array, tensor, list or string)."""
    if isinstance(data, (list, tuple, np.ndarray, torch.Tensor, str, bytes)):
        return False
    return hasattr(data, "__iter__")


def _is_ragged(data: Any) -> bool:
    """Whether ``data`` is a list of token rows of different lengths."""
    if not isinstance(data, (list, tuple)) or not data:
        return False
    if not all(isinstance(row, (list, tuple, np.ndarray)) for row in data):
        return False
    return len({len(row) for row in data}) > 1


def _value_counts(values: Any) -> dict[Any, int]:
    values = np.asarray(values)
    if values.size == 0:
        return {}
    distinct, counts = np.unique(values, return_counts=True)
    return dict(zip(distinct.tolist(), counts.tolist()))


def _plain_list(value: Any) -> Any:
    if value is None:
        return None
    if torch.is_tensor(value):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64).tolist()
