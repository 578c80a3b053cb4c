"""EfficientNetV2 B0 to B3, S, M and L: EfficientNets with fused MBConv stages, scaled
for faster training; mirrors ``keras.applications.efficientnet_v2``.

Reference: Tan and Le, "EfficientNetV2: Smaller Models and Faster Training"
(https://arxiv.org/abs/2104.00298).

The models take raw pixels in ``[0, 255]``: rescaling (and, for B0 to B3, ImageNet
normalisation) are their first layers, so :func:`preprocess_input` returns its input
unchanged. With ``include_preprocessing=False`` they expect pixels in ``[-1, 1]``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from torchseq import initializers, layers
from torchseq.applications import imagenet_utils
from torchseq.models.model import Model

__all__ = [
    "EfficientNetV2B0",
    "EfficientNetV2B1",
    "EfficientNetV2B2",
    "EfficientNetV2B3",
    "EfficientNetV2L",
    "EfficientNetV2M",
    "EfficientNetV2S",
    "decode_predictions",
    "preprocess_input",
]

BASE_WEIGHTS_PATH = (
    "https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/"
)

# md5 of Keras's files: (with the classifier, without it).
WEIGHTS_HASHES = {
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "-s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "-m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "-l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}

CONV_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"},
}
DENSE_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"},
}

_IMAGENET_MEAN_RGB = (0.485, 0.456, 0.406)
_IMAGENET_STDDEV_RGB = (0.229, 0.224, 0.225)

_MBCONV, _FUSED_MBCONV = 0, 1


@dataclass(frozen=True)
class _Stage:
    """One stage of (fused) MBConv blocks before width and depth scaling, with the keys of
    Keras's ``blocks_args`` entries; ``conv_type`` 0 is MBConv, 1 fused MBConv."""

    kernel_size: int
    num_repeat: int
    input_filters: int
    output_filters: int
    expand_ratio: int
    se_ratio: float
    strides: int
    conv_type: int


def _stages(*rows: tuple) -> tuple[_Stage, ...]:
    """Stages from rows of (conv_type, num_repeat, input_filters, output_filters,
    expand_ratio, strides, se_ratio); every published stage has 3x3 kernels."""
    return tuple(
        _Stage(3, repeats, filters_in, filters_out, expand, se_ratio, strides, conv_type)
        for conv_type, repeats, filters_in, filters_out, expand, strides, se_ratio in rows
    )


_B_STAGES = _stages(
    (_FUSED_MBCONV, 1, 32, 16, 1, 1, 0.0),
    (_FUSED_MBCONV, 2, 16, 32, 4, 2, 0.0),
    (_FUSED_MBCONV, 2, 32, 48, 4, 2, 0.0),
    (_MBCONV, 3, 48, 96, 4, 2, 0.25),
    (_MBCONV, 5, 96, 112, 6, 1, 0.25),
    (_MBCONV, 8, 112, 192, 6, 2, 0.25),
)

DEFAULT_BLOCKS_ARGS = {
    "efficientnetv2-s": _stages(
        (_FUSED_MBCONV, 2, 24, 24, 1, 1, 0.0),
        (_FUSED_MBCONV, 4, 24, 48, 4, 2, 0.0),
        (_FUSED_MBCONV, 4, 48, 64, 4, 2, 0.0),
        (_MBCONV, 6, 64, 128, 4, 2, 0.25),
        (_MBCONV, 9, 128, 160, 6, 1, 0.25),
        (_MBCONV, 15, 160, 256, 6, 2, 0.25),
    ),
    "efficientnetv2-m": _stages(
        (_FUSED_MBCONV, 3, 24, 24, 1, 1, 0.0),
        (_FUSED_MBCONV, 5, 24, 48, 4, 2, 0.0),
        (_FUSED_MBCONV, 5, 48, 80, 4, 2, 0.0),
        (_MBCONV, 7, 80, 160, 4, 2, 0.25),
        (_MBCONV, 14, 160, 176, 6, 1, 0.25),
        (_MBCONV, 18, 176, 304, 6, 2, 0.25),
        (_MBCONV, 5, 304, 512, 6, 1, 0.25),
    ),
    "efficientnetv2-l": _stages(
        (_FUSED_MBCONV, 4, 32, 32, 1, 1, 0.0),
        (_FUSED_MBCONV, 7, 32, 64, 4, 2, 0.0),
        (_FUSED_MBCONV, 7, 64, 96, 4, 2, 0.0),
        (_MBCONV, 10, 96, 192, 4, 2, 0.25),
        (_MBCONV, 19, 192, 224, 6, 1, 0.25),
        (_MBCONV, 25, 224, 384, 6, 2, 0.25),
        (_MBCONV, 7, 384, 640, 6, 1, 0.25),
    ),
    "efficientnetv2-b0": _B_STAGES,
    "efficientnetv2-b1": _B_STAGES,
    "efficientnetv2-b2": _B_STAGES,
    "efficientnetv2-b3": _B_STAGES,
}

# variant: (default name, width coefficient, depth coefficient, default size)
_VARIANTS = {
    "b0": ("efficientnetv2-b0", 1.0, 1.0, 224),
    "b1": ("efficientnetv2-b1", 1.0, 1.1, 240),
    "b2": ("efficientnetv2-b2", 1.1, 1.2, 260),
    "b3": ("efficientnetv2-b3", 1.2, 1.4, 300),
    "-s": ("efficientnetv2-s", 1.0, 1.0, 384),
    "-m": ("efficientnetv2-m", 1.0, 1.0, 480),
    "-l": ("efficientnetv2-l", 1.0, 1.0, 480),
}


def EfficientNetV2(
    width_coefficient: float,
    depth_coefficient: float,
    default_size: int,
    dropout_rate: float = 0.2,
    drop_connect_rate: float = 0.2,
    depth_divisor: int = 8,
    min_depth: int | None = 8,
    bn_momentum: float = 0.9,
    activation: str | Callable[..., Any] = "swish",
    blocks_args: Any = "default",
    name: str = "efficientnetv2",
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    include_preprocessing: bool = True,
    weights_name: str | None = None,
) -> Model:
    """Build an EfficientNetV2 of any scaling; the B0 … L builders call this.

    Args:
        width_coefficient: Scales the number of filters.
        depth_coefficient: Scales the number of blocks per stage.
        default_size: Default height and width of the input.
        dropout_rate: Dropout before the classifier. Defaults to ``0.2``.
        drop_connect_rate: Largest rate of the per-sample dropout on the residual
            branches (it grows linearly from 0 over the blocks). Defaults to ``0.2``.
        depth_divisor: Filter counts are rounded to multiples of it. Defaults to ``8``.
        min_depth: Smallest filter count; ``None`` means ``depth_divisor``. Defaults to
            ``8``.
        bn_momentum: Momentum of the BatchNormalization layers. Defaults to ``0.9``.
        activation: Activation of the blocks. Defaults to ``"swish"``.
        blocks_args: ``"default"`` (the stages published for ``name``, e.g.
            ``"efficientnetv2-s"``) or a list of dicts with the keys ``kernel_size``,
            ``num_repeat``, ``input_filters``, ``output_filters``, ``expand_ratio``,
            ``se_ratio``, ``strides`` and ``conv_type`` (0: MBConv, 1: fused MBConv).
        name: Model name. Defaults to ``"efficientnetv2"``.
        include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, include_preprocessing: As in :func:`EfficientNetV2B0`.
        weights_name: Which published file ``weights="imagenet"`` loads (``"b0"`` …
            ``"b3"``, ``"-s"``, ``"-m"``, ``"-l"``); it also picks the preprocessing (the
            B variants normalise with ImageNet's statistics), else the name does.

    Returns:
        A Functional ``Model``.
    """
    stages = _resolve_blocks_args(blocks_args, name)
    imagenet_utils.check_weights_argument(weights, include_top=include_top, classes=classes)
    imagenet_utils.check_pooling(pooling)
    input_shape = imagenet_utils.resolve_input_shape(
        input_shape, default_size=default_size, min_size=32,
        require_flatten=include_top, weights=weights,
    )
    img_input, inputs = imagenet_utils.make_inputs(input_tensor, input_shape)

    def round_filters(filters: int) -> int:
        return _round_filters(filters * width_coefficient, min_depth, depth_divisor)

    x = img_input
    if include_preprocessing:
        is_b_variant = (weights_name or name.split("-")[-1]).startswith("b")
        if is_b_variant and input_shape[-1] == 3:
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(
                mean=list(_IMAGENET_MEAN_RGB),
                variance=[stddev**2 for stddev in _IMAGENET_STDDEV_RGB],
                axis=3,
            )(x)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)

    x = layers.Conv2D(
        round_filters(stages[0].input_filters), 3, strides=2, padding="same",
        use_bias=False, kernel_initializer=CONV_KERNEL_INITIALIZER, name="stem_conv",
    )(x)
    x = layers.BatchNormalization(axis=3, momentum=bn_momentum, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)

    total_blocks = float(sum(stage.num_repeat for stage in stages))
    block_index = 0
    for stage_index, stage in enumerate(stages, start=1):
        if stage.num_repeat <= 0:
            raise ValueError(
                "The number of repeats in `EfficientNetV2` must be > 0. "
                f"Received: num_repeat={stage.num_repeat}"
            )
        stage = replace(
            stage,
            input_filters=round_filters(stage.input_filters),
            output_filters=round_filters(stage.output_filters),
        )
        block = _mb_conv_block if stage.conv_type == _MBCONV else _fused_mb_conv_block
        for repeat in range(math.ceil(depth_coefficient * stage.num_repeat)):
            if repeat > 0:  # only a stage's first block changes stride and width
                stage = replace(stage, strides=1, input_filters=stage.output_filters)
            x = block(
                x, stage, activation, bn_momentum,
                drop_connect_rate * block_index / total_blocks,
                name=f"block{stage_index}{chr(ord('a') + repeat)}_",
            )
            block_index += 1

    x = layers.Conv2D(
        round_filters(1280), 1, padding="same", use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER, name="top_conv",
    )(x)
    x = layers.BatchNormalization(axis=3, momentum=bn_momentum, name="top_bn")(x)
    x = layers.Activation(activation, name="top_activation")(x)

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(
            classes, activation=classifier_activation,
            kernel_initializer=DENSE_KERNEL_INITIALIZER,
            bias_initializer=initializers.Constant(0.0), name="predictions",
        )(x)
    else:
        x = imagenet_utils.apply_pooling(x, pooling, avg_name="avg_pool", max_name="max_pool")

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


def _round_filters(filters: float, min_depth: int | None, divisor: int) -> int:
    """The nearest multiple of ``divisor``, at least ``min_depth`` (V2 has no 10% rule)."""
    return int(max(min_depth or divisor, int(filters + divisor / 2) // divisor * divisor))


def _resolve_blocks_args(blocks_args: Any, name: str) -> tuple[_Stage, ...]:
    if isinstance(blocks_args, str) and blocks_args == "default":
        if name not in DEFAULT_BLOCKS_ARGS:
            raise ValueError(
                "EfficientNetV2: blocks_args='default' needs a published model name, one of "
                f"{', '.join(map(repr, DEFAULT_BLOCKS_ARGS))}. Received: name={name!r}"
            )
        return DEFAULT_BLOCKS_ARGS[name]
    try:
        return tuple(
            args if isinstance(args, _Stage) else _Stage(**args) for args in blocks_args
        )
    except TypeError as error:
        raise TypeError(
            "EfficientNetV2: blocks_args must be 'default' or a list of dicts with the keys "
            "kernel_size, num_repeat, input_filters, output_filters, expand_ratio, se_ratio, "
            f"strides, conv_type. Received: blocks_args={blocks_args!r}"
        ) from error


def _conv_bn(
    x: Any, filters: int, kernel_size: int, strides: int, bn_momentum: float, name: str
) -> Any:
    x = layers.Conv2D(
        filters, kernel_size, strides=strides, padding="same", use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}_conv",
    )(x)
    return layers.BatchNormalization(axis=3, momentum=bn_momentum, name=f"{name}_bn")(x)


def _mb_conv_block(
    inputs: Any, stage: _Stage, activation: Any, bn_momentum: float, drop_rate: float,
    name: str,
) -> Any:
    """An MBConv block: expand (1x1), depthwise convolution, squeeze-and-excitation,
    project (1x1); with a residual connection when the shapes agree."""
    filters = stage.input_filters * stage.expand_ratio
    x = inputs
    if stage.expand_ratio != 1:
        x = _conv_bn(x, filters, 1, 1, bn_momentum, f"{name}expand")
        x = layers.Activation(activation, name=f"{name}expand_activation")(x)
    x = layers.DepthwiseConv2D(
        stage.kernel_size, strides=stage.strides, padding="same", use_bias=False,
        depthwise_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}dwconv2",
    )(x)
    x = layers.BatchNormalization(axis=3, momentum=bn_momentum, name=f"{name}bn")(x)
    x = layers.Activation(activation, name=f"{name}activation")(x)
    x = _squeeze_excite(x, stage, filters, activation, name)
    x = _conv_bn(x, stage.output_filters, 1, 1, bn_momentum, f"{name}project")
    return _residual(x, inputs, stage, drop_rate, name)


def _fused_mb_conv_block(
    inputs: Any, stage: _Stage, activation: Any, bn_momentum: float, drop_rate: float,
    name: str,
) -> Any:
    """A fused MBConv block: one full convolution replaces the expansion and the depthwise
    convolution; then squeeze-and-excitation and the 1x1 projection (or, without
    expansion, the convolution itself as the projection)."""
    filters = stage.input_filters * stage.expand_ratio
    x = inputs
    expands = stage.expand_ratio != 1
    if expands:
        x = _conv_bn(x, filters, stage.kernel_size, stage.strides, bn_momentum,
                     f"{name}expand")
        x = layers.Activation(activation, name=f"{name}expand_activation")(x)
    x = _squeeze_excite(x, stage, filters, activation, name)
    x = _conv_bn(
        x, stage.output_filters, 1 if expands else stage.kernel_size,
        1 if expands else stage.strides, bn_momentum, f"{name}project",
    )
    if not expands:
        x = layers.Activation(activation, name=f"{name}project_activation")(x)
    return _residual(x, inputs, stage, drop_rate, name)


def _squeeze_excite(x: Any, stage: _Stage, filters: int, activation: Any, name: str) -> Any:
    """Reweight the channels by a gate computed from their global average (when the stage
    has a squeeze-and-excitation ratio in ``(0, 1]``)."""
    if not 0 < stage.se_ratio <= 1:
        return x
    filters_se = max(1, int(stage.input_filters * stage.se_ratio))
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


def _residual(x: Any, inputs: Any, stage: _Stage, drop_rate: float, name: str) -> Any:
    """Add the block's input back when the shapes agree, after per-sample dropout of the
    branch (Keras passes the block's ``survival_probability`` as the dropout rate)."""
    if stage.strides != 1 or stage.input_filters != stage.output_filters:
        return x
    if drop_rate:
        x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
    return layers.add([x, inputs], name=f"{name}add")


def _build_variant(variant: str, name: str, **kwargs: Any) -> Model:
    default_name, width, depth, size = _VARIANTS[variant]
    return EfficientNetV2(
        width, depth, size, blocks_args=DEFAULT_BLOCKS_ARGS[default_name], name=name,
        weights_name=variant, **kwargs,
    )


_BUILDER_DOC = """Build {title} as a Functional model; mirrors ``keras.applications.{title}``.

    The model takes channels-last RGB images with pixels in ``[0, 255]``: it rescales
    (and normalises) them itself, so :func:`preprocess_input` is the identity.

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
        include_preprocessing: Whether the model rescales its inputs itself; without it
            it expects pixels in ``[-1, 1]``. Defaults to ``True``.
        name: Model name. Defaults to ``"{default_name}"``.

    Returns:
        A Functional ``Model``.

    Example:
        >>> model = {title}(weights=None, include_top=False, input_shape=(32, 32, 3))
        >>> model.output.shape[-1]
        {features}
    """


def EfficientNetV2B0(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    include_preprocessing: bool = True,
    name: str = "efficientnetv2-b0",
) -> Model:
    return _build_variant(
        "b0", name, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation,
        include_preprocessing=include_preprocessing,
    )


def EfficientNetV2B1(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    include_preprocessing: bool = True,
    name: str = "efficientnetv2-b1",
) -> Model:
    return _build_variant(
        "b1", name, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation,
        include_preprocessing=include_preprocessing,
    )


def EfficientNetV2B2(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    include_preprocessing: bool = True,
    name: str = "efficientnetv2-b2",
) -> Model:
    return _build_variant(
        "b2", name, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation,
        include_preprocessing=include_preprocessing,
    )


def EfficientNetV2B3(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    include_preprocessing: bool = True,
    name: str = "efficientnetv2-b3",
) -> Model:
    return _build_variant(
        "b3", name, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation,
        include_preprocessing=include_preprocessing,
    )


def EfficientNetV2S(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    include_preprocessing: bool = True,
    name: str = "efficientnetv2-s",
) -> Model:
    return _build_variant(
        "-s", name, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation,
        include_preprocessing=include_preprocessing,
    )


def EfficientNetV2M(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    include_preprocessing: bool = True,
    name: str = "efficientnetv2-m",
) -> Model:
    return _build_variant(
        "-m", name, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation,
        include_preprocessing=include_preprocessing,
    )


def EfficientNetV2L(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    include_preprocessing: bool = True,
    name: str = "efficientnetv2-l",
) -> Model:
    return _build_variant(
        "-l", name, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation,
        include_preprocessing=include_preprocessing,
    )


for _variant, _builder in zip(
    _VARIANTS,
    (EfficientNetV2B0, EfficientNetV2B1, EfficientNetV2B2, EfficientNetV2B3,
     EfficientNetV2S, EfficientNetV2M, EfficientNetV2L),
):
    _builder.__doc__ = _BUILDER_DOC.format(
        title=_builder.__name__, size=_VARIANTS[_variant][3],
        default_name=_VARIANTS[_variant][0],
        features=_round_filters(1280 * _VARIANTS[_variant][1], 8, 8),
    )
del _variant, _builder


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Return ``x`` unchanged: EfficientNetV2 models rescale their inputs themselves.
    Kept for API compatibility with ``keras.applications.efficientnet_v2.preprocess_input``.

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
