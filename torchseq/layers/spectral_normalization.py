"""SpectralNormalization: keep a wrapped layer's kernel at spectral norm about 1 (Miyato et al.)."""

from __future__ import annotations

from typing import Any

import torch

from torchseq import config, initializers
from torchseq.layers.layer import InputSpec, Layer
from torchseq.layers.wrappers import Wrapper
from torchseq.utils.integers import is_int
from torchseq.utils.layouts import Layout, to_keras, to_stored

__all__ = ["SpectralNormalization"]


class SpectralNormalization(Wrapper):
    """Divide a wrapped layer's kernel by its largest singular value, estimated by power
    iteration; mirrors ``keras.layers.SpectralNormalization``.

    In training, each call runs ``power_iterations`` steps of power iteration on the kernel
    (seen as a ``(-1, units)`` matrix in Keras's layout), starting from the stored vector
    ``vector_u``, then writes the new ``vector_u`` back and divides the kernel *in place* by
    the estimated norm ``sigma`` before the wrapped layer runs (gradients then reach the
    kernel through the wrapped layer only, as in Keras). An all-zero kernel is left alone.
    In inference the wrapped layer runs unchanged.

    Weights, in Keras's order: the wrapped layer's ``kernel`` (or ``embeddings``), the
    non-trainable ``vector_u`` of shape ``(1, units)``, then the wrapped layer's other
    weights.

    Args:
        layer: A torchseq layer with a ``kernel`` (``Dense``, ``Conv2D``, ...) or an
            ``embeddings`` weight (``Embedding``).
        power_iterations: Positive int, power-iteration steps per training call. Default 1.
        **kwargs: Base layer arguments (``name``, ``trainable``, ...).

    Input shape and output shape: those of the wrapped layer.

    Example:
        >>> layer = SpectralNormalization(Dense(4))
        >>> layer(torch.ones(2, 3), training=True).shape
        torch.Size([2, 4])
    """

    def __init__(self, layer: Layer, power_iterations: int = 1, **kwargs: Any) -> None:
        if not is_int(power_iterations):
            raise TypeError(
                "SpectralNormalization: power_iterations must be a positive integer, received: "
                f"power_iterations={power_iterations!r}"
            )
        if power_iterations <= 0:
            raise ValueError(
                "SpectralNormalization: power_iterations must be greater than zero, received: "
                f"power_iterations={power_iterations}"
            )
        super().__init__(layer, **kwargs)
        self.power_iterations = int(power_iterations)
        self._kernel_name = next(
            (
                name
                for name in ("kernel", "embeddings")
                if isinstance(getattr(layer, name, None), torch.Tensor)
            ),
            "",
        )
        if self._kernel_name:
            # As in Keras, the wrapped kernel is also the wrapper's own first weight: it
            # leads get_weights() and the wrapper's group of the weights file. The tensor is
            # shared (lazy until the wrapped layer builds), never copied.
            self.register_parameter("kernel", getattr(layer, self._kernel_name))
        self._lazy_weight("vector_u", trainable=False)

    def build(self, input_shape: Any) -> None:
        super().build(input_shape)
        if not self._kernel_name:
            raise ValueError(
                f"SpectralNormalization: the wrapped layer must have a 'kernel' or an "
                f"'embeddings' weight, received: {type(self.layer).__name__} "
                f'"{self.layer.name}", which has neither'
            )
        kernel, layout = self._kernel(), self._kernel_layout()
        requires_grad = kernel.requires_grad
        # The wrapped layer built the tensor; add_weight adopts it (values kept) as "kernel".
        self.add_weight(shape=to_keras(kernel, layout).shape, layout=layout, name="kernel")
        kernel.requires_grad_(requires_grad)
        self.add_weight(
            shape=(1, to_keras(kernel, layout).shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            dtype=kernel.dtype,
            trainable=False,
            name="vector_u",
        )
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})

    def _kernel(self) -> torch.Tensor:
        return getattr(self.layer, self._kernel_name)

    def _kernel_layout(self) -> Layout:
        spec = self.layer._weight_specs.get(self._kernel_name)
        return None if spec is None else spec.layout

    def call(self, inputs: torch.Tensor, training: bool | None = None) -> torch.Tensor:
        training = self.training if training is None else training
        if training:
            self._normalize_kernel()
        outputs = self.layer(inputs)
        # Keras casts to the input dtype; integer inputs (an Embedding's) keep the outputs'
        # float dtype here.
        if inputs.is_floating_point():
            outputs = outputs.to(inputs.dtype)
        return outputs

    @torch.no_grad()
    def _normalize_kernel(self) -> None:
        """One training call's power iteration, written into ``vector_u`` and the kernel.

        ``torch.where`` rather than a Python branch keeps an all-zero kernel unchanged
        without reading a value back from the device.
        """
        kernel = to_keras(self._kernel(), self._kernel_layout())
        matrix = kernel.reshape(-1, kernel.shape[-1])
        vector_u = self.vector_u.to(matrix.dtype)
        for _ in range(self.power_iterations):
            vector_v = _l2_normalize(vector_u @ matrix.t())
            vector_u = _l2_normalize(vector_v @ matrix)
        sigma = vector_v @ matrix @ vector_u.t()
        all_zero = (kernel == 0).all()
        new_kernel = torch.where(all_zero, kernel, kernel / sigma)
        new_u = torch.where(all_zero, self.vector_u, vector_u.to(self.vector_u.dtype))
        self.vector_u.copy_(new_u)
        self._kernel().copy_(to_stored(new_kernel, self._kernel_layout()))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self.layer.compute_output_shape(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "power_iterations": self.power_iterations}


def _l2_normalize(x: torch.Tensor) -> torch.Tensor:
    """``x / ||x||`` over all entries, with the norm floored at ``config.epsilon()`` (Keras's
    ``normalize(x, axis=None)``)."""
    inverse_norm = torch.rsqrt(x.square().sum()).clamp(max=1.0 / config.epsilon())
    return x * inverse_norm
