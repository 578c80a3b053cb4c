"""MobileNetV2: inverted residual blocks with linear bottlenecks; mirrors
``keras.applications.mobilenet_v2``.

Reference: Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks"
(https://arxiv.org/abs/1801.04381).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from torchseq import layers
from torchseq.applications import imagenet_utils
from torchseq.models.model import Model
from torchseq.utils.keras_tensors import is_keras_tensor

__all__ = ["MobileNetV2", "decode_predictions", "preprocess_input"]

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"

_IMAGENET_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)
_IMAGENET_SIZES = (96, 128, 160, 192, 224)

# (filters, stride, expansion) of the 17 inverted residual blocks, numbered from 0.
_BLOCKS = (
    (16, 1, 1),
    (24, 2, 6), (24, 1, 6),
    (32, 2, 6), (32, 1, 6), (32, 1, 6),
    (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6),
    (96, 1, 6), (96, 1, 6), (96, 1, 6),
    (160, 2, 6), (160, 1, 6), (160, 1, 6),
    (320, 1, 6),
)


def MobileNetV2(
    input_shape: tuple[int | None, ...] | None = None,
    alpha: float = 1.0,
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str | None = None,
) -> Model:
    """Build MobileNetV2 as a Functional model; mirrors ``keras.applications.MobileNetV2``.

    Inputs are channels-last images scaled to ``[-1, 1]`` (use :func:`preprocess_input`).

    Args:
        input_shape: ``(rows, cols, 3)``, at least 32x32; only free when
            ``include_top=False`` (otherwise the default size, 224, or one of 96, 128, 160,
            192). When omitted with an ``input_tensor``, its shape is used.
            Defaults to ``None``.
        alpha: Width multiplier: scales the number of filters of every block (and of the
            last convolution when above 1). ImageNet weights exist for 0.35, 0.5, 0.75,
            1.0, 1.3 and 1.4. Defaults to ``1.0``.
        include_top: Whether to end with the classifier. Defaults to ``True``.
        weights: ``None`` (random initialisation), ``"imagenet"`` (Keras's published
            weights, fetched into the Keras cache) or the path of a weights file.
            Defaults to ``"imagenet"``.
        input_tensor: Optional symbolic tensor (from ``Input``) to use as the image input;
            when ``input_shape`` is given too, their widths must agree.
        pooling: With ``include_top=False``: ``None`` (the 4-D feature map), ``"avg"`` or
            ``"max"`` (global pooling to a 2-D tensor). Defaults to ``None``.
        classes: Number of classes, with ``include_top=True``. Defaults to ``1000``.
        classifier_activation: Activation of the classifier; only ``None`` or
            ``"softmax"`` with pretrained weights. Defaults to ``"softmax"``.
        name: Model name; defaults to ``mobilenetv2_{alpha:0.2f}_{rows}``.

    Returns:
        A Functional ``Model``.

    Example:
        >>> model = MobileNetV2(weights=None, input_shape=(96, 96, 3), alpha=0.35)
        >>> model.output.shape
        (None, 1000)
    """
    imagenet_utils.check_weights_argument(weights, include_top=include_top, classes=classes)
    imagenet_utils.check_pooling(pooling)
    given_shape = input_shape
    if is_keras_tensor(input_tensor):
        if input_shape is not None and input_tensor.shape[2] != input_shape[1]:
            raise ValueError(
                "input_tensor.shape[2] must equal input_shape[1]. Received: "
                f"input_tensor.shape={tuple(input_tensor.shape)}, input_shape={input_shape}"
            )
        if input_shape is None:
            given_shape = tuple(input_tensor.shape[1:])
    default_size = imagenet_utils.square_size_in(given_shape, _IMAGENET_SIZES) or 224
    input_shape = imagenet_utils.resolve_input_shape(
        input_shape, default_size=default_size, min_size=32,
        require_flatten=include_top, weights=weights,
    )
    rows, cols = input_shape[0], input_shape[1]
    if weights == "imagenet":
        if alpha not in _IMAGENET_ALPHAS:
            raise ValueError(
                "MobileNetV2: ImageNet weights exist for alpha in 0.35, 0.5, 0.75, 1.0, 1.3 "
                f"or 1.4. Received: alpha={alpha}"
            )
        if rows != cols or rows not in _IMAGENET_SIZES:
            rows = 224
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not in "
                "[96, 128, 160, 192, 224]. Weights for input shape (224, 224) will be "
                "loaded as the default.",
                stacklevel=2,
            )

    img_input, inputs = imagenet_utils.make_inputs(input_tensor, input_shape)
    x = layers.Conv2D(
        make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2), padding="same",
        use_bias=False, name="Conv1",
    )(img_input)
    x = _batch_norm("bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, expansion, stride, alpha, filters, block_id)

    # The last convolution keeps 1280 filters for narrow models and widens for wide ones.
    last_filters = make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last_filters, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = _batch_norm("Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)

    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.apply_pooling(x, pooling)

    model = Model(
        inputs, x, name=name if name is not None else f"mobilenetv2_{alpha:0.2f}_{rows}"
    )
    file_name = None
    if weights == "imagenet":
        suffix = "" if include_top else "_no_top"
        file_name = (
            f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}{suffix}.h5"
        )
    imagenet_utils.load_weights_into(
        model, weights, file_name=file_name, origin=f"{BASE_WEIGHT_PATH}{file_name}"
    )
    return model


def make_divisible(value: float, divisor: int, min_value: int | None = None) -> int:
    """Round ``value`` to the nearest multiple of ``divisor`` (at least ``min_value``,
    default ``divisor``), never more than 10% below ``value``."""
    if min_value is None:
        min_value = divisor
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def _batch_norm(name: str) -> layers.BatchNormalization:
    return layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name=name)


def _inverted_res_block(
    inputs: Any, expansion: int, stride: int, alpha: float, filters: int, block_id: int
) -> Any:
    """Expand (1x1, ReLU6), filter (3x3 depthwise, ReLU6), project (1x1, linear); add the
    input back when the shapes agree. Block 0 does not expand and is named
    ``expanded_conv_*``."""
    in_channels = inputs.shape[-1]
    pointwise_filters = make_divisible(int(filters * alpha), 8)
    x = inputs
    if block_id:
        prefix = f"block_{block_id}_"
        x = layers.Conv2D(
            expansion * in_channels, kernel_size=1, padding="same", use_bias=False,
            activation=None, name=f"{prefix}expand",
        )(x)
        x = _batch_norm(f"{prefix}expand_BN")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    else:
        prefix = "expanded_conv_"

    if stride == 2:
        x = layers.ZeroPadding2D(
            padding=imagenet_utils.correct_pad(x, 3), name=f"{prefix}pad"
        )(x)
    x = layers.DepthwiseConv2D(
        kernel_size=3, strides=stride, activation=None, use_bias=False,
        padding="same" if stride == 1 else "valid", name=f"{prefix}depthwise",
    )(x)
    x = _batch_norm(f"{prefix}depthwise_BN")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)

    x = layers.Conv2D(
        pointwise_filters, kernel_size=1, padding="same", use_bias=False, activation=None,
        name=f"{prefix}project",
    )(x)
    x = _batch_norm(f"{prefix}project_BN")(x)
    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scale pixels from ``[0, 255]`` to ``[-1, 1]`` (``mode="tf"``); mirrors
    ``keras.applications.mobilenet_v2.preprocess_input``.

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
