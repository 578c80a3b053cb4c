"""EfficientNet B0 to B7: compound-scaled MBConv networks; mirrors
``keras.applications.efficientnet``.

Reference: Tan and Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural
Networks" (https://arxiv.org/abs/1905.11946).

The models take raw pixels in ``[0, 255]``: rescaling and normalisation are their first
layers, so :func:`preprocess_input` returns its input unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from torchseq import layers
from torchseq.applications import imagenet_utils
from torchseq.models.model import Model

__all__ = [
    "EfficientNetB0",
    "EfficientNetB1",
    "EfficientNetB2",
    "EfficientNetB3",
    "EfficientNetB4",
    "EfficientNetB5",
    "EfficientNetB6",
    "EfficientNetB7",
    "decode_predictions",
    "preprocess_input",
]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/keras-applications/"

# md5 of Keras's files: (with the classifier, without it).
WEIGHTS_HASHES = {
    "b0": ("902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d"),
    "b1": ("1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432"),
    "b2": ("b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39"),
    "b3": ("ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226"),
    "b4": ("18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba"),
    "b5": ("ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f"),
    "b6": ("165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743"),
    "b7": ("8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a"),
}

CONV_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"},
}
DENSE_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"},
}

# The stem's Normalization has ImageNet's statistics in the published weights; those files
# also expect a further division by the square root of the standard deviation (the original
# implementation divided by the variance), which only the ImageNet build adds.
IMAGENET_STDDEV_RGB = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class _Stage:
    """One stage of MBConv blocks, before width and depth scaling; the defaults are Keras's
    for a ``blocks_args`` entry that leaves a key out."""

    repeats: int
    kernel_size: int = 3
    filters_in: int = 32
    filters_out: int = 16
    expand_ratio: int = 1
    strides: int = 1
    se_ratio: float = 0.0
    id_skip: bool = True


def _b0_stage(kernel_size: int, repeats: int, filters_in: int, filters_out: int,
              expand_ratio: int, strides: int) -> _Stage:
    return _Stage(repeats, kernel_size, filters_in, filters_out, expand_ratio, strides, 0.25)


_STAGES = (
    _b0_stage(3, 1, 32, 16, 1, 1),
    _b0_stage(3, 2, 16, 24, 6, 2),
    _b0_stage(5, 2, 24, 40, 6, 2),
    _b0_stage(3, 3, 40, 80, 6, 2),
    _b0_stage(5, 3, 80, 112, 6, 1),
    _b0_stage(5, 4, 112, 192, 6, 2),
    _b0_stage(3, 1, 192, 320, 6, 1),
)

# variant: (width coefficient, depth coefficient, default size, dropout rate)
_VARIANTS = {
    "b0": (1.0, 1.0, 224, 0.2),
    "b1": (1.0, 1.1, 240, 0.2),
    "b2": (1.1, 1.2, 260, 0.3),
    "b3": (1.2, 1.4, 300, 0.3),
    "b4": (1.4, 1.8, 380, 0.4),
    "b5": (1.6, 2.2, 456, 0.4),
    "b6": (1.8, 2.6, 528, 0.5),
    "b7": (2.0, 3.1, 600, 0.5),
}


def EfficientNet(
    width_coefficient: float,
    depth_coefficient: float,
    default_size: int,
    dropout_rate: float = 0.2,
    drop_connect_rate: float = 0.2,
    depth_divisor: int = 8,
    activation: str | Callable[..., Any] = "swish",
    blocks_args: Any = "default",
    name: str = "efficientnet",
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    weights_name: str | None = None,
) -> Model:
    """Build an EfficientNet of any scaling; the B0 to B7 builders call this.

    Args:
        width_coefficient: Scales the number of filters.
        depth_coefficient: Scales the number of blocks per stage.
        default_size: Default height and width of the input.
        dropout_rate: Dropout before the classifier. Defaults to ``0.2``.
        drop_connect_rate: Largest rate of the per-sample dropout on the residual
            branches, reached by the last block (it grows linearly from 0).
            Defaults to ``0.2``.
        depth_divisor: Filter counts are rounded to multiples of it. Defaults to ``8``.
        activation: Activation of the blocks. Defaults to ``"swish"``.
        blocks_args: ``"default"`` (B0's seven stages) or a list of dicts with the keys
            ``kernel_size``, ``repeats``, ``filters_in``, ``filters_out``,
            ``expand_ratio``, ``strides``, ``se_ratio`` and ``id_skip``.
        name: Model name. Defaults to ``"efficientnet"``.
        include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation: As in :func:`EfficientNetB0`.
        weights_name: Which published file ``weights="imagenet"`` loads (``"b0"`` …).

    Returns:
        A Functional ``Model``.
    """
    stages = _STAGES if blocks_args == "default" else _stages_from_dicts(blocks_args)
    imagenet_utils.check_weights_argument(weights, include_top=include_top, classes=classes)
    imagenet_utils.check_pooling(pooling)
    input_shape = imagenet_utils.resolve_input_shape(
        input_shape, default_size=default_size, min_size=32,
        require_flatten=include_top, weights=weights,
    )
    img_input, inputs = imagenet_utils.make_inputs(input_tensor, input_shape)

    def round_filters(filters: int) -> int:
        return _round_filters(filters * width_coefficient, depth_divisor)

    def round_repeats(repeats: int) -> int:
        return math.ceil(depth_coefficient * repeats)

    x = layers.Rescaling(1.0 / 255.0)(img_input)
    x = layers.Normalization(axis=3)(x)
    if weights == "imagenet":
        x = layers.Rescaling([1.0 / math.sqrt(stddev) for stddev in IMAGENET_STDDEV_RGB])(x)
    x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name="stem_conv_pad")(x)
    x = layers.Conv2D(
        round_filters(32), 3, strides=2, padding="valid", use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER, name="stem_conv",
    )(x)
    x = layers.BatchNormalization(axis=3, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)

    total_blocks = float(sum(round_repeats(stage.repeats) for stage in stages))
    block_index = 0
    for stage_index, stage in enumerate(stages, start=1):
        if stage.repeats <= 0:
            raise ValueError(
                "The number of repeats in `EfficientNet` must be > 0. "
                f"Received: repeats={stage.repeats}"
            )
        stage = replace(
            stage,
            filters_in=round_filters(stage.filters_in),
            filters_out=round_filters(stage.filters_out),
        )
        for repeat in range(round_repeats(stage.repeats)):
            if repeat > 0:  # only a stage's first block changes stride and width
                stage = replace(stage, strides=1, filters_in=stage.filters_out)
            x = _mb_conv_block(
                x, stage, activation, drop_connect_rate * block_index / total_blocks,
                name=f"block{stage_index}{chr(ord('a') + repeat)}_",
            )
            block_index += 1

    x = layers.Conv2D(
        round_filters(1280), 1, padding="same", use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER, name="top_conv",
    )(x)
    x = layers.BatchNormalization(axis=3, name="top_bn")(x)
    x = layers.Activation(activation, name="top_activation")(x)

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(
            classes, activation=classifier_activation,
            kernel_initializer=DENSE_KERNEL_INITIALIZER, name="predictions",
        )(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)

    model = Model(inputs, x, name=name)
    file_name = file_hash = None
    if weights == "imagenet":
        with_top, without_top = WEIGHTS_HASHES[weights_name]
        file_name = name + (".h5" if include_top else "_notop.h5")
        file_hash = with_top if include_top else without_top
    imagenet_utils.load_weights_into(
        model, weights, file_name=file_name, origin=f"{BASE_WEIGHTS_PATH}{file_name}",
        file_hash=file_hash,
    )
    return model


def _round_filters(filters: float, divisor: int) -> int:
    """The nearest multiple of ``divisor`` (at least ``divisor``), never 10% below."""
    rounded = max(divisor, int(filters + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * filters:
        rounded += divisor
    return int(rounded)


def _stages_from_dicts(blocks_args: Any) -> tuple[_Stage, ...]:
    try:
        return tuple(_Stage(**args) for args in blocks_args)
    except TypeError as error:
        raise TypeError(
            "EfficientNet: blocks_args must be 'default' or a list of dicts with the keys "
            "kernel_size, repeats, filters_in, filters_out, expand_ratio, strides, se_ratio, "
            f"id_skip. Received: blocks_args={blocks_args!r}"
        ) from error


def _mb_conv_block(
    inputs: Any, stage: _Stage, activation: Any, drop_rate: float, name: str
) -> Any:
    """An MBConv block: expand (1x1), depthwise convolution, squeeze-and-excitation,
    project (1x1); with a residual connection (and per-sample dropout on the branch) when
    the shapes agree."""
    filters = stage.filters_in * stage.expand_ratio
    x = inputs
    if stage.expand_ratio != 1:
        x = layers.Conv2D(
            filters, 1, padding="same", use_bias=False,
            kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}expand_conv",
        )(x)
        x = layers.BatchNormalization(axis=3, name=f"{name}expand_bn")(x)
        x = layers.Activation(activation, name=f"{name}expand_activation")(x)

    conv_pad = "same"
    if stage.strides == 2:
        x = layers.ZeroPadding2D(
            padding=imagenet_utils.correct_pad(x, stage.kernel_size), name=f"{name}dwconv_pad"
        )(x)
        conv_pad = "valid"
    x = layers.DepthwiseConv2D(
        stage.kernel_size, strides=stage.strides, padding=conv_pad, use_bias=False,
        depthwise_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}dwconv",
    )(x)
    x = layers.BatchNormalization(axis=3, name=f"{name}bn")(x)
    x = layers.Activation(activation, name=f"{name}activation")(x)

    if 0 < stage.se_ratio <= 1:
        x = _squeeze_excite(x, filters, max(1, int(stage.filters_in * stage.se_ratio)),
                            activation, name)

    x = layers.Conv2D(
        stage.filters_out, 1, padding="same", use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}project_conv",
    )(x)
    x = layers.BatchNormalization(axis=3, name=f"{name}project_bn")(x)
    if stage.id_skip and stage.strides == 1 and stage.filters_in == stage.filters_out:
        if drop_rate > 0:
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def _squeeze_excite(x: Any, filters: int, filters_se: int, activation: Any, name: str) -> Any:
    """Reweight the channels by a gate computed from their global average."""
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se = layers.Reshape((1, 1, filters), name=f"{name}se_reshape")(se)
    se = layers.Conv2D(
        filters_se, 1, padding="same", activation=activation,
        kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}se_reduce",
    )(se)
    se = layers.Conv2D(
        filters, 1, padding="same", activation="sigmoid",
        kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}se_expand",
    )(se)
    return layers.multiply([x, se], name=f"{name}se_excite")


def _build_variant(variant: str, name: str, **kwargs: Any) -> Model:
    width, depth, size, dropout = _VARIANTS[variant]
    return EfficientNet(width, depth, size, dropout, name=name, weights_name=variant, **kwargs)


_BUILDER_DOC = """Build {title} as a Functional model; mirrors ``keras.applications.{title}``.

    The model takes channels-last RGB images with pixels in ``[0, 255]``: it rescales and
    normalises them itself (:func:`preprocess_input` is the identity).

    Args:
        include_top: Whether to end with the classifier. Defaults to ``True``.
        weights: ``None`` (random initialisation), ``"imagenet"`` (Keras's published
            weights, fetched into the Keras cache) or the path of a weights file.
            Defaults to ``"imagenet"``.
        input_tensor: Optional symbolic tensor (from ``Input``) to use as the image input.
        input_shape: ``(rows, cols, channels)``, at least 32x32; only free when
            ``include_top=False`` (otherwise ``({size}, {size}, 3)``). Defaults to ``None``.
        pooling: With ``include_top=False``: ``None`` (the 4-D feature map), ``"avg"`` or
            ``"max"`` (global pooling to a 2-D tensor). Defaults to ``None``.
        classes: Number of classes, with ``include_top=True``. Defaults to ``1000``.
        classifier_activation: Activation of the classifier; only ``None`` or
            ``"softmax"`` with pretrained weights. Defaults to ``"softmax"``.
        name: Model name. Defaults to ``"{default_name}"``.

    Returns:
        A Functional ``Model``.

    Example:
        >>> model = {title}(weights=None, include_top=False, input_shape=(64, 64, 3))
        >>> model.output.shape[-1]
        {features}
    """


def EfficientNetB0(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "efficientnetb0",
) -> Model:
    return _build_variant(
        "b0", name, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation,
    )


def EfficientNetB1(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "efficientnetb1",
) -> Model:
    return _build_variant(
        "b1", name, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation,
    )


def EfficientNetB2(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "efficientnetb2",
) -> Model:
    return _build_variant(
        "b2", name, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation,
    )


def EfficientNetB3(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "efficientnetb3",
) -> Model:
    return _build_variant(
        "b3", name, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation,
    )


def EfficientNetB4(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "efficientnetb4",
) -> Model:
    return _build_variant(
        "b4", name, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation,
    )


def EfficientNetB5(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "efficientnetb5",
) -> Model:
    return _build_variant(
        "b5", name, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation,
    )


def EfficientNetB6(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "efficientnetb6",
) -> Model:
    return _build_variant(
        "b6", name, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation,
    )


def EfficientNetB7(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "efficientnetb7",
) -> Model:
    return _build_variant(
        "b7", name, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation,
    )


for _variant, _builder in zip(
    _VARIANTS,
    (EfficientNetB0, EfficientNetB1, EfficientNetB2, EfficientNetB3,
     EfficientNetB4, EfficientNetB5, EfficientNetB6, EfficientNetB7),
):
    _builder.__doc__ = _BUILDER_DOC.format(
        title=_builder.__name__, size=_VARIANTS[_variant][2],
        default_name=f"efficientnet{_variant}",
        features=_round_filters(1280 * _VARIANTS[_variant][0], 8),
    )
del _variant, _builder


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Return ``x`` unchanged: EfficientNet models rescale their inputs themselves. Kept
    for API compatibility with ``keras.applications.efficientnet.preprocess_input``.

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
