"""MobileNet (v1): depthwise-separable convolutions; mirrors ``keras.applications.mobilenet``.

Reference: Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile
Vision Applications" (https://arxiv.org/abs/1704.04861).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from torchseq import layers
from torchseq.applications import imagenet_utils
from torchseq.models.model import Model

__all__ = ["MobileNet", "decode_predictions", "preprocess_input"]

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"

_IMAGENET_ALPHAS = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}
_IMAGENET_SIZES = (128, 160, 192, 224)

# (pointwise filters, strides) of the 13 depthwise-separable blocks, numbered from 1.
_BLOCKS = (
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
)


def MobileNet(
    input_shape: tuple[int | None, ...] | None = None,
    alpha: float = 1.0,
    depth_multiplier: int = 1,
    dropout: float = 1e-3,
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str | None = None,
) -> Model:
    """Build MobileNet as a Functional model; mirrors ``keras.applications.MobileNet``.

    Inputs are channels-last images scaled to ``[-1, 1]`` (use :func:`preprocess_input`).

    Args:
        input_shape: ``(rows, cols, 3)``, at least 32x32; only free when
            ``include_top=False`` (otherwise the default size, 224, or one of 128, 160, 192).
            Ignored when ``input_tensor`` is given. Defaults to ``None``.
        alpha: Width multiplier: scales the number of filters of every layer. ImageNet
            weights exist for 0.25, 0.5, 0.75 and 1.0. Defaults to ``1.0``.
        depth_multiplier: Depth multiplier of the depthwise convolutions (must be 1 with
            ImageNet weights). Defaults to ``1``.
        dropout: Dropout rate before the classifier. Defaults to ``1e-3``.
        include_top: Whether to end with the classifier. Defaults to ``True``.
        weights: ``None`` (random initialisation), ``"imagenet"`` (Keras's published
            weights, fetched into the Keras cache) or the path of a weights file.
            Defaults to ``"imagenet"``.
        input_tensor: Optional symbolic tensor (from ``Input``) to use as the image input.
        pooling: With ``include_top=False``: ``None`` (the 4-D feature map), ``"avg"`` or
            ``"max"`` (global pooling to a 2-D tensor). Defaults to ``None``.
        classes: Number of classes, with ``include_top=True``. Defaults to ``1000``.
        classifier_activation: Activation of the classifier; only ``None`` or
            ``"softmax"`` with pretrained weights. Defaults to ``"softmax"``.
        name: Model name; defaults to ``mobilenet_{alpha:0.2f}_{rows}``.

    Returns:
        A Functional ``Model``.

    Example:
        >>> model = MobileNet(weights=None, input_shape=(128, 128, 3), alpha=0.25)
        >>> model.output.shape
        (None, 1000)
    """
    imagenet_utils.check_weights_argument(weights, include_top=include_top, classes=classes)
    imagenet_utils.check_pooling(pooling)
    default_size = imagenet_utils.square_size_in(input_shape, _IMAGENET_SIZES) or 224
    input_shape = imagenet_utils.resolve_input_shape(
        input_shape, default_size=default_size, min_size=32,
        require_flatten=include_top, weights=weights,
    )
    rows, cols = input_shape[0], input_shape[1]
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError(
                "MobileNet: ImageNet weights need depth_multiplier=1. "
                f"Received: depth_multiplier={depth_multiplier}"
            )
        if alpha not in _IMAGENET_ALPHAS:
            raise ValueError(
                "MobileNet: ImageNet weights exist for alpha in 0.25, 0.5, 0.75 or 1.0. "
                f"Received: alpha={alpha}"
            )
        if rows != cols or rows not in _IMAGENET_SIZES:
            rows = 224
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not in "
                "[128, 160, 192, 224]. Weights for input shape (224, 224) will be loaded "
                "as the default.",
                stacklevel=2,
            )

    img_input, inputs = imagenet_utils.make_inputs(input_tensor, input_shape)
    x = _conv_block(img_input, 32, alpha, strides=2)
    for block_id, (filters, strides) in enumerate(_BLOCKS, start=1):
        x = _depthwise_conv_block(x, filters, alpha, depth_multiplier, strides, block_id)

    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.apply_pooling(x, pooling)

    model = Model(inputs, x, name=name if name is not None else f"mobilenet_{alpha:0.2f}_{rows}")
    file_name = None
    if weights == "imagenet":
        suffix = "" if include_top else "_no_top"
        file_name = f"mobilenet_{_IMAGENET_ALPHAS[alpha]}_{rows}_tf{suffix}.h5"
    imagenet_utils.load_weights_into(
        model, weights, file_name=file_name, origin=f"{BASE_WEIGHT_PATH}{file_name}"
    )
    return model


def _conv_block(inputs: Any, filters: int, alpha: float, strides: int) -> Any:
    """The stem: a 3x3 convolution, batch normalisation and ReLU6."""
    x = layers.Conv2D(
        int(filters * alpha), (3, 3), padding="same", use_bias=False, strides=strides,
        name="conv1",
    )(inputs)
    x = layers.BatchNormalization(axis=-1, name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def _depthwise_conv_block(
    inputs: Any, filters: int, alpha: float, depth_multiplier: int, strides: int, block_id: int
) -> Any:
    """A 3x3 depthwise convolution then a 1x1 pointwise one, each with batch norm and ReLU6.

    A strided block pads only bottom and right (TensorFlow's "same" for even sizes), as an
    explicit ``ZeroPadding2D`` so that the convolution itself is "valid".
    """
    x = inputs
    if strides != 1:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D(
        (3, 3), padding="same" if strides == 1 else "valid",
        depth_multiplier=depth_multiplier, strides=strides, use_bias=False,
        name=f"conv_dw_{block_id}",
    )(x)
    x = layers.BatchNormalization(axis=-1, name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(
        int(filters * alpha), (1, 1), padding="same", use_bias=False, strides=(1, 1),
        name=f"conv_pw_{block_id}",
    )(x)
    x = layers.BatchNormalization(axis=-1, name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scale pixels from ``[0, 255]`` to ``[-1, 1]`` (``mode="tf"``); mirrors
    ``keras.applications.mobilenet.preprocess_input``.

    Args:
        x: A float numpy array or tensor of images (RGB, 0 to 255).
        data_format: Image data format; defaults to ``config.image_data_format()``.

    Returns:
        The scaled images, of the same type.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """The ``top`` ImageNet classes of each prediction, as ``(class_id, name, score)``."""
    return imagenet_utils.decode_predictions(preds, top=top)
