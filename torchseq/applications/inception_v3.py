"""InceptionV3: factorised inception modules; mirrors ``keras.applications.inception_v3``.

Reference: Szegedy et al., "Rethinking the Inception Architecture for Computer Vision"
(https://arxiv.org/abs/1512.00567). As in Keras, the convolutions, batch norms and relus
keep automatic names (``conv2d_12``, ``batch_normalization_12``, ``activation_12``); only
the concatenations are named (``mixed0`` … ``mixed10``), so the layers must be created in
Keras's order for the names, and the weight files, to line up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torchseq import layers
from torchseq.applications import imagenet_utils
from torchseq.models.model import Model

__all__ = ["InceptionV3", "decode_predictions", "preprocess_input"]

_WEIGHTS_ROOT = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
# md5 of Keras's files: (with the classifier, without it).
_WEIGHTS_HASHES = ("9a0d58056eeedaa3f26cb7ebd46da564", "bcbd6486424b2319ff4ef7d526e38f63")


def InceptionV3(
    include_top: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "inception_v3",
) -> Model:
    """Build InceptionV3 as a Functional model; mirrors ``keras.applications.InceptionV3``.

    Inputs are channels-last images prepared by this module's ``preprocess_input``
    (scaled to ``[-1, 1]``).

    Args:
        include_top: Whether to end with global average pooling (``avg_pool``) and the
            classifier (``predictions``). Defaults to ``True``.
        weights: ``None`` (random initialisation), ``"imagenet"`` (Keras's published
            weights, fetched into the Keras cache) or the path of a weights file.
            Defaults to ``"imagenet"``.
        input_tensor: A symbolic tensor to build the model on, instead of a new ``Input``.
            Defaults to ``None``.
        input_shape: ``(height, width, channels)``, at least 75x75; only free when
            ``include_top=False`` (otherwise ``(299, 299, 3)``). Defaults to ``None``.
        pooling: Without the top: ``None`` (4D features), ``"avg"`` or ``"max"`` (global
            pooling to 2D; the layers keep automatic names, as in Keras). Defaults to
            ``None``.
        classes: Number of classes of the classifier (1000 with ImageNet weights).
            Defaults to ``1000``.
        classifier_activation: Activation of ``predictions``; ``None`` gives logits.
            With pretrained weights only ``None`` or ``"softmax"``. Defaults to
            ``"softmax"``.
        name: The model's name. Defaults to ``"inception_v3"``.

    Returns:
        A Functional ``Model``.

    Example:
        >>> model = InceptionV3(weights=None, include_top=False, input_shape=(75, 75, 3))
        >>> model.output.shape
        (None, 1, 1, 2048)
    """
    image, inputs = imagenet_utils.builder_inputs(
        weights=weights, include_top=include_top, classes=classes, pooling=pooling,
        classifier_activation=classifier_activation, input_tensor=input_tensor,
        input_shape=input_shape, default_size=299, min_size=75,
    )
    x = _conv_bn(image, 32, (3, 3), strides=2, padding="valid")
    x = _conv_bn(x, 32, (3, 3), padding="valid")
    x = _conv_bn(x, 64, (3, 3))
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = _conv_bn(x, 80, (1, 1), padding="valid")
    x = _conv_bn(x, 192, (3, 3), padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)

    for index, pool_filters in enumerate((32, 64, 64)):
        x = _block_35(x, pool_filters, name=f"mixed{index}")
    x = _reduction_a(x, name="mixed3")
    for index, filters in enumerate((128, 160, 160, 192)):
        x = _block_17(x, filters, name=f"mixed{index + 4}")
    x = _reduction_b(x, name="mixed8")
    for index in range(2):
        x = _block_8(x, index, name=f"mixed{index + 9}")

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.apply_pooling(x, pooling)
    model = Model(inputs, x, name=name)
    suffix = "" if include_top else "_notop"
    file_name = f"inception_v3_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    imagenet_utils.load_weights_into(
        model, weights, file_name=file_name, origin=f"{_WEIGHTS_ROOT}{file_name}",
        file_hash=_WEIGHTS_HASHES[0 if include_top else 1],
    )
    return model


def _conv_bn(
    x: Any, filters: int, kernel_size: tuple[int, int], strides: int = 1, padding: str = "same"
) -> Any:
    """Convolution without bias, batch norm without scale (the relu follows), relu."""
    x = layers.Conv2D(
        filters, kernel_size, strides=strides, padding=padding, use_bias=False
    )(x)
    x = layers.BatchNormalization(axis=3, scale=False)(x)
    return layers.Activation("relu")(x)


def _conv_chain(x: Any, specs: tuple[tuple[int, tuple[int, int]], ...]) -> Any:
    for filters, kernel_size in specs:
        x = _conv_bn(x, filters, kernel_size)
    return x


def _avg_pool_branch(x: Any, filters: int) -> Any:
    x = layers.AveragePooling2D(3, strides=1, padding="same")(x)
    return _conv_bn(x, filters, (1, 1))


def _block_35(x: Any, pool_filters: int, name: str) -> Any:
    """mixed0-2 (35x35 at the default size): 1x1, 5x5, double 3x3 and pooled branches."""
    branch1x1 = _conv_bn(x, 64, (1, 1))
    branch5x5 = _conv_chain(x, ((48, (1, 1)), (64, (5, 5))))
    branch3x3dbl = _conv_chain(x, ((64, (1, 1)), (96, (3, 3)), (96, (3, 3))))
    branch_pool = _avg_pool_branch(x, pool_filters)
    return layers.Concatenate(axis=3, name=name)(
        [branch1x1, branch5x5, branch3x3dbl, branch_pool]
    )


def _reduction_a(x: Any, name: str) -> Any:
    """mixed3: strided 3x3, strided double 3x3 and max pooling branches."""
    branch3x3 = _conv_bn(x, 384, (3, 3), strides=2, padding="valid")
    branch3x3dbl = _conv_chain(x, ((64, (1, 1)), (96, (3, 3))))
    branch3x3dbl = _conv_bn(branch3x3dbl, 96, (3, 3), strides=2, padding="valid")
    branch_pool = layers.MaxPooling2D(3, strides=2)(x)
    return layers.Concatenate(axis=3, name=name)([branch3x3, branch3x3dbl, branch_pool])


def _block_17(x: Any, filters: int, name: str) -> Any:
    """mixed4-7 (17x17): 1x1, factorised 7x7, double factorised 7x7 and pooled branches;
    ``filters`` is the width inside the 7x7 factorisations."""
    branch1x1 = _conv_bn(x, 192, (1, 1))
    branch7x7 = _conv_chain(x, ((filters, (1, 1)), (filters, (1, 7)), (192, (7, 1))))
    branch7x7dbl = _conv_chain(
        x,
        ((filters, (1, 1)), (filters, (7, 1)), (filters, (1, 7)), (filters, (7, 1)),
         (192, (1, 7))),
    )
    branch_pool = _avg_pool_branch(x, 192)
    return layers.Concatenate(axis=3, name=name)(
        [branch1x1, branch7x7, branch7x7dbl, branch_pool]
    )


def _reduction_b(x: Any, name: str) -> Any:
    """mixed8: strided 3x3, factorised 7x7 then strided 3x3, and max pooling branches."""
    branch3x3 = _conv_bn(x, 192, (1, 1))
    branch3x3 = _conv_bn(branch3x3, 320, (3, 3), strides=2, padding="valid")
    branch7x7x3 = _conv_chain(x, ((192, (1, 1)), (192, (1, 7)), (192, (7, 1))))
    branch7x7x3 = _conv_bn(branch7x7x3, 192, (3, 3), strides=2, padding="valid")
    branch_pool = layers.MaxPooling2D(3, strides=2)(x)
    return layers.Concatenate(axis=3, name=name)([branch3x3, branch7x7x3, branch_pool])


def _block_8(x: Any, index: int, name: str) -> Any:
    """mixed9-10 (8x8): 1x1, split 1x3 / 3x1, 3x3 then split, and pooled branches. The
    first split's concatenation is ``mixed9_<index>``; Keras leaves the second unnamed."""
    branch1x1 = _conv_bn(x, 320, (1, 1))
    branch3x3 = _conv_bn(x, 384, (1, 1))
    branch3x3 = layers.Concatenate(axis=3, name=f"mixed9_{index}")(
        [_conv_bn(branch3x3, 384, (1, 3)), _conv_bn(branch3x3, 384, (3, 1))]
    )
    branch3x3dbl = _conv_chain(x, ((448, (1, 1)), (384, (3, 3))))
    branch3x3dbl = layers.Concatenate(axis=3)(
        [_conv_bn(branch3x3dbl, 384, (1, 3)), _conv_bn(branch3x3dbl, 384, (3, 1))]
    )
    branch_pool = _avg_pool_branch(x, 192)
    return layers.Concatenate(axis=3, name=name)(
        [branch1x1, branch3x3, branch3x3dbl, branch_pool]
    )


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Prepare RGB images in ``[0, 255]`` for InceptionV3: scaled to ``[-1, 1]``
    (``imagenet_utils.preprocess_input`` with ``mode="tf"``); mirrors
    ``keras.applications.inception_v3.preprocess_input``.

    Args:
        x: A numpy array (floating point ones are changed in place) or a tensor.
        data_format: ``"channels_last"``, ``"channels_first"`` or ``None`` (the global
            setting). Defaults to ``None``.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, Any]]]:
    """ImageNet labels of a batch of scores; see ``imagenet_utils.decode_predictions``."""
    return imagenet_utils.decode_predictions(preds, top=top)
