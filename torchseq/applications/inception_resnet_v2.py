"""InceptionResNetV2: inception modules with scaled residual connections; mirrors
``keras.applications.inception_resnet_v2``.

Reference: Szegedy et al., "Inception-v4, Inception-ResNet and the Impact of Residual
Connections on Learning" (https://arxiv.org/abs/1602.07261). As in Keras, the stem's and
the reductions' convolutions keep automatic names (``conv2d_3``, ``batch_normalization_3``,
``activation_3``) and each residual block adds ``scale`` times its branch with an
(unnamed) ``CustomScaleLayer``; the layers are created in Keras's order so that the names,
and the weight files, line up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from torchseq import layers
from torchseq.applications import imagenet_utils
from torchseq.layers.layer import Layer
from torchseq.models.model import Model

__all__ = ["CustomScaleLayer", "InceptionResNetV2", "decode_predictions", "preprocess_input"]

_WEIGHTS_ROOT = (
    "https://storage.googleapis.com/tensorflow/keras-applications/inception_resnet_v2/"
)
# md5 of Keras's files: (with the classifier, without it).
_WEIGHTS_HASHES = ("e693bd0210a403b3192acc6073ad2e96", "d19885ff4a710c122648d3b5c3b684e4")

# (block type, repeats, residual scale) of the three residual stages.
_STAGES = (("block35", 10, 0.17), ("block17", 20, 0.1), ("block8", 10, 0.2))


class CustomScaleLayer(Layer):
    """``inputs[0] + scale * inputs[1]``: a residual block's shortcut plus its scaled
    branch; mirrors Keras's ``inception_resnet_v2.CustomScaleLayer``.

    Args:
        scale: The factor of the branch.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype`` …).

    Input shape:
        A list of two tensors of the same shape.

    Output shape:
        That shape.
    """

    def __init__(self, scale: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        return inputs[0] + inputs[1] * self.scale

    def compute_output_shape(self, input_shape: Sequence[tuple]) -> tuple:
        return tuple(input_shape[0])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "scale": self.scale}


def InceptionResNetV2(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "inception_resnet_v2",
) -> Model:
    """Build InceptionResNetV2 as a Functional model; mirrors
    ``keras.applications.InceptionResNetV2``.

    Inputs are channels-last images prepared by this module's ``preprocess_input``
    (scaled to ``[-1, 1]``).

    Args:
        include_top: Whether to end with global average pooling (``avg_pool``) and the
            classifier (``predictions``). Defaults to ``True``.
        weights: ``None`` (random initialisation), ``"imagenet"`` (Keras's published
            weights, fetched into the Keras cache) or the path of a weights file.
            Defaults to ``"imagenet"``.
        input_tensor: A symbolic tensor to build the model on, instead of a new ``Input``.
            Defaults to ``None``.
        input_shape: ``(height, width, channels)``, at least 75x75; only free when
            ``include_top=False`` (otherwise ``(299, 299, 3)``). Defaults to ``None``.
        pooling: Without the top: ``None`` (4D features), ``"avg"`` or ``"max"`` (global
            pooling to 2D; the layers keep automatic names, as in Keras). Defaults to
            ``None``.
        classes: Number of classes of the classifier (1000 with ImageNet weights).
            Defaults to ``1000``.
        classifier_activation: Activation of ``predictions``; ``None`` gives logits.
            With pretrained weights only ``None`` or ``"softmax"``. Defaults to
            ``"softmax"``.
        name: The model's name. Defaults to ``"inception_resnet_v2"``.

    Returns:
        A Functional ``Model``.

    Example:
        >>> model = InceptionResNetV2(weights=None, include_top=False,
        ...                           input_shape=(75, 75, 3))
        >>> model.output.shape
        (None, 1, 1, 1536)
    """
    image, inputs = imagenet_utils.builder_inputs(
        weights=weights, include_top=include_top, classes=classes, pooling=pooling,
        classifier_activation=classifier_activation, input_tensor=input_tensor,
        input_shape=input_shape, default_size=299, min_size=75,
    )
    x = _conv_bn(image, 32, 3, strides=2, padding="valid")
    x = _conv_bn(x, 32, 3, padding="valid")
    x = _conv_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = _conv_bn(x, 80, 1, padding="valid")
    x = _conv_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)

    x = _mixed_5b(x)
    x = _residual_stage(x, *_STAGES[0])
    x = _mixed_6a(x)
    x = _residual_stage(x, *_STAGES[1])
    x = _mixed_7a(x)
    x = _residual_stage(x, *_STAGES[2])
    x = _conv_bn(x, 1536, 1, name="conv_7b")

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.apply_pooling(x, pooling)
    model = Model(inputs, x, name=name)
    suffix = "" if include_top else "_notop"
    file_name = f"inception_resnet_v2_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    imagenet_utils.load_weights_into(
        model, weights, file_name=file_name, origin=f"{_WEIGHTS_ROOT}{file_name}",
        file_hash=_WEIGHTS_HASHES[0 if include_top else 1],
    )
    return model


def _conv_bn(
    x: Any,
    filters: int,
    kernel_size: int | tuple[int, int],
    strides: int = 1,
    padding: str = "same",
    name: str | None = None,
) -> Any:
    """Convolution without bias, batch norm without scale, relu (``<name>``, ``<name>_bn``,
    ``<name>_ac``, or automatic names)."""
    x = layers.Conv2D(
        filters, kernel_size, strides=strides, padding=padding, use_bias=False, name=name
    )(x)
    x = layers.BatchNormalization(
        axis=3, scale=False, name=None if name is None else f"{name}_bn"
    )(x)
    return layers.Activation("relu", name=None if name is None else f"{name}_ac")(x)


def _conv_chain(x: Any, specs: tuple[tuple[int, int | tuple[int, int]], ...]) -> Any:
    for filters, kernel_size in specs:
        x = _conv_bn(x, filters, kernel_size)
    return x


def _mixed_5b(x: Any) -> Any:
    branch_0 = _conv_bn(x, 96, 1)
    branch_1 = _conv_chain(x, ((48, 1), (64, 5)))
    branch_2 = _conv_chain(x, ((64, 1), (96, 3), (96, 3)))
    branch_pool = layers.AveragePooling2D(3, strides=1, padding="same")(x)
    branch_pool = _conv_bn(branch_pool, 64, 1)
    return layers.Concatenate(axis=3, name="mixed_5b")(
        [branch_0, branch_1, branch_2, branch_pool]
    )


def _mixed_6a(x: Any) -> Any:
    branch_0 = _conv_bn(x, 384, 3, strides=2, padding="valid")
    branch_1 = _conv_chain(x, ((256, 1), (256, 3)))
    branch_1 = _conv_bn(branch_1, 384, 3, strides=2, padding="valid")
    branch_pool = layers.MaxPooling2D(3, strides=2)(x)
    return layers.Concatenate(axis=3, name="mixed_6a")([branch_0, branch_1, branch_pool])


def _mixed_7a(x: Any) -> Any:
    branch_0 = _conv_bn(x, 256, 1)
    branch_0 = _conv_bn(branch_0, 384, 3, strides=2, padding="valid")
    branch_1 = _conv_bn(x, 256, 1)
    branch_1 = _conv_bn(branch_1, 288, 3, strides=2, padding="valid")
    branch_2 = _conv_chain(x, ((256, 1), (288, 3)))
    branch_2 = _conv_bn(branch_2, 320, 3, strides=2, padding="valid")
    branch_pool = layers.MaxPooling2D(3, strides=2)(x)
    return layers.Concatenate(axis=3, name="mixed_7a")(
        [branch_0, branch_1, branch_2, branch_pool]
    )


def _residual_stage(x: Any, block_type: str, repeats: int, scale: float) -> Any:
    """``repeats`` residual blocks; the network's very last one (block8_10) has scale 1
    and no relu."""
    for index in range(1, repeats + 1):
        last = block_type == "block8" and index == repeats
        x = _residual_block(
            x, block_type, index, scale=1.0 if last else scale, relu=not last
        )
    return x


def _residual_branches(x: Any, block_type: str) -> list[Any]:
    if block_type == "block35":
        return [
            _conv_bn(x, 32, 1),
            _conv_chain(x, ((32, 1), (32, 3))),
            _conv_chain(x, ((32, 1), (48, 3), (64, 3))),
        ]
    if block_type == "block17":
        return [_conv_bn(x, 192, 1), _conv_chain(x, ((128, 1), (160, (1, 7)), (192, (7, 1))))]
    return [_conv_bn(x, 192, 1), _conv_chain(x, ((192, 1), (224, (1, 3)), (256, (3, 1))))]


def _residual_block(x: Any, block_type: str, index: int, *, scale: float, relu: bool) -> Any:
    """Inception branches, concatenated, projected back to ``x``'s channels by a biased
    1x1 convolution, then ``x + scale * branch`` (and relu)."""
    name = f"{block_type}_{index}"
    mixed = layers.Concatenate(axis=3, name=f"{name}_mixed")(_residual_branches(x, block_type))
    up = layers.Conv2D(x.shape[3], 1, use_bias=True, name=f"{name}_conv")(mixed)
    x = CustomScaleLayer(scale)([x, up])
    if relu:
        x = layers.Activation("relu", name=f"{name}_ac")(x)
    return x


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Prepare RGB images in ``[0, 255]`` for InceptionResNetV2: scaled to ``[-1, 1]``
    (``imagenet_utils.preprocess_input`` with ``mode="tf"``); mirrors
    ``keras.applications.inception_resnet_v2.preprocess_input``.

    Args:
        x: A numpy array (floating point ones are changed in place) or a tensor.
        data_format: ``"channels_last"``, ``"channels_first"`` or ``None`` (the global
            setting). Defaults to ``None``.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, Any]]]:
    """ImageNet labels of a batch of scores; see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
