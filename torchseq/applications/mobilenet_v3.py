"""MobileNetV3 Small and Large: inverted residual blocks with squeeze-and-excitation and
hard-swish; mirrors ``keras.applications.mobilenet_v3``.

Reference: Howard et al., "Searching for MobileNetV3" (https://arxiv.org/abs/1905.02244).

The models take raw pixels in ``[0, 255]`` and rescale them themselves (unless built with
``include_preprocessing=False``), so :func:`preprocess_input` returns its input unchanged.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from torchseq import layers
from torchseq.applications import imagenet_utils
from torchseq.models.model import Model
from torchseq.utils.keras_tensors import is_keras_tensor

__all__ = ["MobileNetV3Large", "MobileNetV3Small", "decode_predictions", "preprocess_input"]

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/"

# md5 of Keras's files: (with the classifier, without it).
WEIGHTS_HASHES = {
    "large_224_0.75_float": (
        "765b44a33ad4005b3ac83185abf1d0eb", "40af19a13ebea4e2ee0c676887f69a2e"
    ),
    "large_224_1.0_float": (
        "59e551e166be033d707958cf9e29a6a7", "07fb09a5933dd0c8eaafa16978110389"
    ),
    "large_minimalistic_224_1.0_float": (
        "675e7b876c45c57e9e63e6d90a36599c", "ec5221f64a2f6d1ef965a614bdae7973"
    ),
    "small_224_0.75_float": (
        "cb65d4e5be93758266aa0a7f2c6708b7", "ebdb5cc8e0b497cd13a7c275d475c819"
    ),
    "small_224_1.0_float": (
        "8768d4c2e7dee89b9d02b2d03d65d862", "d3e8ec802a04aa4fc771ee12a9a9b836"
    ),
    "small_minimalistic_224_1.0_float": (
        "99cd97fb2fcdad2bf028eb838de69e37", "cde8136e733e811080d9fcd8a252f7e4"
    ),
}

# Blocks as (expansion, filters, kernel, stride, squeeze-excite, activation), numbered from
# 0. Kernel None is the model's (5, or 3 when minimalistic); squeeze-excite and the "model"
# activation (hard-swish) become none and ReLU when minimalistic.
_SMALL_BLOCKS = (
    (1, 16, 3, 2, True, "relu"),
    (72.0 / 16, 24, 3, 2, False, "relu"),
    (88.0 / 24, 24, 3, 1, False, "relu"),
    (4, 40, None, 2, True, "model"),
    (6, 40, None, 1, True, "model"),
    (6, 40, None, 1, True, "model"),
    (3, 48, None, 1, True, "model"),
    (3, 48, None, 1, True, "model"),
    (6, 96, None, 2, True, "model"),
    (6, 96, None, 1, True, "model"),
    (6, 96, None, 1, True, "model"),
)
_LARGE_BLOCKS = (
    (1, 16, 3, 1, False, "relu"),
    (4, 24, 3, 2, False, "relu"),
    (3, 24, 3, 1, False, "relu"),
    (3, 40, None, 2, True, "relu"),
    (3, 40, None, 1, True, "relu"),
    (3, 40, None, 1, True, "relu"),
    (6, 80, 3, 2, False, "model"),
    (2.5, 80, 3, 1, False, "model"),
    (2.3, 80, 3, 1, False, "model"),
    (2.3, 80, 3, 1, False, "model"),
    (6, 112, 3, 1, True, "model"),
    (6, 112, 3, 1, True, "model"),
    (6, 160, None, 2, True, "model"),
    (6, 160, None, 1, True, "model"),
    (6, 160, None, 1, True, "model"),
)


def MobileNetV3Small(
    input_shape: tuple[int | None, ...] | None = None,
    alpha: float = 1.0,
    minimalistic: bool = False,
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    classes: int = 1000,
    pooling: str | None = None,
    dropout_rate: float = 0.2,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    include_preprocessing: bool = True,
    name: str = "MobileNetV3Small",
) -> Model:
    """Build MobileNetV3Small as a Functional model; mirrors
    ``keras.applications.MobileNetV3Small``.

    Args:
        input_shape: ``(rows, cols, channels)``, at least 32x32; ``None`` accepts any size
            (the classifier pools globally). With an ``input_tensor``, their widths must
            agree. Defaults to ``None``.
        alpha: Width multiplier. ImageNet weights exist for 0.75 and 1.0 (1.0 only when
            minimalistic). Defaults to ``1.0``.
        minimalistic: Without squeeze-and-excitation, hard-swish or 5x5 kernels.
            Defaults to ``False``.
        include_top: Whether to end with the classifier. Defaults to ``True``.
        weights: ``None`` (random initialisation), ``"imagenet"`` (Keras's published
            weights, fetched into the Keras cache) or the path of a weights file.
            Defaults to ``"imagenet"``.
        input_tensor: Optional symbolic tensor (from ``Input``) to use as the image input.
        classes: Number of classes, with ``include_top=True``. Defaults to ``1000``.
        pooling: With ``include_top=False``: ``None`` (the 4-D feature map), ``"avg"`` or
            ``"max"`` (global pooling to a 2-D tensor). Defaults to ``None``.
        dropout_rate: Dropout before the classifier's last layer. Defaults to ``0.2``.
        classifier_activation: Activation of the classifier; only ``None`` or
            ``"softmax"`` with pretrained weights. Defaults to ``"softmax"``.
        include_preprocessing: Whether the model rescales ``[0, 255]`` pixels to
            ``[-1, 1]`` itself. Defaults to ``True``.
        name: Model name. Defaults to ``"MobileNetV3Small"``.

    Returns:
        A Functional ``Model``.

    Example:
        >>> model = MobileNetV3Small(weights=None, input_shape=(64, 64, 3), classes=10)
        >>> model.output.shape
        (None, 10)
    """
    return _mobilenet_v3(
        _SMALL_BLOCKS, 1024, "small", input_shape, alpha, minimalistic, include_top, weights,
        input_tensor, classes, pooling, dropout_rate, classifier_activation,
        include_preprocessing, name,
    )


def MobileNetV3Large(
    input_shape: tuple[int | None, ...] | None = None,
    alpha: float = 1.0,
    minimalistic: bool = False,
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    classes: int = 1000,
    pooling: str | None = None,
    dropout_rate: float = 0.2,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    include_preprocessing: bool = True,
    name: str = "MobileNetV3Large",
) -> Model:
    """Build MobileNetV3Large as a Functional model; mirrors
    ``keras.applications.MobileNetV3Large``.

    Takes the same arguments as :func:`MobileNetV3Small`; ``name`` defaults to
    ``"MobileNetV3Large"``.

    Example:
        >>> model = MobileNetV3Large(weights=None, include_top=False, pooling="avg")
        >>> model.output.shape
        (None, 960)
    """
    return _mobilenet_v3(
        _LARGE_BLOCKS, 1280, "large", input_shape, alpha, minimalistic, include_top, weights,
        input_tensor, classes, pooling, dropout_rate, classifier_activation,
        include_preprocessing, name,
    )


def _mobilenet_v3(
    blocks: tuple, last_point_ch: int, model_type: str, input_shape: Any, alpha: float,
    minimalistic: bool, include_top: bool, weights: Any, input_tensor: Any, classes: int,
    pooling: str | None, dropout_rate: float, classifier_activation: Any,
    include_preprocessing: bool, name: str,
) -> Model:
    imagenet_utils.check_weights_argument(weights, include_top=include_top, classes=classes)
    imagenet_utils.check_pooling(pooling)
    if is_keras_tensor(input_tensor):
        if input_shape is not None and input_tensor.shape[2] != input_shape[1]:
            raise ValueError(
                "input_shape[1] must equal input_tensor.shape[2]. Received: "
                f"input_shape={input_shape}, input_tensor.shape={tuple(input_tensor.shape)}"
            )
        if input_shape is None:
            input_shape = tuple(input_tensor.shape[1:])
    # The classifier pools globally, so any size is accepted, even with ImageNet weights.
    input_shape = imagenet_utils.resolve_input_shape(
        input_shape, default_size=224, min_size=32, require_flatten=False, weights=weights
    )
    rows, cols = input_shape[0], input_shape[1]
    if weights == "imagenet":
        imagenet_alphas = (1.0,) if minimalistic else (0.75, 1.0)
        if alpha not in imagenet_alphas:
            raise ValueError(
                "If imagenet weights are being loaded, alpha can be one of `0.75`, `1.0` for "
                "non minimalistic or `1.0` for minimalistic only. Received: "
                f"alpha={alpha}, minimalistic={minimalistic}"
            )
        if rows != cols or rows != 224:
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not 224. Weights for "
                "input shape (224, 224) will be loaded as the default.",
                stacklevel=3,
            )

    img_input, inputs = imagenet_utils.make_inputs(input_tensor, input_shape)
    kernel, model_activation, se_ratio = (3, _relu, None) if minimalistic else (
        5, _hard_swish, 0.25
    )
    x = img_input
    if include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(
        16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False, name="conv"
    )(x)
    x = _batch_norm("conv_bn")(x)
    x = model_activation(x)
    for block_id, (expansion, filters, block_kernel, stride, squeeze, act) in enumerate(blocks):
        x = _inverted_res_block(
            x, expansion, _depth(filters * alpha), block_kernel or kernel, stride,
            se_ratio if squeeze else None, _relu if act == "relu" else model_activation,
            block_id,
        )

    last_conv_ch = _depth(x.shape[-1] * 6)
    if alpha > 1.0:
        last_point_ch = _depth(last_point_ch * alpha)
    x = layers.Conv2D(last_conv_ch, kernel_size=1, padding="same", use_bias=False,
                      name="conv_1")(x)
    x = _batch_norm("conv_1_bn")(x)
    x = model_activation(x)

    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(last_point_ch, kernel_size=1, padding="same", use_bias=True,
                          name="conv_2")(x)
        x = model_activation(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Conv2D(classes, kernel_size=1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)

    model = Model(inputs, x, name=name)
    file_name = file_hash = None
    if weights == "imagenet":
        minimal = "_minimalistic" if minimalistic else ""
        model_name = f"{model_type}{minimal}_224_{alpha}_float"
        with_top, without_top = WEIGHTS_HASHES[model_name]
        if include_top:
            file_name, file_hash = f"weights_mobilenet_v3_{model_name}.h5", with_top
        else:
            file_name = f"weights_mobilenet_v3_{model_name}_no_top_v2.h5"
            file_hash = without_top
    imagenet_utils.load_weights_into(
        model, weights, file_name=file_name, origin=f"{BASE_WEIGHT_PATH}{file_name}",
        file_hash=file_hash,
    )
    return model


def _relu(x: Any) -> Any:
    return layers.ReLU()(x)


def _hard_sigmoid(x: Any) -> Any:
    # Written with operators, as Keras does, so that it adds a ReLU layer and no others.
    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def _hard_swish(x: Any) -> Any:
    return layers.Activation("hard_swish")(x)


def _depth(value: float, divisor: int = 8) -> int:
    """Round a channel count to the nearest multiple of ``divisor``, never 10% below."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def _batch_norm(name: str) -> layers.BatchNormalization:
    return layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name=name)


def _se_block(inputs: Any, filters: int, se_ratio: float, prefix: str) -> Any:
    """Reweight the channels by a hard-sigmoid gate computed from their global average."""
    x = layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}squeeze_excite_avg_pool")(
        inputs
    )
    x = layers.Conv2D(_depth(filters * se_ratio), kernel_size=1, padding="same",
                      name=f"{prefix}squeeze_excite_conv")(x)
    x = layers.ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = layers.Conv2D(filters, kernel_size=1, padding="same",
                      name=f"{prefix}squeeze_excite_conv_1")(x)
    x = _hard_sigmoid(x)
    return layers.Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, x])


def _inverted_res_block(
    x: Any, expansion: float, filters: int, kernel_size: int, stride: int,
    se_ratio: float | None, activation: Callable[[Any], Any], block_id: int,
) -> Any:
    """Expand (1x1), depthwise convolution, optional squeeze-and-excitation, project (1x1);
    add the input back when the shapes agree. Block 0 does not expand."""
    shortcut = x
    in_filters = x.shape[-1]
    prefix = "expanded_conv_"
    if block_id:
        prefix = f"expanded_conv_{block_id}_"
        x = layers.Conv2D(_depth(in_filters * expansion), kernel_size=1, padding="same",
                          use_bias=False, name=f"{prefix}expand")(x)
        x = _batch_norm(f"{prefix}expand_bn")(x)
        x = activation(x)
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size),
                                 name=f"{prefix}depthwise_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=stride,
                               padding="same" if stride == 1 else "valid", use_bias=False,
                               name=f"{prefix}depthwise")(x)
    x = _batch_norm(f"{prefix}depthwise_bn")(x)
    x = activation(x)
    if se_ratio:
        x = _se_block(x, _depth(in_filters * expansion), se_ratio, prefix)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", use_bias=False,
                      name=f"{prefix}project")(x)
    x = _batch_norm(f"{prefix}project_bn")(x)
    if stride == 1 and in_filters == filters:
        x = layers.Add(name=f"{prefix}add")([shortcut, x])
    return x


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Return ``x`` unchanged: MobileNetV3 models rescale their inputs themselves. Kept for
    API compatibility with ``keras.applications.mobilenet_v3.preprocess_input``.

    Args:
        x: Images with pixels in ``[0, 255]``.
        data_format: Ignored. Defaults to ``None``.

    Returns:
        ``x``.
    """
    return x


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """The ``top`` ImageNet classes of each prediction, as ``(class_id, name, score)``."""
    return imagenet_utils.decode_predictions(preds, top=top)
