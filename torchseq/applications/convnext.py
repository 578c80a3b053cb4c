"""ConvNeXt Tiny, Small, Base, Large and XLarge: ResNets modernised after vision
transformers; mirrors ``keras.applications.convnext``.

Reference: Liu et al., "A ConvNet for the 2020s" (https://arxiv.org/abs/2201.03545).

The models take raw pixels in ``[0, 255]``: normalisation with ImageNet's mean and
standard deviation is their first layer (``include_preprocessing=True``), so
:func:`preprocess_input` returns its input unchanged. As in Keras, the stem and the three
downsampling steps are nested ``Sequential`` models, and each block's residual sum is an
``ops.add`` node rather than a layer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from torchseq import initializers, layers
from torchseq.applications import imagenet_utils
from torchseq.layers.layer import Layer
from torchseq.models.model import Model
from torchseq.models.sequential import Sequential

__all__ = [
    "ConvNeXtBase",
    "ConvNeXtLarge",
    "ConvNeXtSmall",
    "ConvNeXtTiny",
    "ConvNeXtXLarge",
    "decode_predictions",
    "preprocess_input",
]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"

# sha256 of Keras's files: (with the classifier, without it).
WEIGHTS_HASHES = {
    "convnext_tiny": (
        "8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
        "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1",
    ),
    "convnext_small": (
        "ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
        "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab",
    ),
    "convnext_base": (
        "52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
        "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45",
    ),
    "convnext_large": (
        "070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
        "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd",
    ),
    "convnext_xlarge": (
        "c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05",
    ),
}

# variant: (blocks per stage, channels per stage); all default to 224x224 inputs.
MODEL_CONFIGS = {
    "tiny": ((3, 3, 9, 3), (96, 192, 384, 768)),
    "small": ((3, 3, 27, 3), (96, 192, 384, 768)),
    "base": ((3, 3, 27, 3), (128, 256, 512, 1024)),
    "large": ((3, 3, 27, 3), (192, 384, 768, 1536)),
    "xlarge": ((3, 3, 27, 3), (256, 512, 1024, 2048)),
}
_DEFAULT_SIZE = 224
_EPSILON = 1e-6
_IMAGENET_MEAN_RGB = (0.485, 0.456, 0.406)
_IMAGENET_STDDEV_RGB = (0.229, 0.224, 0.225)


class StochasticDepth(Layer):
    """Drop a whole residual branch per batch in training; mirrors Keras's
    ``convnext.StochasticDepth``.

    In training mode the input is kept (and scaled by ``1 / (1 - drop_path_rate)``) or
    zeroed for each sample; in inference mode it is returned as is.

    Args:
        drop_path_rate: Probability of dropping the branch, in ``[0, 1)``.

    Input shape: any, batch first. Output shape: the input's shape.
    """

    def __init__(self, drop_path_rate: float, **kwargs: Any) -> None:
        if not 0 <= drop_path_rate < 1:
            raise ValueError(
                "StochasticDepth: drop_path_rate must be in [0, 1), received: "
                f"drop_path_rate={drop_path_rate!r}"
            )
        super().__init__(**kwargs)
        self.drop_path_rate = drop_path_rate

    def call(self, inputs: torch.Tensor, training: bool | None = None) -> torch.Tensor:
        if training is None:
            training = self.training
        if not training or self.drop_path_rate == 0:
            return inputs
        keep = 1.0 - self.drop_path_rate
        shape = (inputs.shape[0],) + (1,) * (inputs.ndim - 1)
        mask = torch.empty(shape, dtype=inputs.dtype, device=inputs.device).bernoulli_(keep)
        return inputs / keep * mask

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "drop_path_rate": self.drop_path_rate}


class LayerScale(Layer):
    """Multiply the last axis by a learned per-channel scale; mirrors Keras's
    ``convnext.LayerScale`` (Touvron et al., https://arxiv.org/abs/2103.17239).

    Args:
        init_values: Initial value of every scale (small, e.g. ``1e-6``).
        projection_dim: Size of the input's last axis.

    Input shape: ``(..., projection_dim)``. Output shape: the input's shape.
    """

    def __init__(self, init_values: float, projection_dim: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim
        self._lazy_weight("gamma")

    def build(self, input_shape: Any) -> None:
        self.add_weight(
            shape=(self.projection_dim,),
            initializer=initializers.Constant(self.init_values),
            name="gamma",
        )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs * self.gamma

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "init_values": self.init_values,
            "projection_dim": self.projection_dim,
        }


def ConvNeXt(
    depths: Sequence[int],
    projection_dims: Sequence[int],
    drop_path_rate: float = 0.0,
    layer_scale_init_value: float | None = 1e-6,
    default_size: int = _DEFAULT_SIZE,
    name: str = "convnext",
    include_preprocessing: bool = True,
    include_top: bool = True,
    weights: str | None = None,
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    weights_name: str | None = None,
) -> Model:
    """Build a ConvNeXt of any depth and width; the Tiny … XLarge builders call this.

    Args:
        depths: Blocks in each of the four stages.
        projection_dims: Channels of each of the four stages.
        drop_path_rate: Largest stochastic-depth rate, reached by the last block (it grows
            linearly from 0); ``0`` adds none. Defaults to ``0.0``.
        layer_scale_init_value: Initial LayerScale value; ``None`` adds no LayerScale.
            Defaults to ``1e-6``.
        default_size: Default height and width of the input. Defaults to ``224``.
        name: Model name, also the prefix of the layer names. Defaults to ``"convnext"``.
        include_preprocessing: Whether to normalise 3-channel inputs with ImageNet's
            statistics first. Defaults to ``True``.
        include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation: As in :func:`ConvNeXtTiny` (``weights`` defaults to
            ``None`` here).
        weights_name: Which published file ``weights="imagenet"`` loads
            (``"convnext_tiny"`` …).

    Returns:
        A Functional ``Model``.

    Raises:
        ValueError: For invalid arguments; with ``weights="imagenet"``, when the
            architecture or the name does not match ``weights_name``'s variant.
    """
    imagenet_utils.check_weights_argument(weights, include_top=include_top, classes=classes)
    imagenet_utils.check_pooling(pooling)
    if weights == "imagenet":
        _check_imagenet_variant(depths, projection_dims, name, weights_name)
    input_shape = imagenet_utils.resolve_input_shape(
        input_shape, default_size=default_size, min_size=32,
        require_flatten=include_top, weights=weights,
    )
    x, inputs = imagenet_utils.make_inputs(input_tensor, input_shape)

    if include_preprocessing and input_shape[-1] == 3:
        x = layers.Normalization(
            mean=[mean * 255 for mean in _IMAGENET_MEAN_RGB],
            variance=[(stddev * 255) ** 2 for stddev in _IMAGENET_STDDEV_RGB],
            name=f"{name}_prestem_normalization",
        )(x)

    drop_rates = np.linspace(0.0, drop_path_rate, sum(depths)).tolist()
    block_index = 0
    for stage, (depth, filters) in enumerate(zip(depths, projection_dims)):
        x = _downsampling(stage, filters, name)(x)
        for block in range(depth):
            x = _convnext_block(
                x, filters, drop_rates[block_index], layer_scale_init_value,
                name=f"{name}_stage_{stage}_block_{block}",
            )
            block_index += 1

    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=_EPSILON, name=f"{name}_head_layernorm")(x)
        x = layers.Dense(
            classes, activation=classifier_activation, name=f"{name}_head_dense"
        )(x)
    else:
        # Keras normalises the features (pooled or not) with an automatically named layer.
        x = imagenet_utils.apply_pooling(x, pooling)
        x = layers.LayerNormalization(epsilon=_EPSILON)(x)

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


def _check_imagenet_variant(
    depths: Sequence[int], projection_dims: Sequence[int], name: str, weights_name: str | None
) -> None:
    """ImageNet weights fit only their own variant's architecture, and the file's name is
    derived from the model's name."""
    if weights_name not in WEIGHTS_HASHES:
        raise ValueError(
            f"No ImageNet weights are published for weights_name={weights_name!r}; expected "
            f"one of {', '.join(map(repr, WEIGHTS_HASHES))}"
        )
    expected_depths, expected_dims = MODEL_CONFIGS[weights_name.removeprefix("convnext_")]
    if tuple(depths) != expected_depths or tuple(projection_dims) != expected_dims:
        raise ValueError(
            f"Architecture configuration does not match the {weights_name} variant: with "
            "pretrained weights it must match exactly. Expected depths: "
            f"{list(expected_depths)}, received: {list(depths)}. Expected projection_dims: "
            f"{list(expected_dims)}, received: {list(projection_dims)}."
        )
    if weights_name not in name:
        raise ValueError(
            f"With imagenet weights the model name must contain the weights variant "
            f"{weights_name!r}. Received: name={name!r}"
        )


def _downsampling(stage: int, filters: int, name: str) -> Sequential:
    """The stem (stage 0: 4x4 patches) or a downsampling step (2x2, stride 2), as Keras
    builds them: a small nested ``Sequential``."""
    if stage == 0:
        return Sequential(
            [
                layers.Conv2D(filters, kernel_size=4, strides=4, name=f"{name}_stem_conv"),
                layers.LayerNormalization(epsilon=_EPSILON, name=f"{name}_stem_layernorm"),
            ],
            name=f"{name}_stem",
        )
    index = stage - 1
    return Sequential(
        [
            layers.LayerNormalization(
                epsilon=_EPSILON, name=f"{name}_downsampling_layernorm_{index}"
            ),
            layers.Conv2D(
                filters, kernel_size=2, strides=2, name=f"{name}_downsampling_conv_{index}"
            ),
        ],
        name=f"{name}_downsampling_block_{index}",
    )


def _convnext_block(
    inputs: Any,
    projection_dim: int,
    drop_path_rate: float,
    layer_scale_init_value: float | None,
    name: str,
) -> Any:
    """A ConvNeXt block: 7x7 depthwise convolution, LayerNormalization, an inverted MLP
    (pointwise convolutions as ``Dense`` layers), LayerScale, then the residual sum."""
    x = layers.Conv2D(
        projection_dim, kernel_size=7, padding="same", groups=projection_dim,
        name=f"{name}_depthwise_conv",
    )(inputs)
    x = layers.LayerNormalization(epsilon=_EPSILON, name=f"{name}_layernorm")(x)
    x = layers.Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)
    x = layers.Activation("gelu", name=f"{name}_gelu")(x)
    x = layers.Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
    if layer_scale_init_value is not None:
        x = LayerScale(layer_scale_init_value, projection_dim, name=f"{name}_layer_scale")(x)
    if drop_path_rate:
        x = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")(x)
    else:
        x = layers.Activation("linear", name=f"{name}_identity")(x)
    return inputs + x


_BUILDER_DOC = """Build {title} as a Functional model; mirrors ``keras.applications.{title}``.

    The ``base``, ``large`` and ``xlarge`` ImageNet weights were pre-trained on
    ImageNet-21k, then fine-tuned on ImageNet-1k. The model takes channels-last RGB images
    with pixels in ``[0, 255]`` and normalises them itself (:func:`preprocess_input` is
    the identity).

    Args:
        include_top: Whether to end with the classifier (``{default_name}_head_*``).
            Defaults to ``True``.
        include_preprocessing: Whether the first layer normalises 3-channel inputs with
            ImageNet's mean and standard deviation. Defaults to ``True``.
        weights: ``None`` (random initialisation), ``"imagenet"`` (Keras's published
            weights, fetched into the Keras cache) or the path of a weights file.
            Defaults to ``"imagenet"``.
        input_tensor: Optional symbolic tensor (from ``Input``) to use as the image input.
        input_shape: ``(rows, cols, channels)``, at least 32x32; only free when
            ``include_top=False`` (otherwise ``(224, 224, 3)``). Defaults to ``None``.
        pooling: With ``include_top=False``: ``None`` (the 4-D feature map), ``"avg"`` or
            ``"max"`` (global pooling to a 2-D tensor); a LayerNormalization follows in
            every case. Defaults to ``None``.
        classes: Number of classes, with ``include_top=True``. Defaults to ``1000``.
        classifier_activation: Activation of the classifier; only ``None`` or
            ``"softmax"`` with pretrained weights. Defaults to ``"softmax"``.
        name: Model name and layer-name prefix; with ImageNet weights it must contain
            ``"{default_name}"``. Defaults to ``"{default_name}"``.

    Returns:
        A Functional ``Model``.

    Example:
        >>> model = {title}(weights=None, include_top=False, input_shape=(32, 32, 3))
        >>> model.output.shape[-1]
        {features}
    """


def _build_variant(variant: str, name: str, **kwargs: Any) -> Model:
    depths, projection_dims = MODEL_CONFIGS[variant]
    return ConvNeXt(
        depths, projection_dims, drop_path_rate=0.0, layer_scale_init_value=1e-6,
        default_size=_DEFAULT_SIZE, name=name, weights_name=f"convnext_{variant}", **kwargs,
    )


def ConvNeXtTiny(
    include_top: bool = True,
    include_preprocessing: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "convnext_tiny",
) -> Model:
    return _build_variant(
        "tiny", name, include_top=include_top, include_preprocessing=include_preprocessing,
        weights=weights, input_tensor=input_tensor, input_shape=input_shape,
        pooling=pooling, classes=classes, classifier_activation=classifier_activation,
    )


def ConvNeXtSmall(
    include_top: bool = True,
    include_preprocessing: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "convnext_small",
) -> Model:
    return _build_variant(
        "small", name, include_top=include_top, include_preprocessing=include_preprocessing,
        weights=weights, input_tensor=input_tensor, input_shape=input_shape,
        pooling=pooling, classes=classes, classifier_activation=classifier_activation,
    )


def ConvNeXtBase(
    include_top: bool = True,
    include_preprocessing: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "convnext_base",
) -> Model:
    return _build_variant(
        "base", name, include_top=include_top, include_preprocessing=include_preprocessing,
        weights=weights, input_tensor=input_tensor, input_shape=input_shape,
        pooling=pooling, classes=classes, classifier_activation=classifier_activation,
    )


def ConvNeXtLarge(
    include_top: bool = True,
    include_preprocessing: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "convnext_large",
) -> Model:
    return _build_variant(
        "large", name, include_top=include_top, include_preprocessing=include_preprocessing,
        weights=weights, input_tensor=input_tensor, input_shape=input_shape,
        pooling=pooling, classes=classes, classifier_activation=classifier_activation,
    )


def ConvNeXtXLarge(
    include_top: bool = True,
    include_preprocessing: bool = True,
    weights: str | None = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: str | Callable[..., Any] | None = "softmax",
    name: str = "convnext_xlarge",
) -> Model:
    return _build_variant(
        "xlarge", name, include_top=include_top, include_preprocessing=include_preprocessing,
        weights=weights, input_tensor=input_tensor, input_shape=input_shape,
        pooling=pooling, classes=classes, classifier_activation=classifier_activation,
    )


for _variant, _builder in zip(
    MODEL_CONFIGS,
    (ConvNeXtTiny, ConvNeXtSmall, ConvNeXtBase, ConvNeXtLarge, ConvNeXtXLarge),
):
    _builder.__doc__ = _BUILDER_DOC.format(
        title=_builder.__name__, default_name=f"convnext_{_variant}",
        features=MODEL_CONFIGS[_variant][1][-1],
    )
del _variant, _builder


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Return ``x`` unchanged: ConvNeXt models normalise their inputs themselves. Kept
    for API compatibility with ``keras.applications.convnext.preprocess_input``.

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
