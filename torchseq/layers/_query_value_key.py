"""The call and build plumbing the attention layers share: ``layer(query, value, key=None)``.

Keras builds such a layer from three shapes and stores them as
``{"shapes_dict": {"query_shape", "value_shape", "key_shape"}}``; numpy inputs become
tensors (float data as floatx) before the layer builds.

:func:`fused_attention` runs torch's fused kernel on the kernels that Keras's flash-attention
switch (``keras.config.disable_flash_attention()`` or a layer's ``flash_attention``) allows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

from torchseq import config
from torchseq.layers.layer import Layer
from torchseq.ops._nn_attention import _flash_attention_usable
from torchseq.utils import naming

__all__ = [
    "QueryValueKeyLayer",
    "fused_attention",
    "resolve_flash_attention",
    "take_attention_sublayer_names",
]
_NOT_FLASH = [SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION, SDPBackend.MATH]

_BUILD_SHAPE_NAMES = ("query_shape", "value_shape", "key_shape")  # Keras's build arguments


class QueryValueKeyLayer(Layer):
    """A layer called as ``layer(query, value, key=None, ...)`` and built from their shapes."""

    def __call__(self, query: Any, value: Any = None, key: Any = None, **kwargs: Any) -> Any:
        if value is None:
            raise TypeError(
                f'{type(self).__name__} layer "{self.name}" needs query and value, '
                "e.g. layer(query, value); received no value"
            )
        args = tuple(
            _as_tensor(x) for x in ((query, value) if key is None else (query, value, key))
        )
        if not self.built:
            self._build_for([tuple(x.shape) for x in args])
        return super().__call__(*args, **kwargs)

    def get_build_config(self) -> dict[str, Any] | None:
        """The query, value (and key) shapes, named as Keras stores them."""
        if not self.built or self._build_shapes is None:
            return None
        return {"shapes_dict": dict(zip(_BUILD_SHAPE_NAMES, self._build_shapes))}

    def build_from_config(self, build_config: dict[str, Any] | None) -> None:
        """Build from :meth:`get_build_config`'s output (Keras's ``shapes_dict``)."""
        if build_config and "shapes_dict" in build_config:
            shapes = build_config["shapes_dict"]
            ordered = [shapes.get(name) for name in _BUILD_SHAPE_NAMES]
            build_config = {"input_shape": [shape for shape in ordered if shape is not None]}
        super().build_from_config(build_config)

    @staticmethod
    def _split_shapes(query_shape: Any, value_shape: Any, key_shape: Any) -> tuple:
        """``build``'s arguments, also when they arrive as one list of shapes."""
        if value_shape is None and isinstance(query_shape, list):
            query_shape, value_shape, *rest = query_shape
            key_shape = rest[0] if rest else None
        return query_shape, value_shape, key_shape


def take_attention_sublayer_names() -> None:
    """Take the automatic names of the ``Softmax`` and ``Dropout`` sublayers that Keras's
    attention layers make when they build, so that the layers made later get Keras's names
    (here the softmax and the dropout are plain functions)."""
    naming.unique_name("softmax")
    naming.unique_name("dropout")


def resolve_flash_attention(
    owner: str, flash_attention: bool | None, dropout: float
) -> bool | None:
    """A layer's ``flash_attention`` argument, or the global switch when it is ``None``.

    Raises:
        ValueError: flash attention is required (the argument is ``True``) with dropout.
    """
    if flash_attention is None:
        flash_attention = config.is_flash_attention_enabled()
    if flash_attention and dropout > 0:
        raise ValueError(
            f"{owner}: flash attention does not support dropout; expected dropout=0.0 or "
            f"flash_attention=False, received: dropout={dropout}"
        )
    return flash_attention


def fused_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    *,
    flash_attention: bool | None,
    **arguments: Any,
) -> torch.Tensor:
    """``F.scaled_dot_product_attention(query, key, value, **arguments)`` on the kernels that
    ``flash_attention`` allows, as Keras on torch chooses them.

    ``True`` runs the flash kernel alone (a RuntimeError where torch cannot run it on these
    inputs), ``False`` any kernel but flash, ``None`` torch's own choice, which is the flash
    kernel wherever it can run.
    """
    if flash_attention is None:
        return F.scaled_dot_product_attention(query, key, value, **arguments)
    if not flash_attention:
        with sdpa_kernel(_NOT_FLASH):
            return F.scaled_dot_product_attention(query, key, value, **arguments)
    mask, causal = arguments.get("attn_mask"), arguments.get("is_causal", False)
    if query.ndim != 4 or not _flash_attention_usable(query, key, value, mask, causal):
        raise RuntimeError(
            "flash_attention=True: torch cannot run flash attention on these inputs "
            f"(device={query.device.type}, dtype={query.dtype}, shape={tuple(query.shape)}, "
            f"mask given: {mask is not None}); expected float16 or bfloat16 inputs on a CUDA "
            "device without a mask, or flash_attention=None or False"
        )
    with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
        return F.scaled_dot_product_attention(query, key, value, **arguments)


def _as_tensor(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        tensor = torch.from_numpy(value)
        return tensor.to(config.standardize_dtype(None)) if tensor.is_floating_point() else tensor
    return value
