"""The call and build plumbing the attention layers share: ``layer(query, value, key=None)``.

Keras builds such a layer from three shapes and stores them as
``{"shapes_dict": {"query_shape", "value_shape", "key_shape"}}``; numpy inputs become
tensors (float data as floatx) before the layer builds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchseq import config
from torchseq.layers.layer import Layer

__all__ = ["QueryValueKeyLayer"]

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


def _as_tensor(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        tensor = torch.from_numpy(value)
        return tensor.to(config.standardize_dtype(None)) if tensor.is_floating_point() else tensor
    return value
