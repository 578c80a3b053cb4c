"""``TextVectorization``: raw text to token indices or bag-of-words vectors."""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from torchseq.layers.preprocessing import _encoding
from torchseq.layers.preprocessing._data_layer import DataLayer, as_string_array, float_dtype
from torchseq.layers.preprocessing.index_lookup import _is_batch_iterable
from torchseq.layers.preprocessing.string_lookup import StringLookup
from torchseq.utils.integers import int_or_none, is_int

__all__ = ["TextVectorization"]

_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")
# TensorFlow lowercases ASCII letters only, and splits on ASCII whitespace only.
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_NO_PUNCTUATION = str.maketrans("", "", string.punctuation)
_WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")


class TextVectorization(DataLayer):
    """Turns text into sequences of token indices or into vectors; mirrors
    ``keras.layers.TextVectorization``.

    Each string is standardized, split into tokens, optionally expanded with n-grams, and
    looked up in a vocabulary (an internal ``StringLookup`` with mask token ``""``, so index
    0 is padding and 1 is OOV in ``"int"`` mode). ``adapt`` learns the vocabulary, keeping
    the ``max_tokens`` most frequent tokens. Standardization and splitting follow
    TensorFlow's: only ASCII letters are lowercased, ``string.punctuation`` is stripped,
    and whitespace means ASCII whitespace.

    Inputs are a str, a list of str or a numpy string array of shape ``(batch,)`` or
    ``(batch, 1)``; outputs are torch tensors.

    Args:
        max_tokens: Largest vocabulary size, padding and OOV included. Default ``None``.
        standardize: ``"lower_and_strip_punctuation"`` (default), ``"lower"``,
            ``"strip_punctuation"``, ``None``, or a callable taking and returning a numpy
            array of str.
        split: ``"whitespace"`` (default), ``"character"``, ``None`` (each string is one
            token), or a callable taking a 1-D numpy array of str and returning a list of
            token lists.
        ngrams: ``None``, an int ``n`` (all 1..n-grams) or a tuple of n-gram widths.
        output_mode: ``"int"`` (default), ``"multi_hot"``, ``"count"`` or ``"tf_idf"``
            (``"one_hot"`` too, as in Keras).
        output_sequence_length: With ``"int"``: pad or truncate every sequence to this
            length; otherwise sequences are padded to the longest in the batch.
        pad_to_max_tokens: Encode to ``max_tokens`` bins. Default ``False``.
        vocabulary: Optional list, array or text file path of tokens.
        idf_weights: With ``"tf_idf"`` and ``vocabulary``: one weight per entry.
        sparse: Only ``False``. ragged: Only ``False``.
        encoding: Text encoding of bytes inputs. Default ``"utf-8"``.

    Output shape: ``(batch, sequence_length)`` int64 for ``"int"``; ``(batch, depth)``
    floats otherwise.

    Example:
        >>> layer = TextVectorization(output_sequence_length=4)
        >>> layer.adapt(["the cat sat", "the dog"])
        >>> layer(["The cat!", "a dog"])
        tensor([[2, 5, 0, 0],
                [1, 4, 0, 0]])
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        standardize: str | Callable | None = "lower_and_strip_punctuation",
        split: str | Callable | None = "whitespace",
        ngrams: int | Sequence[int] | None = None,
        output_mode: str = "int",
        output_sequence_length: int | None = None,
        pad_to_max_tokens: bool = False,
        vocabulary: Any = None,
        idf_weights: Any = None,
        sparse: bool = False,
        ragged: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        _check_choice("standardize", standardize, _STANDARDIZE)
        _check_choice("split", split, _SPLIT)
        output_mode = _encoding.normalize_output_mode(
            "TextVectorization", output_mode, _encoding.OUTPUT_MODES
        )
        if isinstance(ngrams, list):
            ngrams = tuple(ngrams)
        if not (
            ngrams is None
            or is_int(ngrams)
            or (isinstance(ngrams, tuple) and all(is_int(n) for n in ngrams))
        ):
            raise ValueError(
                "TextVectorization: ngrams must be None, an int or a tuple of ints, "
                f"received: ngrams={ngrams!r}"
            )
        if output_mode == "int" and not (
            output_sequence_length is None or is_int(output_sequence_length)
        ):
            raise ValueError(
                "TextVectorization: output_sequence_length must be None or an int, "
                f"received: output_sequence_length={output_sequence_length!r}"
            )
        ngrams = int_or_none(ngrams) if not isinstance(ngrams, tuple) else tuple(map(int, ngrams))
        output_sequence_length = int_or_none(output_sequence_length)
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(
                "TextVectorization: output_sequence_length is only used with "
                f"output_mode='int', received: output_mode={output_mode!r} and "
                f"output_sequence_length={output_sequence_length}"
            )
        if sparse or ragged:
            raise ValueError(
                "TextVectorization: torch has no sparse or ragged outputs; expected "
                f"sparse=False and ragged=False, received: sparse={sparse}, ragged={ragged}"
            )
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens,
            mask_token="",
            output_mode=output_mode,
            encoding=encoding,
            has_input_vocabulary=has_input_vocabulary,
            vocabulary_size=vocabulary_size,
        )

    # ------------------------------------------------------------------ vocabulary

    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learn the vocabulary (and IDF weights for ``tf_idf``) from text.

        Args:
            data: Strings (a list or numpy array, one document each), or an iterable of
                batches of strings (a generator, a ``DataLoader``).
            batch_size: Unused; accepted for Keras compatibility.
            steps: With an iterable, the number of batches to read (default: all).
        """
        self.reset_state()
        if _is_batch_iterable(data):
            for step, batch in enumerate(data):
                if steps is not None and step >= steps:
                    break
                self.update_state(batch)
        else:
            strings = as_string_array("TextVectorization", data, self._encoding)
            self.update_state(strings.reshape(-1, 1) if strings.ndim == 1 else strings)
        self.finalize_state()

    def update_state(self, data: Any) -> None:
        """Count the tokens of one batch of strings."""
        documents = self._preprocess(data)
        if isinstance(documents, np.ndarray) and documents.ndim <= 1:
            documents = documents.reshape(1, -1)
        self._lookup_layer._count_documents(documents)

    def finalize_state(self) -> None:
        """Turn the counted tokens into the vocabulary."""
        self._lookup_layer.finalize_state()

    def reset_state(self) -> None:
        """Forget the counted tokens (not the vocabulary)."""
        self._lookup_layer.reset_state()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        """The vocabulary in index order (padding ``""`` and ``"[UNK]"`` first)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Replace the vocabulary; see ``StringLookup.set_vocabulary``."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    def vocabulary_size(self) -> int:
        """The number of indices, padding and OOV included."""
        return self._lookup_layer.vocabulary_size()

    def save_assets(self, dir_path: str) -> None:
        """Write an adapted vocabulary to ``dir_path``; see ``StringLookup.save_assets``."""
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path: str) -> None:
        """Read the vocabulary Keras or torchseq wrote to ``dir_path``."""
        self._lookup_layer.load_assets(dir_path)

    # ------------------------------------------------------------------ call

    def call(self, inputs: Any) -> torch.Tensor:
        scalar = isinstance(inputs, (str, bytes))
        documents = self._preprocess([inputs] if scalar else inputs)
        if isinstance(documents, np.ndarray):  # split=None: each string is a token
            if self._output_mode != "int" and documents.ndim <= 1:
                documents = documents.reshape(-1, 1)
            outputs = self._lookup_layer(documents)
        else:
            outputs = self._vectorize_rows(documents)
        return outputs[0] if scalar else outputs

    def compute_output_shape(self, input_shape: Any) -> tuple:
        input_shape = tuple(input_shape)
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        if self._split is None:
            if len(input_shape) <= 1:
                input_shape = (*input_shape, 1)
        else:
            input_shape = (*input_shape, None)
        return self._lookup_layer.compute_output_shape(input_shape)

    def get_config(self) -> dict[str, Any]:
        lookup_config = self._lookup_layer.get_config()
        return {
            **super().get_config(),
            "max_tokens": self._lookup_layer.max_tokens,
            "standardize": _function_config(self._standardize),
            "split": _function_config(self._split),
            "ngrams": self._ngrams_arg,
            "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": self._lookup_layer.pad_to_max_tokens,
            "sparse": False,
            "ragged": False,
            "vocabulary": lookup_config["vocabulary"],
            "idf_weights": lookup_config["idf_weights"],
            "encoding": self._encoding,
            "vocabulary_size": self.vocabulary_size(),
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> TextVectorization:
        """Rebuild the layer; a ``standardize`` / ``split`` function stored by name (Keras's
        ``{"class_name": "function", ...}``) is looked up as Keras looks it up: among
        torchseq's public functions, registered ones and ``custom_objects``."""
        config = dict(config)
        for key in ("standardize", "split"):
            value = config.get(key)
            if isinstance(value, dict) and "class_name" in value:
                from torchseq.saving import serialization_lib  # late: saving sits above layers

                config[key] = serialization_lib.deserialize_keras_object(
                    value, custom_objects, safe_mode=None
                )
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return super().from_config(config)

    def _output_dtype(self) -> torch.dtype:
        return torch.int64 if self._output_mode == "int" else float_dtype()

    # ------------------------------------------------------------------ steps

    def _preprocess(self, inputs: Any) -> Any:
        """Standardize, split and add n-grams: a list of token lists (one per string), or
        with ``split=None`` the array of standardized strings."""
        strings = as_string_array("TextVectorization", inputs, self._encoding)
        strings = self._standardized(strings)
        if self._split is None:
            return strings
        if strings.ndim > 1:
            if strings.shape[-1] != 1:
                raise ValueError(
                    "TextVectorization: to split strings the input must be 1-D or have a last "
                    f"axis of size 1, received shape {strings.shape}"
                )
            strings = strings.reshape(strings.shape[:-1])
        rows = self._split_rows(strings.reshape(-1))
        if self._ngrams is not None:
            rows = [_with_ngrams(row, self._ngrams) for row in rows]
        return rows

    def _standardized(self, strings: np.ndarray) -> np.ndarray:
        standardize = self._standardize
        if standardize is None:
            return strings
        if callable(standardize):
            result = standardize(strings.astype(str))
            return as_string_array("TextVectorization", result, self._encoding)
        flat = strings.reshape(-1).tolist()
        if standardize in ("lower", "lower_and_strip_punctuation"):
            flat = [s.translate(_ASCII_LOWER) for s in flat]
        if standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            flat = [s.translate(_NO_PUNCTUATION) for s in flat]
        result = np.empty(len(flat), dtype=object)
        result[:] = flat
        return result.reshape(strings.shape)

    def _split_rows(self, strings: np.ndarray) -> list[list[str]]:
        if self._split == "whitespace":
            return [[t for t in _WHITESPACE.split(s) if t] for s in strings]
        if self._split == "character":
            return [list(s) for s in strings]
        rows = self._split(strings.astype(str))
        return [[str(t) for t in row] for row in rows]

    def _vectorize_rows(self, rows: list[list[str]]) -> torch.Tensor:
        """Look every token up at once, then lay the indices out one row per string."""
        lengths = np.array([len(row) for row in rows], dtype=np.int64)
        flat = np.empty(int(lengths.sum()), dtype=object)
        flat[:] = [token for row in rows for token in row]
        indices = (
            self._lookup_layer._lookup(flat) if len(flat) else torch.zeros(0, dtype=torch.int64)
        )
        width = int(lengths.max()) if len(rows) else 0
        if self._output_mode == "int" and self._output_sequence_length is not None:
            width = self._output_sequence_length
        padding = 0 if self._output_mode == "int" else -1
        table = torch.full((len(rows), width), padding, dtype=torch.int64)
        row_of = torch.repeat_interleave(torch.arange(len(rows)), torch.from_numpy(lengths))
        starts = torch.from_numpy(np.concatenate([[0], np.cumsum(lengths)[:-1]]))
        column = torch.arange(len(flat)) - starts[row_of] if len(flat) else row_of
        kept = column < width
        table[row_of[kept], column[kept]] = indices[kept]
        if self._output_mode == "int":
            return table
        lookup = self._lookup_layer
        lookup._check_known_depth()
        depth = lookup.max_tokens if lookup.pad_to_max_tokens else lookup._frozen_vocab_size
        idf = lookup._idf_weights if self._output_mode == "tf_idf" else None
        if self._output_mode == "tf_idf" and idf is None:
            raise ValueError(
                "TextVectorization: output_mode='tf_idf' needs idf_weights; pass them with "
                "the vocabulary or call adapt()"
            )
        return _encoding.encode(table, self._output_mode, depth, float_dtype(), idf_weights=idf)


def _function_config(value: Any) -> Any:
    """A ``standardize`` / ``split`` option as Keras stores it: names as they are, a
    function as its serialized reference."""
    if not callable(value):
        return value
    from torchseq.saving import serialization_lib  # late: saving sits above layers

    return serialization_lib.serialize_keras_object(value)


def _check_choice(argument: str, value: Any, choices: tuple[str, ...]) -> None:
    if value is None or callable(value) or value in choices:
        return
    raise ValueError(
        f"TextVectorization: {argument} must be one of {list(choices)}, None or a callable, "
        f"received: {argument}={value!r}"
    )


def _with_ngrams(tokens: list[str], widths: Sequence[int]) -> list[str]:
    """The n-grams of each width in turn, tokens joined by spaces (``tf.strings.ngrams``)."""
    grams: list[str] = []
    for width in widths:
        grams.extend(" ".join(tokens[i : i + width]) for i in range(len(tokens) - width + 1))
    return grams
