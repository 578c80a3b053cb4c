"""ResNet50, ResNet101 and ResNet152: bottleneck residual networks; mirror
``keras.applications.resnet`` (and ``keras.applications.resnet50``).

Reference: He et al., "Deep Residual Learning for Image Recognition"
(https://arxiv.org/abs/1512.03385). The pre-activation networks (ResNet50V2 …) are in
``resnet_v2``; both share :func:`_build_resnet`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torchseq import layers
from torchseq.applications import imagenet_utils
from torchseq.models.model import Model

__all__ = ["ResNet50", "ResNet101", "ResNet152", "decode_predictions", "preprocess_input"]

_WEIGHTS_ROOT = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"

# md5 of Keras's files: (with the classifier, without it).
_WEIGHTS_HASHES = {
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}

# Residual blocks in the stacks conv2 … conv5 (bottleneck filters 64, 128, 256, 512).
_DEPTHS = {
    "resnet50": (3, 4, 6, 3),
    "resnet101": (3, 4, 23, 3),
    "resnet152": (3, 8, 36, 3),
}
_FILTERS = (64, 128, 256, 512)
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
        name: The model's name. Defaults to the variant's, e.g. ``"resnet50"``.

    Returns:
        A Functional ``Model``.
"""


def ResNet50(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "resnet50",
) -> Model:
    return _resnet_v1(
        "resnet50", include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name,
    )


def ResNet101(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "resnet101",
) -> Model:
    return _resnet_v1(
        "resnet101", include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name,
    )


def ResNet152(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "resnet152",
) -> Model:
    return _resnet_v1(
        "resnet152", include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name,
    )


for _builder, _depth in ((ResNet50, 50), (ResNet101, 101), (ResNet152, 152)):
    _builder.__doc__ = (
        f"Build ResNet{_depth} as a Functional model; mirrors "
        f"``keras.applications.ResNet{_depth}``.\n{_ARGS_DOC}\n"
        "    Example:\n"
        f"        >>> model = ResNet{_depth}(weights=None, include_top=False, "
        "input_shape=(32, 32, 3))\n"
        "        >>> model.output.shape\n"
        "        (None, 1, 1, 2048)\n"
    )
del _builder, _depth


def _resnet_v1(variant: str, *args: Any) -> Model:
    def stack(x: Any) -> Any:
        for index, (filters, blocks) in enumerate(zip(_FILTERS, _DEPTHS[variant])):
            x = _stack_v1(x, filters, blocks, stride=1 if index == 0 else 2, name=f"conv{index + 2}")
        return x

    return _build_resnet(stack, variant, *args, preact=False)


def _build_resnet(
    stack: Callable[[Any], Any],
    variant: str,
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    input_shape: Any,
    pooling: str | None,
    classes: int,
    classifier_activation: Any,
    name: str,
    *,
    preact: bool,
) -> Model:
    """The stem, ``stack``'s residual stacks and the top that every ResNet shares; with
    ``preact`` (the V2 networks) the stem has no batch norm and the stacks are followed by
    ``post_bn`` / ``post_relu``."""
    image, inputs = imagenet_utils.builder_inputs(
        weights=weights, include_top=include_top, classes=classes, pooling=pooling,
        classifier_activation=classifier_activation, input_tensor=input_tensor,
        input_shape=input_shape, default_size=224, min_size=32,
    )
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(image)
    x = layers.Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    if not preact:
        x = _batch_norm("conv1_bn")(x)
        x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = stack(x)
    if preact:
        x = _batch_norm("post_bn")(x)
        x = layers.Activation("relu", name="post_relu")(x)
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


def _stack_v1(x: Any, filters: int, blocks: int, stride: int, name: str) -> Any:
    """``blocks`` bottleneck blocks; the first projects the shortcut and applies ``stride``."""
    x = _block_v1(x, filters, stride=stride, conv_shortcut=True, name=f"{name}_block1")
    for index in range(2, blocks + 1):
        x = _block_v1(x, filters, stride=1, conv_shortcut=False, name=f"{name}_block{index}")
    return x


def _block_v1(x: Any, filters: int, *, stride: int, conv_shortcut: bool, name: str) -> Any:
    """1x1 (strided) → 3x3 → 1x1 to ``4 * filters``, added to the shortcut, then relu."""
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = _batch_norm(f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = _batch_norm(f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(x)
    x = _batch_norm(f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = _batch_norm(f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Prepare RGB images in ``[0, 255]`` for ResNet: to BGR, minus ImageNet's mean per
    channel (``imagenet_utils.preprocess_input`` with ``mode="caffe"``); mirrors
    ``keras.applications.resnet.preprocess_input``.

    Args:
        x: A numpy array (floating point ones are changed in place) or a tensor.
        data_format: ``"channels_last"``, ``"channels_first"`` or ``None`` (the global
            setting). Defaults to ``None``.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, Any]]]:
    """ImageNet labels of a batch of scores; see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
