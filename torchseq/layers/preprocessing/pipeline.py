"""``Pipeline``: a plain layer that applies a list of layers in order."""

from __future__ import annotations

from typing import Any

from torch import nn

from torchseq.layers.layer import Layer
from torchseq.layers.serialization import deserialize_layer, serialize_layer

__all__ = ["Pipeline"]


class Pipeline(Layer):
    """Applies ``layers`` one after the other; mirrors ``keras.layers.Pipeline``.

    Unlike a ``Sequential`` model it is a layer (no training API), meant for preprocessing
    and augmentation chains. The layers are its children: their weights are its weights,
    and a ``training`` flag given to the pipeline reaches every one of them. Without one the
    pipeline runs in the mode it is in (inference, unless inside ``fit`` or after
    ``train()``), as every torchseq layer does.

    Args:
        layers: The torchseq layers, in order.
        name: Layer name; default ``pipeline``, ``pipeline_1``...

    Input shape: that of the first layer. Output shape: that of the last one.

    Example:
        >>> pipeline = Pipeline([Rescaling(1 / 255), RandomFlip()])
        >>> pipeline(torch.full((1, 2, 2, 3), 255.0)).max()
        tensor(1.)
    """

    def __init__(self, layers: list[Layer], name: str | None = None) -> None:
        if not isinstance(layers, (list, tuple)):
            raise TypeError(
                f"Pipeline expected a list of layers, received: layers={layers!r} of type "
                f"{type(layers).__name__}"
            )
        for index, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(
                    f"Pipeline expected torchseq Layer instances, received: layers[{index}]="
                    f"{layer!r} of type {type(layer).__name__}"
                )
        super().__init__(name=name)
        # Registered as the child "layers" (where Keras's weights file keeps them:
        # "layers/<name>"), past add_module, which the read-only property below would stop.
        self._modules["layers"] = nn.ModuleList(layers)

    @property
    def layers(self) -> list[Layer]:
        return list(self._modules["layers"])

    def build(self, input_shape: Any) -> None:
        """Build the layers in turn, each for the output shape of the one before."""
        for layer in self.layers:
            if not layer.built:
                layer._build_for(input_shape)
            input_shape = layer.compute_output_shape(input_shape)

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        options = {} if training is None else {"training": training}
        for layer in self.layers:
            inputs = layer(inputs, mask=mask, **options)
            mask = None  # the next layer reads the output's own mask
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        for layer in self.layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {"layers": [serialize_layer(layer) for layer in self.layers], "name": self.name}

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> Pipeline:
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):  # a bad config: ValueError, as in Keras
            raise ValueError(  # noqa: TRY004
                "Pipeline config expected a 'layers' entry holding a list of serialized "
                f"layers, received: layers={layers!r}"
            )
        layers = [deserialize_layer(layer, custom_objects, owner=cls.__name__) for layer in layers]
        return cls(layers, name=config.get("name"))
