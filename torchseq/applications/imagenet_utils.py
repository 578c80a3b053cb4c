"""What every ImageNet model builder shares (``keras.applications.imagenet_utils``).

The public pair is ``preprocess_input`` (Keras's three pixel conventions: ``"caffe"``,
``"tf"``, ``"torch"``) and ``decode_predictions`` (class ids to ImageNet labels). The rest
is the builders' common ground, so that VGG, ResNet, MobileNet, EfficientNet … check their
arguments with the same words: :func:`check_weights_argument`, :func:`check_pooling`,
:func:`validate_activation`, :func:`resolve_input_shape`, :func:`make_inputs`,
:func:`correct_pad` and :func:`load_weights_into`.

torchseq builds these models channels-last only; :func:`resolve_input_shape` says so when
``keras.config.image_data_format()`` is ``"channels_first"``.
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any

import numpy as np

from torchseq import activations, config, ops
from torchseq.utils import file_utils
from torchseq.utils.keras_tensors import get_source_inputs, is_keras_tensor

__all__ = [
    "apply_pooling",
    "builder_inputs",
    "check_pooling",
    "check_weights_argument",
    "correct_pad",
    "decode_predictions",
    "load_weights_into",
    "make_inputs",
    "preprocess_input",
    "resolve_input_shape",
    "square_size_in",
    "validate_activation",
]

CLASS_INDEX_PATH = (
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
)
_CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"
_CLASS_INDEX: dict[str, list[str]] | None = None

_MODES = ("caffe", "tf", "torch")
_DATA_FORMATS = ("channels_first", "channels_last")
_CAFFE_MEAN = (103.939, 116.779, 123.68)  # BGR order: applied after the channel flip
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)


# ---------------------------------------------------------------- preprocessing


def preprocess_input(x: Any, data_format: str | None = None, mode: str = "caffe") -> Any:
    """Scale a batch of RGB images (values in ``[0, 255]``) the way an ImageNet model expects.

    Args:
        x: A numpy array or a tensor (torch or symbolic), 3D (one image) or 4D (a batch),
            with 3 colour channels. A floating-point numpy array is changed in place, as
            in Keras (pass ``np.copy(x)`` to keep it); tensors are never changed in place.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` (the default)
            means ``keras.config.image_data_format()``.
        mode: ``"caffe"`` (the default): RGB to BGR, then each channel minus the ImageNet
            mean, unscaled. ``"tf"``: scaled to ``[-1, 1]``. ``"torch"``: scaled to
            ``[0, 1]``, then each channel normalised with the ImageNet mean and std.

    Returns:
        The preprocessed array or tensor, floating point (integer input becomes
        ``keras.config.floatx()``).

    Raises:
        ValueError: For an unknown ``mode`` or ``data_format``.

    Example:
        >>> import numpy as np
        >>> x = np.full((1, 2, 2, 3), 255.0)
        >>> preprocess_input(x, mode="tf")[0, 0, 0].tolist()
        [1.0, 1.0, 1.0]
    """
    if mode not in _MODES:
        raise ValueError(
            f"Expected mode to be one of {', '.join(map(repr, _MODES))}. Received: mode={mode!r}"
        )
    if data_format is None:
        data_format = config.image_data_format()
    elif data_format not in _DATA_FORMATS:
        raise ValueError(
            "Expected data_format to be one of 'channels_first' or 'channels_last'. "
            f"Received: data_format={data_format!r}"
        )
    if isinstance(x, np.ndarray):
        return _preprocess_array(x, data_format, mode)
    return _preprocess_tensor(x, data_format, mode)


def _preprocess_array(x: np.ndarray, data_format: str, mode: str) -> np.ndarray:
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(config.floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    channel_axis = _channel_axis(x.ndim, data_format)
    mean, std = _mean_and_std(mode)
    if mode == "torch":
        x /= 255.0
    else:
        x = np.flip(x, axis=channel_axis)
    shape = [1] * x.ndim
    shape[channel_axis] = 3
    x -= np.reshape(np.asarray(mean, dtype=x.dtype), shape)
    if std is not None:
        x /= np.reshape(np.asarray(std, dtype=x.dtype), shape)
    return x


def _preprocess_tensor(x: Any, data_format: str, mode: str) -> Any:
    x = ops.convert_to_tensor(x) if not is_keras_tensor(x) and not hasattr(x, "shape") else x
    if not _is_floating(x):
        x = ops.cast(x, config.floatx())
    if mode == "tf":
        return x / 127.5 - 1.0
    ndim = len(x.shape)
    channel_axis = _channel_axis(ndim, data_format)
    mean, std = _mean_and_std(mode)
    if mode == "torch":
        x = x / 255.0
    else:
        x = ops.flip(x, axis=channel_axis)
    shape = [1] * ndim
    shape[channel_axis] = 3
    x = x - ops.reshape(ops.convert_to_tensor(np.asarray(mean), dtype=x.dtype), shape)
    if std is not None:
        x = x / ops.reshape(ops.convert_to_tensor(np.asarray(std), dtype=x.dtype), shape)
    return x


def _is_floating(x: Any) -> bool:
    dtype = getattr(x, "dtype", None)
    is_floating_point = getattr(dtype, "is_floating_point", None)
    if is_floating_point is not None:  # a torch.dtype
        return bool(is_floating_point)
    return "float" in str(dtype)


def _channel_axis(ndim: int, data_format: str) -> int:
    if data_format == "channels_last":
        return ndim - 1
    return 0 if ndim == 3 else 1


def _mean_and_std(mode: str) -> tuple[tuple[float, ...], tuple[float, ...] | None]:
    if mode == "torch":
        return _TORCH_MEAN, _TORCH_STD
    return _CAFFE_MEAN, None


# ---------------------------------------------------------------- labels


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, Any]]]:
    """Turn a batch of ImageNet class scores into the best ``top`` labels of each sample.

    The class index (``imagenet_class_index.json``) is fetched once with
    ``keras.utils.get_file`` into the Keras cache (``~/.keras/models``); offline, put the
    file there first, or this raises ``get_file``'s error, which says where.

    Args:
        preds: Scores of shape ``(samples, 1000)``, a numpy array or a tensor.
        top: How many labels to return per sample. Defaults to ``5``.

    Returns:
        One list per sample of ``(class_name, class_description, score)`` tuples, best
        first.

    Raises:
        ValueError: When ``preds`` is not of shape ``(samples, 1000)``.
    """
    shape = tuple(preds.shape)
    if len(shape) != 2 or shape[1] != 1000:
        raise ValueError(
            "decode_predictions expects a batch of predictions, a 2D array of shape "
            f"(samples, 1000). Received an array of shape: {shape}"
        )
    class_index = _class_index()
    results = []
    for scores in ops.convert_to_numpy(preds):
        best = np.argsort(scores)[-top:][::-1]
        labels = [(*class_index[str(i)], scores[i]) for i in best]
        labels.sort(key=lambda label: label[2], reverse=True)
        results.append(labels)
    return results


def _class_index() -> dict[str, list[str]]:
    global _CLASS_INDEX
    if _CLASS_INDEX is None:
        path = file_utils.get_file(
            "imagenet_class_index.json",
            CLASS_INDEX_PATH,
            cache_subdir="models",
            file_hash=_CLASS_INDEX_HASH,
        )
        with open(path, encoding="utf-8") as file:
            _CLASS_INDEX = json.load(file)
    return _CLASS_INDEX


# ---------------------------------------------------------------- builders' arguments


def builder_inputs(
    *,
    weights: Any,
    include_top: bool,
    classes: int,
    pooling: str | None,
    classifier_activation: Any,
    input_tensor: Any,
    input_shape: Any,
    default_size: int,
    min_size: int,
) -> tuple[Any, Any]:
    """Check a builder's arguments, then make its inputs: ``(image_tensor, model_inputs)``.

    The checks of :func:`check_weights_argument`, :func:`check_pooling`,
    :func:`validate_activation` (with the top) and :func:`resolve_input_shape`, all before
    the first layer is made; then :func:`make_inputs`.
    """
    check_weights_argument(weights, include_top=include_top, classes=classes)
    check_pooling(pooling)
    if include_top:
        validate_activation(classifier_activation, weights)
    input_shape = resolve_input_shape(
        input_shape, default_size=default_size, min_size=min_size,
        require_flatten=include_top, weights=weights,
    )
    return make_inputs(input_tensor, input_shape)


def check_weights_argument(weights: Any, *, include_top: bool, classes: int) -> None:
    """Check a builder's ``weights``, and ``classes`` against ImageNet's classifier.

    Raises:
        ValueError: When ``weights`` is not ``None``, ``"imagenet"`` or the path of an
            existing file; or when ``weights="imagenet"`` and ``include_top=True`` come
            with ``classes`` other than 1000.
    """
    is_path = isinstance(weights, (str, os.PathLike)) and os.path.exists(weights)
    if not (weights is None or weights == "imagenet" or is_path):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            "'imagenet' (pre-training on ImageNet), or the path to an existing weights "
            f"file. Received: weights={weights!r}"
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(
            "If using `weights='imagenet'` with `include_top=True`, `classes` should be "
            f"1000. Received: classes={classes!r}"
        )


def validate_activation(classifier_activation: Any, weights: Any) -> None:
    """With pretrained weights, the classifier's activation must be softmax or none.

    Raises:
        ValueError: When ``weights`` is not ``None`` and the activation is neither
            ``None``/``"linear"`` nor ``"softmax"``.
    """
    if weights is None:
        return
    activation = activations.get(classifier_activation)
    if activation not in (activations.get("softmax"), activations.get(None)):
        raise ValueError(
            "Only `None` and `softmax` activations are allowed for the "
            "`classifier_activation` argument when using pretrained weights, with "
            f"`include_top=True`. Received: classifier_activation={classifier_activation!r}"
        )


def resolve_input_shape(
    input_shape: Any,
    *,
    default_size: int,
    min_size: int,
    require_flatten: bool,
    weights: Any = None,
) -> tuple[int | None, int | None, int]:
    """The ``(height, width, channels)`` of a builder's ``Input``, checked as Keras does.

    ``None`` gives the default size when the classifier needs a fixed size
    (``require_flatten``, i.e. ``include_top=True``), else ``(None, None, 3)``.

    Args:
        input_shape: The user's shape, or ``None``.
        default_size: The model's usual height and width (e.g. 224).
        min_size: The smallest height and width the model accepts (e.g. 32).
        require_flatten: Whether the model ends in a classifier that needs a static
            shape (``include_top``).
        weights: The builder's ``weights``: ImageNet weights need 3 channels, and the
            default size with a classifier. Defaults to ``None``.

    Raises:
        ValueError: For a channels-first global image layout; a shape that is not 3
            integers; other than 3 channels with ImageNet weights; a size below
            ``min_size``; a size other than the default with ImageNet weights and a
            classifier; unknown sizes with a classifier.
        TypeError: When ``input_shape`` is not a sequence.
    """
    if config.image_data_format() != "channels_last":
        raise ValueError(
            "torchseq.applications builds channels-last models only; "
            "keras.config.image_data_format() is 'channels_first'. Call "
            "keras.config.set_image_data_format('channels_last') first."
        )
    if input_shape is not None:
        input_shape = _as_shape(input_shape)
    channels = 3
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[-1]
        if channels not in (1, 3):
            warnings.warn(
                "This model usually expects 1 or 3 input channels. However, it was passed "
                f"an input_shape with {channels} input channels.",
                stacklevel=3,
            )
    default_shape = (default_size, default_size, channels)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and input_shape != default_shape:
            raise ValueError(
                "When setting `include_top=True` and loading `imagenet` weights, "
                f"`input_shape` should be {default_shape}. Received: input_shape={input_shape}"
            )
        return default_shape
    if input_shape:
        _check_given_shape(input_shape, min_size=min_size, weights=weights)
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(
            "If `include_top` is True, you should specify a static `input_shape`. "
            f"Received: input_shape={input_shape}"
        )
    return input_shape


def _as_shape(input_shape: Any) -> tuple:
    try:
        return tuple(input_shape)
    except TypeError as error:
        raise TypeError(
            "`input_shape` must be a tuple of three integers (height, width, channels). "
            f"Received: input_shape={input_shape!r}"
        ) from error


def _check_given_shape(input_shape: tuple, *, min_size: int, weights: Any) -> None:
    if len(input_shape) != 3:
        raise ValueError(
            "`input_shape` must be a tuple of three integers (height, width, channels). "
            f"Received: input_shape={input_shape}"
        )
    if input_shape[-1] != 3 and weights == "imagenet":
        raise ValueError(
            f"The input must have 3 channels; Received: input_shape={input_shape}"
        )
    if any(size is not None and size < min_size for size in input_shape[:2]):
        raise ValueError(
            f"Input size must be at least {min_size}x{min_size}; "
            f"Received: input_shape={input_shape}"
        )


def make_inputs(input_tensor: Any, input_shape: Any) -> tuple[Any, Any]:
    """The builder's image tensor and the model's inputs.

    Without ``input_tensor`` both are a new ``Input(shape=input_shape)``. With a symbolic
    ``input_tensor`` the graph starts from it, and the model's inputs are the ``Input``
    tensors it was computed from (so layers before it stay part of the model).

    Returns:
        ``(image_tensor, model_inputs)``.

    Raises:
        ValueError: When ``input_tensor`` is not a symbolic tensor.
    """
    from torchseq.layers.input_layer import Input

    if input_tensor is None:
        image = Input(shape=input_shape)
        return image, image
    if not is_keras_tensor(input_tensor):
        raise ValueError(
            "`input_tensor` must be a symbolic tensor (the output of `keras.Input()` or of "
            f"a layer called on one). Received: input_tensor of type {type(input_tensor)}"
        )
    return input_tensor, get_source_inputs(input_tensor)


def check_pooling(pooling: str | None) -> None:
    """Check a builder's ``pooling``: ``None``, ``"avg"`` or ``"max"``.

    Raises:
        ValueError: For any other value (Keras ignores it silently).
    """
    if pooling not in (None, "avg", "max"):
        raise ValueError(
            "The `pooling` argument should be one of None, 'avg' or 'max'. "
            f"Received: pooling={pooling!r}"
        )


def apply_pooling(
    x: Any, pooling: str | None, *, avg_name: str | None = None, max_name: str | None = None
) -> Any:
    """End a headless model: ``None`` keeps the 4D features, ``"avg"`` / ``"max"`` add a
    ``GlobalAveragePooling2D`` / ``GlobalMaxPooling2D`` (named ``avg_name`` / ``max_name``,
    automatically when ``None``).

    Raises:
        ValueError: For any other ``pooling`` (Keras ignores it silently).
    """
    from torchseq import layers

    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    check_pooling(pooling)
    return x


def square_size_in(input_shape: Any, sizes: tuple[int, ...]) -> int | None:
    """The side of a square ``input_shape`` when it is one of ``sizes`` (the sizes a family
    publishes weights for), else ``None``."""
    if input_shape is None or len(input_shape) < 2:
        return None
    rows, cols = input_shape[0], input_shape[1]
    return rows if rows == cols and rows in sizes else None


def correct_pad(inputs: Any, kernel_size: int | tuple[int, int]) -> tuple:
    """The ``ZeroPadding2D`` padding that makes a strided ``"valid"`` convolution line up
    as TensorFlow's ``"same"`` one does (the extra row and column after, not before).

    Args:
        inputs: A channels-last symbolic tensor.
        kernel_size: An integer or a pair of integers.

    Returns:
        ``((top, bottom), (left, right))``.
    """
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    height, width = inputs.shape[1:3]
    adjust = (1, 1) if height is None else (1 - height % 2, 1 - width % 2)
    correct = (kernel_size[0] // 2, kernel_size[1] // 2)
    return (correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1])


def load_weights_into(
    model: Any,
    weights: Any,
    *,
    file_name: str | None = None,
    origin: str | None = None,
    file_hash: str | None = None,
) -> None:
    """Load a builder's ``weights`` into ``model``.

    ``"imagenet"`` fetches Keras's published file with ``keras.utils.get_file`` into the
    Keras cache (``~/.keras/models/<file_name>``) unless it is there already, then loads
    it; offline, put the file there first, or this raises ``get_file``'s error, which says
    where. A path is loaded with ``model.load_weights``; ``None`` keeps the fresh
    initialisation.

    Args:
        model: The built model.
        weights: ``None``, ``"imagenet"`` or a path.
        file_name: The cached file's name (``"imagenet"`` only).
        origin: Its URL (``"imagenet"`` only).
        file_hash: Its md5 or sha256 hash, checked when given (``"imagenet"`` only).
    """
    if weights is None:
        return
    if weights == "imagenet":
        if file_name is None or origin is None:
            raise ValueError(f"No ImageNet weights are published for the model {model.name!r}")
        weights = file_utils.get_file(
            file_name, origin, cache_subdir="models", file_hash=file_hash
        )
    model.load_weights(weights)
