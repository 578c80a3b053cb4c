"""Xception: depthwise-separable convolutions with residual connections; mirrors
``keras.applications.xception``.

Reference: Chollet, "Xception: Deep Learning with Depthwise Separable Convolutions"
(https://arxiv.org/abs/1610.02357). The entry flow (blocks 1-4) shrinks the image, the
middle flow (blocks 5-12) repeats one 728-channel residual block, the exit flow (blocks
13-14) widens to 2048 channels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torchseq import layers
from torchseq.applications import imagenet_utils
from torchseq.models.model import Model

__all__ = ["Xception", "decode_predictions", "preprocess_input"]

_WEIGHTS_ROOT = "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
# md5 of Keras's files: (with the classifier, without it).
_WEIGHTS_HASHES = ("0a58e3b7378bc2990ea3b43d5981f1f6", "b0042744bf5b25fce3cb969f33bebb97")
_MIDDLE_BLOCKS = 8


def Xception(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "xception",
) -> Model:
    """Build Xception as a Functional model; mirrors ``keras.applications.Xception``.

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
        input_shape: ``(height, width, channels)``, at least 71x71; only free when
            ``include_top=False`` (otherwise ``(299, 299, 3)``). Defaults to ``None``.
        pooling: Without the top: ``None`` (4D features), ``"avg"`` or ``"max"`` (global
            pooling to 2D; the layers keep automatic names, as in Keras). Defaults to
            ``None``.
        classes: Number of classes of the classifier (1000 with ImageNet weights).
            Defaults to ``1000``.
        classifier_activation: Activation of ``predictions``; ``None`` gives logits.
            With pretrained weights only ``None`` or ``"softmax"``. Defaults to
            ``"softmax"``.
        name: The model's name. Defaults to ``"xception"``.

    Returns:
        A Functional ``Model``.

    Example:
        >>> model = Xception(weights=None, include_top=False, input_shape=(71, 71, 3))
        >>> model.output.shape
        (None, 3, 3, 2048)
    """
    image, inputs = imagenet_utils.builder_inputs(
        weights=weights, include_top=include_top, classes=classes, pooling=pooling,
        classifier_activation=classifier_activation, input_tensor=input_tensor,
        input_shape=input_shape, default_size=299, min_size=71,
    )
    x = layers.Conv2D(32, 3, strides=2, use_bias=False, name="block1_conv1")(image)
    x = layers.BatchNormalization(name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, 3, use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(name="block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)

    x = _strided_block(x, (128, 128), name="block2", preact=False)
    x = _strided_block(x, (256, 256), name="block3")
    x = _strided_block(x, (728, 728), name="block4")
    for index in range(5, 5 + _MIDDLE_BLOCKS):
        x = _middle_block(x, name=f"block{index}")
    x = _strided_block(x, (728, 1024), name="block13")

    x = _separable_bn(x, 1536, name="block14_sepconv1")
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = _separable_bn(x, 2048, name="block14_sepconv2")
    x = layers.Activation("relu", name="block14_sepconv2_act")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.apply_pooling(x, pooling)
    model = Model(inputs, x, name=name)
    suffix = "" if include_top else "_notop"
    file_name = f"xception_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    imagenet_utils.load_weights_into(
        model, weights, file_name=file_name, origin=f"{_WEIGHTS_ROOT}{file_name}",
        file_hash=_WEIGHTS_HASHES[0 if include_top else 1],
    )
    return model


def _separable_bn(x: Any, filters: int, name: str) -> Any:
    x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False, name=name)(x)
    return layers.BatchNormalization(name=f"{name}_bn")(x)


def _strided_block(x: Any, filters: tuple[int, int], name: str, *, preact: bool = True) -> Any:
    """Two separable convolutions and a strided max pooling, added to a strided 1x1
    projection of ``x`` (whose layers Keras leaves unnamed). Block 2 starts right after
    the stem's relu, so it has no ``sepconv1_act`` (``preact=False``)."""
    residual = layers.Conv2D(filters[1], 1, strides=2, padding="same", use_bias=False)(x)
    residual = layers.BatchNormalization()(residual)
    if preact:
        x = layers.Activation("relu", name=f"{name}_sepconv1_act")(x)
    x = _separable_bn(x, filters[0], name=f"{name}_sepconv1")
    x = layers.Activation("relu", name=f"{name}_sepconv2_act")(x)
    x = _separable_bn(x, filters[1], name=f"{name}_sepconv2")
    x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"{name}_pool")(x)
    return layers.Add()([x, residual])


def _middle_block(x: Any, name: str) -> Any:
    """Three relu + separable convolution + batch norm, added to ``x``."""
    residual = x
    for index in (1, 2, 3):
        x = layers.Activation("relu", name=f"{name}_sepconv{index}_act")(x)
        x = _separable_bn(x, 728, name=f"{name}_sepconv{index}")
    return layers.Add()([x, residual])


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Prepare RGB images in ``[0, 255]`` for Xception: scaled to ``[-1, 1]``
    (``imagenet_utils.preprocess_input`` with ``mode="tf"``); mirrors
    ``keras.applications.xception.preprocess_input``.

    Args:
        x: A numpy array (floating point ones are changed in place) or a tensor.
        data_format: ``"channels_last"``, ``"channels_first"`` or ``None`` (the global
            setting). Defaults to ``None``.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, Any]]]:
    """ImageNet labels of a batch of scores; see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
