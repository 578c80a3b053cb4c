"""VGG16 and VGG19: stacks of 3x3 convolutions; mirror ``keras.applications.vgg16`` and
``keras.applications.vgg19``.

Reference: Simonyan and Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
Recognition" (https://arxiv.org/abs/1409.1556).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torchseq import layers
from torchseq.applications import imagenet_utils
from torchseq.models.model import Model

__all__ = ["VGG16", "VGG19", "decode_predictions", "preprocess_input"]

_WEIGHTS_ROOT = "https://storage.googleapis.com/tensorflow/keras-applications/"

# Filters and convolutions of each of the five blocks; every block ends in a 2x2 max pool.
_BLOCKS = {
    "vgg16": ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)),
    "vgg19": ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4)),
}
# md5 of Keras's files: (with the classifier, without it).
_WEIGHTS_HASHES = {
    "vgg16": ("64373286793e3c8b2b4e3219cbf3544b", "6d6bbae143d832006294945121d1f1fc"),
    "vgg19": ("cbe5617147190e668d6c5d5026f83318", "253f8cb515780f3b799900260a226db6"),
}


def VGG16(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "vgg16",
) -> Model:
    """Build VGG16 as a Functional model; mirrors ``keras.applications.VGG16``.

    Inputs are channels-last BGR images centred on ImageNet's mean (use
    :func:`preprocess_input` on RGB images in ``[0, 255]``).

    Args:
        include_top: Whether to end with the three fully-connected layers (``flatten``,
            ``fc1``, ``fc2``, ``predictions``). Defaults to ``True``.
        weights: ``None`` (random initialisation), ``"imagenet"`` (Keras's published
            weights, fetched into the Keras cache) or the path of a weights file.
            Defaults to ``"imagenet"``.
        input_tensor: A symbolic tensor to build the model on, instead of a new ``Input``.
            Defaults to ``None``.
        input_shape: ``(height, width, channels)``, at least 32x32; only free when
            ``include_top=False`` (otherwise ``(224, 224, 3)``). Defaults to ``None``.
        pooling: Without the top: ``None`` (4D features), ``"avg"`` or ``"max"`` (global
            pooling to 2D). Defaults to ``None``.
        classes: Number of classes of the classifier (1000 with ImageNet weights).
            Defaults to ``1000``.
        classifier_activation: Activation of ``predictions``; ``None`` gives logits.
            With pretrained weights only ``None`` or ``"softmax"``. Defaults to
            ``"softmax"``.
        name: The model's name. Defaults to ``"vgg16"``.

    Returns:
        A Functional ``Model``.

    Example:
        >>> model = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
        >>> model.output.shape
        (None, 1, 1, 512)
    """
    return _vgg(
        "vgg16", include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name,
    )


def VGG19(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "vgg19",
) -> Model:
    """Build VGG19 as a Functional model; mirrors ``keras.applications.VGG19``.

    The arguments are :func:`VGG16`'s; blocks 3 to 5 have four convolutions instead of
    three.

    Example:
        >>> model = VGG19(weights=None, include_top=False, input_shape=(32, 32, 3))
        >>> len(model.layers)
        22
    """
    return _vgg(
        "vgg19", include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name,
    )


def _vgg(
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
    x, inputs = imagenet_utils.builder_inputs(
        weights=weights, include_top=include_top, classes=classes, pooling=pooling,
        classifier_activation=classifier_activation, input_tensor=input_tensor,
        input_shape=input_shape, default_size=224, min_size=32,
    )
    for block, (filters, convolutions) in enumerate(_BLOCKS[variant], start=1):
        for index in range(1, convolutions + 1):
            x = layers.Conv2D(
                filters, (3, 3), activation="relu", padding="same",
                name=f"block{block}_conv{index}",
            )(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.apply_pooling(x, pooling)
    model = Model(inputs, x, name=name)
    suffix = "" if include_top else "_notop"
    file_name = f"{variant}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    imagenet_utils.load_weights_into(
        model, weights, file_name=file_name, origin=f"{_WEIGHTS_ROOT}{variant}/{file_name}",
        file_hash=_WEIGHTS_HASHES[variant][0 if include_top else 1],
    )
    return model


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Prepare RGB images in ``[0, 255]`` for VGG: to BGR, minus ImageNet's mean per channel
    (``imagenet_utils.preprocess_input`` with ``mode="caffe"``); mirrors
    ``keras.applications.vgg16.preprocess_input`` and ``vgg19.preprocess_input``.

    Args:
        x: A numpy array (floating point ones are changed in place) or a tensor.
        data_format: ``"channels_last"``, ``"channels_first"`` or ``None`` (the global
            setting). Defaults to ``None``.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, Any]]]:
    """ImageNet labels of a batch of scores; see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
