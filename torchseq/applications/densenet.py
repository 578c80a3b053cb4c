"""DenseNet121, DenseNet169 and DenseNet201: densely connected networks; mirror
``keras.applications.densenet``.

Reference: Huang et al., "Densely Connected Convolutional Networks"
(https://arxiv.org/abs/1608.06993). Every conv block concatenates 32 new channels to its
input; transition blocks halve the channels and the resolution between dense blocks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torchseq import layers
from torchseq.applications import imagenet_utils
from torchseq.models.model import Model

__all__ = [
    "DenseNet121",
    "DenseNet169",
    "DenseNet201",
    "decode_predictions",
    "preprocess_input",
]

_WEIGHTS_ROOT = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"

# md5 of Keras's files: (with the classifier, without it).
_WEIGHTS_HASHES = {
    "densenet121": ("9d60b8095a5708f2dcce2bca79d332c7", "30ee3e1110167f948a6b9946edeeb738"),
    "densenet169": ("d699b8f76981ab1b30698df4c175e90b", "b8c4d4c20dd625c148057b9ff1c1176b"),
    "densenet201": ("1ceb130c1ea1b78c3bf6114dbdfd8807", "c13680b51ded0fb44dff2d8f86ac8bb1"),
}

# Conv blocks in the dense blocks conv2 … conv5.
_BLOCKS = {
    "densenet121": (6, 12, 24, 16),
    "densenet169": (6, 12, 32, 32),
    "densenet201": (6, 12, 48, 32),
}
_GROWTH_RATE = 32
_REDUCTION = 0.5
_BN_EPSILON = 1.001e-5

_ARGS_DOC = """
    Inputs are channels-last images prepared by this module's ``preprocess_input``.

    Args:
        include_top: Whether to end with global average pooling (``avg_pool``) and the
            classifier (``predictions``). Defaults to ``True``.
        weights: ``None`` (random initialisation), ``"imagenet"`` (Keras's published
            weights, fetched into the Keras cache) or the path of a weights file.
            Defaults to ``"imagenet"``.
        input_tensor: A symbolic tensor to build the model on, instead of a new ``Input``.
            Defaults to ``None``.
        input_shape: ``(height, width, channels)``, at least 32x32; only free when
            ``include_top=False`` (otherwise ``(224, 224, 3)``). Defaults to ``None``.
        pooling: Without the top: ``None`` (4D features), ``"avg"`` or ``"max"`` (global
            pooling to 2D, as ``avg_pool`` / ``max_pool``). Defaults to ``None``.
        classes: Number of classes of the classifier (1000 with ImageNet weights).
            Defaults to ``1000``.
        classifier_activation: Activation of ``predictions``; ``None`` gives logits.
            With pretrained weights only ``None`` or ``"softmax"``. Defaults to
            ``"softmax"``.
        name: The model's name. Defaults to the variant's, e.g. ``"densenet121"``.

    Returns:
        A Functional ``Model``.
"""


def DenseNet121(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "densenet121",
) -> Model:
    return _build_densenet(
        "densenet121", include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name,
    )


def DenseNet169(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "densenet169",
) -> Model:
    return _build_densenet(
        "densenet169", include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name,
    )


def DenseNet201(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "densenet201",
) -> Model:
    return _build_densenet(
        "densenet201", include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name,
    )


for _builder, _depth, _channels in (
    (DenseNet121, 121, 1024), (DenseNet169, 169, 1664), (DenseNet201, 201, 1920)
):
    _builder.__doc__ = (
        f"Build DenseNet{_depth} as a Functional model; mirrors "
        f"``keras.applications.DenseNet{_depth}``.\n{_ARGS_DOC}\n"
        "    Example:\n"
        f"        >>> model = DenseNet{_depth}(weights=None, include_top=False, "
        "input_shape=(32, 32, 3))\n"
        "        >>> model.output.shape\n"
        f"        (None, 1, 1, {_channels})\n"
    )
del _builder, _depth, _channels


def _build_densenet(
    variant: str,
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    input_shape: Any,
    pooling: str | None,
    classes: int,
    classifier_activation: Any,
    name: str,
) -> Model:
    image, inputs = imagenet_utils.builder_inputs(
        weights=weights, include_top=include_top, classes=classes, pooling=pooling,
        classifier_activation=classifier_activation, input_tensor=input_tensor,
        input_shape=input_shape, default_size=224, min_size=32,
    )
    # Keras leaves the two paddings unnamed: they are ``zero_padding2d`` and ``…_1``.
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(image)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = _batch_norm("conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    blocks = _BLOCKS[variant]
    for index, count in enumerate(blocks):
        x = _dense_block(x, count, name=f"conv{index + 2}")
        if index < len(blocks) - 1:
            x = _transition_block(x, name=f"pool{index + 2}")
    x = _batch_norm("bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.apply_pooling(x, pooling, avg_name="avg_pool", max_name="max_pool")
    model = Model(inputs, x, name=name)
    suffix = "" if include_top else "_notop"
    file_name = f"{variant}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    imagenet_utils.load_weights_into(
        model, weights, file_name=file_name, origin=f"{_WEIGHTS_ROOT}{file_name}",
        file_hash=_WEIGHTS_HASHES[variant][0 if include_top else 1],
    )
    return model


def _batch_norm(name: str) -> layers.BatchNormalization:
    return layers.BatchNormalization(axis=3, epsilon=_BN_EPSILON, name=name)


def _dense_block(x: Any, blocks: int, name: str) -> Any:
    for index in range(1, blocks + 1):
        x = _conv_block(x, name=f"{name}_block{index}")
    return x


def _transition_block(x: Any, name: str) -> Any:
    """Batch norm, relu, a 1x1 convolution to half the channels, 2x2 average pooling."""
    x = _batch_norm(f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    filters = int(x.shape[3] * _REDUCTION)
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def _conv_block(x: Any, name: str) -> Any:
    """Pre-activation 1x1 bottleneck (4 x growth) then 3x3 (growth), concatenated to ``x``."""
    y = _batch_norm(f"{name}_0_bn")(x)
    y = layers.Activation("relu", name=f"{name}_0_relu")(y)
    y = layers.Conv2D(4 * _GROWTH_RATE, 1, use_bias=False, name=f"{name}_1_conv")(y)
    y = _batch_norm(f"{name}_1_bn")(y)
    y = layers.Activation("relu", name=f"{name}_1_relu")(y)
    y = layers.Conv2D(
        _GROWTH_RATE, 3, padding="same", use_bias=False, name=f"{name}_2_conv"
    )(y)
    return layers.Concatenate(axis=3, name=f"{name}_concat")([x, y])


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Prepare RGB images in ``[0, 255]`` for DenseNet: scaled to ``[0, 1]``, then each
    channel normalised with ImageNet's mean and std (``imagenet_utils.preprocess_input``
    with ``mode="torch"``); mirrors ``keras.applications.densenet.preprocess_input``.

    Args:
        x: A numpy array (floating point ones are changed in place) or a tensor.
        data_format: ``"channels_last"``, ``"channels_first"`` or ``None`` (the global
            setting). Defaults to ``None``.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, Any]]]:
    """ImageNet labels of a batch of scores; see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
