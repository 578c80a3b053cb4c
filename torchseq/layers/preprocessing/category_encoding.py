"""``CategoryEncoding``: integer categories as one-hot, multi-hot or count vectors."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.layers.preprocessing import _encoding
from torchseq.layers.preprocessing._data_layer import DataLayer, as_index_tensor

__all__ = ["CategoryEncoding"]


class CategoryEncoding(DataLayer):
    """Encodes integer features in ``[0, num_tokens)``; mirrors ``keras.layers.CategoryEncoding``.

    Runs batched on the input's device, so it can sit inside a model.

    Args:
        num_tokens: Number of categories; inputs must lie in ``[0, num_tokens)``.
        output_mode: ``"multi_hot"`` (default; also ``"binary"``): one vector per sample
            (the last axis) with a 1 for each category present; ``"one_hot"``: one vector
            per element (a trailing axis of size 1 is replaced); ``"count"``: like
            multi-hot, with the number of occurrences (or the summed ``count_weights``).
        sparse: Only ``False``.

    Call arguments:
        inputs: Integer tensor, list or numpy array.
        count_weights: Optional weights with ``inputs``' shape, for ``output_mode="count"``.

    Input shape: ``(..., n)``. Output shape: ``(..., num_tokens)``, plus an axis for
    ``"one_hot"`` unless the last axis has size 1.

    Example:
        >>> CategoryEncoding(num_tokens=4, output_mode="count")(torch.tensor([[0, 1, 1]]))
        tensor([[1., 2., 0., 0.]])
    """

    def __init__(
        self,
        num_tokens: int | None = None,
        output_mode: str = "multi_hot",
        sparse: bool = False,
        **kwargs: Any,
    ) -> None:
        output_mode = _encoding.normalize_output_mode(
            "CategoryEncoding", output_mode, ("one_hot", "multi_hot", "count")
        )
        if num_tokens is None:
            raise ValueError(
                "CategoryEncoding: num_tokens must be set (use IntegerLookup when the number "
                "of categories is not known), received: num_tokens=None"
            )
        if num_tokens < 1:
            raise ValueError(
                f"CategoryEncoding: num_tokens must be >= 1, received: num_tokens={num_tokens}"
            )
        if sparse:
            raise ValueError(
                "CategoryEncoding: torch has no sparse outputs here; expected sparse=False, "
                "received: sparse=True"
            )
        super().__init__(**kwargs)
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = False

    def call(self, inputs: Any, count_weights: Any = None) -> torch.Tensor:
        indices = as_index_tensor("CategoryEncoding", inputs)
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    "CategoryEncoding: count_weights are only used with output_mode='count', "
                    f"received: output_mode={self.output_mode!r}"
                )
            count_weights = torch.as_tensor(count_weights, device=indices.device)
        # The check reads a value back to the host, which a compiled step cannot hold.
        if not torch.compiler.is_compiling() and self._out_of_range(indices):
            low, high = int(indices.min()), int(indices.max())
            raise ValueError(
                f'CategoryEncoding "{self.name}": inputs must lie in [0, num_tokens) = '
                f"[0, {self.num_tokens}), received values from {low} to {high}"
            )
        return _encoding.encode(
            indices, self.output_mode, self.num_tokens, self._dtype, count_weights=count_weights
        )

    def _out_of_range(self, indices: torch.Tensor) -> bool:
        return bool(indices.numel()) and bool(
            ((indices < 0) | (indices >= self.num_tokens)).any()
        )

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return _encoding.encoded_shape(tuple(input_shape), self.output_mode, self.num_tokens)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_tokens": self.num_tokens,
            "output_mode": self.output_mode,
        }
