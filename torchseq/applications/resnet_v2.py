"""ResNet50V2, ResNet101V2 and ResNet152V2: pre-activation residual networks; mirror
``keras.applications.resnet_v2``.

Reference: He et al., "Identity Mappings in Deep Residual Networks"
(https://arxiv.org/abs/1603.05027). Stem and top are ``resnet``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torchseq import layers
from torchseq.applications import imagenet_utils
from torchseq.applications.resnet import _ARGS_DOC, _FILTERS, _batch_norm, _build_resnet
from torchseq.models.model import Model

__all__ = ["ResNet50V2", "ResNet101V2", "ResNet152V2", "decode_predictions", "preprocess_input"]

# Residual blocks in the stacks conv2 … conv5 (bottleneck filters 64, 128, 256, 512).
_DEPTHS = {
    "resnet50v2": (3, 4, 6, 3),
    "resnet101v2": (3, 4, 23, 3),
    "resnet152v2": (3, 8, 36, 3),
}


def ResNet50V2(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "resnet50v2",
) -> Model:
    return _resnet_v2(
        "resnet50v2", include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name,
    )


def ResNet101V2(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "resnet101v2",
) -> Model:
    return _resnet_v2(
        "resnet101v2", include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name,
    )


def ResNet152V2(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "resnet152v2",
) -> Model:
    return _resnet_v2(
        "resnet152v2", include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name,
    )


for _builder, _depth in ((ResNet50V2, 50), (ResNet101V2, 101), (ResNet152V2, 152)):
    _builder.__doc__ = (
        f"Build ResNet{_depth}V2 as a Functional model; mirrors "
        f"``keras.applications.ResNet{_depth}V2``.\n{_ARGS_DOC}\n"
        "    Example:\n"
        f"        >>> model = ResNet{_depth}V2(weights=None, include_top=False, "
        "input_shape=(32, 32, 3))\n"
        "        >>> model.output.shape\n"
        "        (None, 1, 1, 2048)\n"
    )
del _builder, _depth


def _resnet_v2(variant: str, *args: Any) -> Model:
    def stack(x: Any) -> Any:
        last = len(_FILTERS) - 1
        for index, (filters, blocks) in enumerate(zip(_FILTERS, _DEPTHS[variant])):
            x = _stack_v2(
                x, filters, blocks, stride=1 if index == last else 2, name=f"conv{index + 2}"
            )
        return x

    return _build_resnet(stack, variant, *args, preact=True)


def _stack_v2(x: Any, filters: int, blocks: int, stride: int, name: str) -> Any:
    """``blocks`` pre-activation blocks; the first projects the shortcut, the last applies
    ``stride`` (V2 downsamples at the end of a stack, V1 at its start)."""
    x = _block_v2(x, filters, stride=1, conv_shortcut=True, name=f"{name}_block1")
    for index in range(2, blocks):
        x = _block_v2(x, filters, stride=1, conv_shortcut=False, name=f"{name}_block{index}")
    return _block_v2(x, filters, stride=stride, conv_shortcut=False, name=f"{name}_block{blocks}")


def _block_v2(x: Any, filters: int, *, stride: int, conv_shortcut: bool, name: str) -> Any:
    """Batch norm and relu first, then 1x1 → 3x3 (strided) → 1x1 to ``4 * filters``, added
    to the shortcut (a projection of the pre-activation, or ``x`` subsampled)."""
    preact = _batch_norm(f"{name}_preact_bn")(x)
    preact = layers.Activation("relu", name=f"{name}_preact_relu")(preact)
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    elif stride > 1:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = _batch_norm(f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = layers.Conv2D(filters, 3, strides=stride, use_bias=False, name=f"{name}_2_conv")(x)
    x = _batch_norm(f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Prepare RGB images in ``[0, 255]`` for ResNet V2: scaled to ``[-1, 1]``
    (``imagenet_utils.preprocess_input`` with ``mode="tf"``); mirrors
    ``keras.applications.resnet_v2.preprocess_input``.

    Args:
        x: A numpy array (floating point ones are changed in place) or a tensor.
        data_format: ``"channels_last"``, ``"channels_first"`` or ``None`` (the global
            setting). Defaults to ``None``.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, Any]]]:
    """ImageNet labels of a batch of scores; see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
