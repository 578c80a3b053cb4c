"""NASNetMobile and NASNetLarge: networks of cells found by architecture search; mirrors
``keras.applications.nasnet``.

Reference: Zoph et al., "Learning Transferable Architectures for Scalable Image
Recognition" (https://arxiv.org/abs/1707.07012).

Inputs are channels-last images scaled to ``[-1, 1]`` by :func:`preprocess_input`.
Keras 3 refuses ``NASNetMobile`` on its torch backend; torchseq builds it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torchseq import layers
from torchseq.applications import imagenet_utils
from torchseq.models.model import Model

__all__ = ["NASNetLarge", "NASNetMobile", "decode_predictions", "preprocess_input"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/nasnet/"

# default size: (file name, URL, md5) with the classifier, then without it.
_WEIGHT_FILES = {
    224: (
        ("nasnet_mobile.h5", f"{BASE_WEIGHTS_PATH}NASNet-mobile.h5",
         "020fb642bf7360b370c678b08e0adf61"),
        ("nasnet_mobile_no_top.h5", f"{BASE_WEIGHTS_PATH}NASNet-mobile-no-top.h5",
         "1ed92395b5b598bdda52abe5c0dbfd63"),
    ),
    331: (
        ("nasnet_large.h5", f"{BASE_WEIGHTS_PATH}NASNet-large.h5",
         "11577c9a518f0070763c2b964a382f17"),
        ("nasnet_large_no_top.h5", f"{BASE_WEIGHTS_PATH}NASNet-large-no-top.h5",
         "d81d89dc07e6e56530c4e77faddd61b5"),
    ),
}

_BN = {"axis": -1, "momentum": 0.9997, "epsilon": 1e-3}


def NASNet(
    input_shape: tuple[int | None, ...] | None = None,
    penultimate_filters: int = 4032,
    num_blocks: int = 6,
    stem_block_filters: int = 96,
    skip_reduction: bool = True,
    filter_multiplier: int = 2,
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    default_size: int | None = None,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "NASNet",
) -> Model:
    """Build a NASNet-A ``(num_blocks @ penultimate_filters)``; the Mobile and Large
    builders call this.

    Args:
        input_shape: ``(rows, cols, channels)``, at least 32x32. Defaults to ``None``.
        penultimate_filters: Filters of the last cells; a multiple of
            ``24 * filter_multiplier ** 2``. Defaults to ``4032``.
        num_blocks: Normal cells between two reductions. Defaults to ``6``.
        stem_block_filters: Filters of the first convolution. Defaults to ``96``.
        skip_reduction: Whether the cells after a reduction see the cell before it
            (``True``) or the reduction's input. Defaults to ``True``.
        filter_multiplier: Width growth at each reduction. Defaults to ``2``.
        default_size: ``224`` (Mobile's weights), ``331`` (Large's) or other; ``None``
            means ``331``. Defaults to ``None``.
        include_top, weights, input_tensor, pooling, classes, classifier_activation,
        name: As in :func:`NASNetLarge`.

    Returns:
        A Functional ``Model``.

    Raises:
        ValueError: For invalid arguments, including ``penultimate_filters`` that
            ``24 * filter_multiplier ** 2`` does not divide, and ImageNet weights for a
            ``default_size`` other than 224 or 331.
    """
    imagenet_utils.check_weights_argument(weights, include_top=include_top, classes=classes)
    imagenet_utils.check_pooling(pooling)
    if weights == "imagenet" and input_shape is not None and None in tuple(input_shape):
        raise ValueError(
            "When loading ImageNet weights into a NASNet the input_shape must be static "
            f"(no None entries). Received: input_shape={input_shape}"
        )
    if penultimate_filters % (24 * filter_multiplier**2) != 0:
        raise ValueError(
            "For NASNet-A models, `penultimate_filters` must be a multiple of "
            f"24 * (`filter_multiplier` ** 2) = {24 * filter_multiplier**2}. "
            f"Received: penultimate_filters={penultimate_filters}"
        )
    default_size = 331 if default_size is None else default_size
    if weights == "imagenet" and default_size not in _WEIGHT_FILES:
        raise ValueError(
            "ImageNet weights exist only for NASNetLarge (default_size=331) and "
            f"NASNetMobile (default_size=224). Received: default_size={default_size}"
        )
    input_shape = imagenet_utils.resolve_input_shape(
        input_shape, default_size=default_size, min_size=32,
        require_flatten=include_top, weights=weights,
    )
    img_input, inputs = imagenet_utils.make_inputs(input_tensor, input_shape)

    filters = penultimate_filters // 24
    x = layers.Conv2D(
        stem_block_filters, (3, 3), strides=(2, 2), padding="valid", use_bias=False,
        kernel_initializer="he_normal", name="stem_conv1",
    )(img_input)
    x = layers.BatchNormalization(**_BN, name="stem_bn1")(x)

    p = None
    x, p = _reduction_a_cell(x, p, filters // filter_multiplier**2, block_id="stem_1")
    x, p = _reduction_a_cell(x, p, filters // filter_multiplier, block_id="stem_2")
    for stage in range(3):
        stage_filters = filters * filter_multiplier**stage
        if stage > 0:
            x, before = _reduction_a_cell(
                x, p, stage_filters, block_id=f"reduce_{stage * num_blocks}"
            )
            p = p if skip_reduction else before
        for index in range(num_blocks):
            block_id = stage * num_blocks + index + (1 if stage else 0)
            x, p = _normal_a_cell(x, p, stage_filters, block_id=f"{block_id}")

    x = layers.Activation("relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.apply_pooling(x, pooling)

    model = Model(inputs, x, name=name)
    file_name = origin = file_hash = None
    if weights == "imagenet":
        file_name, origin, file_hash = _WEIGHT_FILES[default_size][0 if include_top else 1]
    imagenet_utils.load_weights_into(
        model, weights, file_name=file_name, origin=origin, file_hash=file_hash
    )
    return model


def _conv_bn(x: Any, filters: int, name: str, bn_name: str) -> Any:
    """ReLU, 1x1 convolution, batch normalisation: how a cell projects its inputs."""
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(
        filters, (1, 1), padding="same", use_bias=False, kernel_initializer="he_normal",
        name=name,
    )(x)
    return layers.BatchNormalization(**_BN, name=bn_name)(x)


def _separable_conv_block(
    ip: Any, filters: int, kernel_size: tuple[int, int] = (3, 3),
    strides: tuple[int, int] = (1, 1), block_id: str = "",
) -> Any:
    """Two ReLU, separable convolution, batch normalisation sequences; the first strided
    (with TensorFlow's padding) when ``strides`` is 2."""
    x = layers.Activation("relu")(ip)
    conv_pad = "same"
    if strides == (2, 2):
        x = layers.ZeroPadding2D(
            padding=imagenet_utils.correct_pad(x, kernel_size),
            name=f"separable_conv_1_pad_{block_id}",
        )(x)
        conv_pad = "valid"
    x = layers.SeparableConv2D(
        filters, kernel_size, strides=strides, padding=conv_pad, use_bias=False,
        name=f"separable_conv_1_{block_id}",
    )(x)
    x = layers.BatchNormalization(**_BN, name=f"separable_conv_1_bn_{block_id}")(x)
    x = layers.Activation("relu")(x)
    x = layers.SeparableConv2D(
        filters, kernel_size, padding="same", use_bias=False,
        name=f"separable_conv_2_{block_id}",
    )(x)
    return layers.BatchNormalization(**_BN, name=f"separable_conv_2_bn_{block_id}")(x)


def _adjust_block(p: Any, ip: Any, filters: int, block_id: str) -> Any:
    """Bring the previous cell's output ``p`` to ``ip``'s size (halving it as a factorised
    reduction) or to ``filters`` channels (a 1x1 projection)."""
    if p is None:
        return ip
    if p.shape[-2] != ip.shape[-2]:
        p = layers.Activation("relu", name=f"adjust_relu_1_{block_id}")(p)
        p1 = layers.AveragePooling2D(
            (1, 1), strides=(2, 2), padding="valid", name=f"adjust_avg_pool_1_{block_id}"
        )(p)
        p1 = layers.Conv2D(
            filters // 2, (1, 1), padding="same", use_bias=False,
            kernel_initializer="he_normal", name=f"adjust_conv_1_{block_id}",
        )(p1)
        # The second path samples the pixels the first one skips (shifted by one).
        p2 = layers.ZeroPadding2D(padding=((0, 1), (0, 1)))(p)
        p2 = layers.Cropping2D(cropping=((1, 0), (1, 0)))(p2)
        p2 = layers.AveragePooling2D(
            (1, 1), strides=(2, 2), padding="valid", name=f"adjust_avg_pool_2_{block_id}"
        )(p2)
        p2 = layers.Conv2D(
            filters // 2, (1, 1), padding="same", use_bias=False,
            kernel_initializer="he_normal", name=f"adjust_conv_2_{block_id}",
        )(p2)
        p = layers.concatenate([p1, p2], axis=-1)
        return layers.BatchNormalization(**_BN, name=f"adjust_bn_{block_id}")(p)
    if p.shape[-1] != filters:
        return _conv_bn(
            p, filters, f"adjust_conv_projection_{block_id}", f"adjust_bn_{block_id}"
        )
    return p


def _normal_a_cell(ip: Any, p: Any, filters: int, block_id: str) -> tuple[Any, Any]:
    """A NASNet-A normal cell: five pairwise combinations of the two inputs, concatenated
    with the adjusted previous output. Returns ``(output, ip)``."""
    p = _adjust_block(p, ip, filters, block_id)
    h = _conv_bn(ip, filters, f"normal_conv_1_{block_id}", f"normal_bn_1_{block_id}")

    x1 = layers.add([
        _separable_conv_block(h, filters, (5, 5), block_id=f"normal_left1_{block_id}"),
        _separable_conv_block(p, filters, block_id=f"normal_right1_{block_id}"),
    ], name=f"normal_add_1_{block_id}")
    x2 = layers.add([
        _separable_conv_block(p, filters, (5, 5), block_id=f"normal_left2_{block_id}"),
        _separable_conv_block(p, filters, (3, 3), block_id=f"normal_right2_{block_id}"),
    ], name=f"normal_add_2_{block_id}")
    x3 = _average_3x3(h, name=f"normal_left3_{block_id}")
    x3 = layers.add([x3, p], name=f"normal_add_3_{block_id}")
    x4 = layers.add([
        _average_3x3(p, name=f"normal_left4_{block_id}"),
        _average_3x3(p, name=f"normal_right4_{block_id}"),
    ], name=f"normal_add_4_{block_id}")
    x5 = _separable_conv_block(h, filters, block_id=f"normal_left5_{block_id}")
    x5 = layers.add([x5, h], name=f"normal_add_5_{block_id}")
    x = layers.concatenate([p, x1, x2, x3, x4, x5], axis=-1, name=f"normal_concat_{block_id}")
    return x, ip


def _reduction_a_cell(ip: Any, p: Any, filters: int, block_id: str) -> tuple[Any, Any]:
    """A NASNet-A reduction cell: halves the size with strided separable convolutions and
    poolings. Returns ``(output, ip)``."""
    p = _adjust_block(p, ip, filters, block_id)
    h = _conv_bn(ip, filters, f"reduction_conv_1_{block_id}", f"reduction_bn_1_{block_id}")
    h3 = layers.ZeroPadding2D(
        padding=imagenet_utils.correct_pad(h, 3), name=f"reduction_pad_1_{block_id}"
    )(h)

    def strided(x: Any, kernel: int, side: str) -> Any:
        return _separable_conv_block(
            x, filters, (kernel, kernel), strides=(2, 2), block_id=f"reduction_{side}_{block_id}"
        )

    def pool(kind: type, name: str) -> Any:
        return kind((3, 3), strides=(2, 2), padding="valid", name=name)(h3)

    x1 = layers.add([strided(h, 5, "left1"), strided(p, 7, "right1")],
                    name=f"reduction_add_1_{block_id}")
    x2 = layers.add([pool(layers.MaxPooling2D, f"reduction_left2_{block_id}"),
                     strided(p, 7, "right2")], name=f"reduction_add_2_{block_id}")
    x3 = layers.add([pool(layers.AveragePooling2D, f"reduction_left3_{block_id}"),
                     strided(p, 5, "right3")], name=f"reduction_add3_{block_id}")
    x4 = _average_3x3(x1, name=f"reduction_left4_{block_id}")
    x4 = layers.add([x2, x4])
    x5 = _separable_conv_block(x1, filters, (3, 3), block_id=f"reduction_left4_{block_id}")
    x5 = layers.add([x5, pool(layers.MaxPooling2D, f"reduction_right5_{block_id}")],
                    name=f"reduction_add4_{block_id}")
    x = layers.concatenate([x2, x3, x4, x5], axis=-1, name=f"reduction_concat_{block_id}")
    return x, ip


def _average_3x3(x: Any, name: str) -> Any:
    return layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same", name=name)(x)


_BUILDER_DOC = """Build {title} as a Functional model; mirrors ``keras.applications.{title}``.

    Inputs are channels-last RGB images scaled to ``[-1, 1]`` by :func:`preprocess_input`.

    Args:
        input_shape: ``(rows, cols, channels)``, at least 32x32; only free when
            ``include_top=False`` (otherwise ``({size}, {size}, 3)``, also the default
            without the top). Defaults to ``None``.
        include_top: Whether to end with global average pooling and the classifier
            (``predictions``). Defaults to ``True``.
        weights: ``None`` (random initialisation), ``"imagenet"`` (Keras's published
            weights, fetched into the Keras cache) or the path of a weights file.
            Defaults to ``"imagenet"``.
        input_tensor: Optional symbolic tensor (from ``Input``) to use as the image input.
        pooling: With ``include_top=False``: ``None`` (the 4-D feature map), ``"avg"`` or
            ``"max"`` (global pooling to a 2-D tensor). Defaults to ``None``.
        classes: Number of classes, with ``include_top=True``. Defaults to ``1000``.
        classifier_activation: Activation of the classifier; only ``None`` or
            ``"softmax"`` with pretrained weights. Defaults to ``"softmax"``.
        name: Model name. Defaults to ``"{default_name}"``.

    Returns:
        A Functional ``Model``.

    Example:
        >>> model = {title}(weights=None, include_top=False, input_shape=(32, 32, 3))
        >>> model.output.shape[-1]
        {features}
    """


def NASNetMobile(
    input_shape: tuple[int | None, ...] | None = None,
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "nasnet_mobile",
) -> Model:
    if not include_top and input_shape is None:
        input_shape = (224, 224, 3)
    return NASNet(
        input_shape, penultimate_filters=1056, num_blocks=4, stem_block_filters=32,
        skip_reduction=False, filter_multiplier=2, include_top=include_top,
        weights=weights, input_tensor=input_tensor, pooling=pooling, classes=classes,
        default_size=224, classifier_activation=classifier_activation, name=name,
    )


def NASNetLarge(
    input_shape: tuple[int | None, ...] | None = None,
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "nasnet_large",
) -> Model:
    if not include_top and input_shape is None:
        input_shape = (331, 331, 3)
    return NASNet(
        input_shape, penultimate_filters=4032, num_blocks=6, stem_block_filters=96,
        skip_reduction=True, filter_multiplier=2, include_top=include_top,
        weights=weights, input_tensor=input_tensor, pooling=pooling, classes=classes,
        default_size=331, classifier_activation=classifier_activation, name=name,
    )


NASNetMobile.__doc__ = _BUILDER_DOC.format(
    title="NASNetMobile", size=224, default_name="nasnet_mobile", features=1056
)
NASNetLarge.__doc__ = _BUILDER_DOC.format(
    title="NASNetLarge", size=331, default_name="nasnet_large", features=4032
)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scale images with pixels in ``[0, 255]`` to ``[-1, 1]``, as NASNet expects
    (``imagenet_utils.preprocess_input`` with ``mode="tf"``).

    Args:
        x: A numpy array or a tensor, 3D or 4D. A floating-point numpy array is changed
            in place, as in Keras.
        data_format: ``"channels_last"``, ``"channels_first"`` or ``None`` (the global
            setting). Defaults to ``None``.

    Returns:
        The scaled array or tensor.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """The ``top`` ImageNet classes of each prediction, as ``(class_id, name, score)``."""
    return imagenet_utils.decode_predictions(preds, top=top)
