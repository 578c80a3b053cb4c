"""ReversibleEmbedding: an embedding that also projects hidden states back onto the vocabulary."""

from __future__ import annotations

import numbers
from typing import Any

import torch

from torchseq import config
from torchseq.layers.core import Embedding
from torchseq.layers.symbolic import KerasTensor

__all__ = ["ReversibleEmbedding"]


class ReversibleEmbedding(Embedding):
    """An ``Embedding`` that can also run backwards: ``hidden @ embeddings.T`` gives logits.

    Mirrors ``keras.layers.ReversibleEmbedding``. Called normally it looks indices up, as
    ``Embedding`` does; called with ``reverse=True`` it projects the last axis, of size
    ``output_dim``, onto ``input_dim`` logits. With ``tie_weights=True`` (the default) the
    projection is the transposed ``embeddings``; otherwise a separate trainable
    ``reverse_embeddings`` of shape ``(output_dim, input_dim)``, created after
    ``embeddings``, is used. There is no bias.

    Args:
        input_dim: Positive int, the vocabulary size.
        output_dim: Positive int, the size of each embedding vector.
        tie_weights: Whether the reverse projection reuses ``embeddings``. Default ``True``.
        embeddings_initializer: Default ``"uniform"``; also initialises
            ``reverse_embeddings``.
        embeddings_regularizer, embeddings_constraint: Optional, for ``embeddings``.
        mask_zero: Whether index 0 is padding (the forward call's output then carries the
            mask ``inputs != 0``; the reverse call's output carries none).
        reverse_dtype: Optional dtype the reverse projection computes (and returns) in;
            default the layer's dtype.
        logit_soft_cap: Optional positive float ``c``; reverse logits become
            ``tanh(logits / c) * c``.
        **kwargs: ``Embedding``'s other arguments (``weights``, ``name``, ``dtype``, ...).

    Call arguments:
        inputs: Indices ``(batch, ...)``, or with ``reverse=True`` hidden states
            ``(batch, ..., output_dim)``.
        reverse: Project back instead of looking up. Default ``False``.

    Output shape: ``(batch, ..., output_dim)``, or ``(batch, ..., input_dim)`` in reverse.

    Example:
        >>> layer = ReversibleEmbedding(100, 8)
        >>> hidden = layer(torch.tensor([[1, 2, 3]]))
        >>> layer(hidden, reverse=True).shape
        torch.Size([1, 3, 100])
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        tie_weights: bool = True,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        reverse_dtype: Any = None,
        logit_soft_cap: float | None = None,
        **kwargs: Any,
    ) -> None:
        if logit_soft_cap is not None and (
            isinstance(logit_soft_cap, bool)
            or not isinstance(logit_soft_cap, numbers.Real)
            or logit_soft_cap <= 0
        ):
            raise ValueError(
                "ReversibleEmbedding: logit_soft_cap must be None or a positive number, "
                f"received: logit_soft_cap={logit_soft_cap!r}"
            )
        try:
            reverse_torch_dtype = (
                None if reverse_dtype is None else config.standardize_dtype(reverse_dtype)
            )
        except (TypeError, ValueError) as error:
            raise ValueError(
                "ReversibleEmbedding: reverse_dtype must be None or a dtype name such as "
                f"'float32', received: reverse_dtype={reverse_dtype!r}"
            ) from error
        # ``weights`` builds at once; the reverse weight must be declared first.
        weights = kwargs.pop("weights", None)
        super().__init__(
            input_dim,
            output_dim,
            embeddings_initializer=embeddings_initializer,
            embeddings_regularizer=embeddings_regularizer,
            embeddings_constraint=embeddings_constraint,
            mask_zero=mask_zero,
            **kwargs,
        )
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap
        self._reverse_torch_dtype = reverse_torch_dtype
        if not self.tie_weights:
            self._lazy_weight("reverse_embeddings")
        if weights is not None:
            self._build_for(None)
            self.set_weights(weights if isinstance(weights, list) else [weights])

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("reverse"):
            return super().__call__(*args, **kwargs)
        # Hidden states in, logits out: neither takes nor gives a padding mask.
        self.supports_masking = False
        try:
            return super().__call__(*args, **kwargs)
        finally:
            self.supports_masking = self.mask_zero

    def build(self, input_shape: Any = None) -> None:
        super().build(input_shape)
        if not self.tie_weights:
            self.add_weight(
                shape=(self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer,
                name="reverse_embeddings",
            )

    def call(self, inputs: torch.Tensor, reverse: bool = False) -> torch.Tensor:
        if not reverse:
            return super().call(inputs)
        kernel = self.embeddings.t() if self.tie_weights else self.reverse_embeddings
        if self._reverse_torch_dtype is not None:
            inputs = inputs.to(self._reverse_torch_dtype)
            kernel = kernel.to(self._reverse_torch_dtype)
        if inputs.shape[-1] != self.output_dim:
            raise ValueError(
                f'ReversibleEmbedding layer "{self.name}": reverse=True expects inputs whose '
                f"last axis has size output_dim={self.output_dim}, received input shape "
                f"{tuple(inputs.shape)}"
            )
        logits = torch.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            logits = torch.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    def compute_output_shape(self, input_shape: tuple, reverse: bool = False) -> tuple:
        if reverse:
            return (*tuple(input_shape)[:-1], self.input_dim)
        return super().compute_output_shape(input_shape)

    def compute_output_spec(
        self, inputs: KerasTensor, reverse: bool = False, **kwargs: Any
    ) -> KerasTensor:
        dtype = (self._reverse_torch_dtype or self._dtype) if reverse else self._dtype
        return KerasTensor(self.compute_output_shape(inputs.shape, reverse), dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "tie_weights": self.tie_weights,
            "reverse_dtype": self.reverse_dtype,
            "logit_soft_cap": self.logit_soft_cap,
        }
