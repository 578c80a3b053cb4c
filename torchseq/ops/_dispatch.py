"""``keras.ops`` on symbolic tensors: a call given a ``KerasTensor`` adds a graph node.

``torchseq.ops`` wraps each public op once, at import. On real tensors the wrapper only
looks at its arguments' types and calls the op. Given a symbolic tensor (directly, or in a
list or tuple argument such as ``concatenate``'s) it hands the call to the handler that
:mod:`torchseq.layers.operation` registers, which records the call as a node of the
Functional graph. The ops package itself never imports the layers.

An :class:`OpSpec` says how a call splits the way Keras's operation classes split it: the
tensor arguments are the node's inputs, the other arguments its config.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["OpSpec", "register_symbolic_handler", "symbolic_aware"]

# Where Keras defines each op's class (its configs name the module); the rest are numpy ops,
# or nn ops for those defined in torchseq.ops._nn.
_KERAS_MODULES = {
    "cast": "core",
    "rearrange": "einops",
    "convert_to_tensor": "core",
    "stop_gradient": "core",
    "unstack": "core",
    "saturate_cast": "core",
    "scatter": "core",
    "scatter_update": "core",
    "slice": "core",
    "slice_update": "core",
    "rsqrt": "math",
    "logsumexp": "math",
    "top_k": "math",
    "in_top_k": "math",
    "cdist": "math",
    "erf": "math",
    "erfc": "math",
    "erfinv": "math",
    "extract_sequences": "math",
    "fft": "math",
    "fft2": "math",
    "ifft2": "math",
    "irfft": "math",
    "istft": "math",
    "logdet": "math",
    "rfft": "math",
    "segment_max": "math",
    "segment_min": "math",
    "segment_prod": "math",
    "segment_sum": "math",
    "stft": "math",
    "view_as_complex": "math",
    "view_as_real": "math",
    "normalize": "nn",
    "moments": "nn",
    "norm": "linalg",
    "cholesky": "linalg",
    "cholesky_inverse": "linalg",
    "det": "linalg",
    "eig": "linalg",
    "eigh": "linalg",
    "inv": "linalg",
    "lstsq": "linalg",
    "lu_factor": "linalg",
    "matrix_rank": "linalg",
    "pinv": "linalg",
    "qr": "linalg",
    "solve": "linalg",
    "solve_triangular": "linalg",
    "svd": "linalg",
}
# Keras's class names that are not the op's name in CamelCase.
_CLASS_NAMES = {
    "swish": "Silu",
    "abs": "Absolute",
    "allclose": "AllClose",
    "cdist": "CDist",
    "fft": "FFT",
    "fft2": "FFT2",
    "ifft2": "IFFT2",
    "irfft": "IRFFT",
    "isin": "IsIn",
    "istft": "ISTFT",
    "rfft": "RFFT",
    "searchsorted": "SearchSorted",
    "stft": "STFT",
    "svd": "SVD",
    "hard_swish": "HardSilu",
    "batch_normalization": "BatchNorm",
    "ctc_loss": "CTCLoss",
    "ctc_decode": "CTCDecode",
    "layer_normalization": "LayerNorm",
    "rms_normalization": "RMSNorm",
    "psnr": "PSNR",
    "rgb_to_grayscale": "RGBToGrayscale",
    "rgb_to_hsv": "RGBToHSV",
    "hsv_to_rgb": "HSVToRGB",
    "ssim": "SSIM",
}
# Tensor arguments that Keras keeps in the op's config (or the reverse) where the type
# hints alone would say otherwise.
_INPUT_PARAMETERS = {
    "clip": ("x",),
    "full_like": ("x", "fill_value"),
    "get_item": ("x", "key"),
    "bincount": ("x",),  # Keras keeps the weights in the op's config
    "trapezoid": ("y",),  # and the sample points
    "scale_and_translate": ("images", "output_shape", "scale", "translation"),
}

_symbolic_type: type | None = None
_symbolic_handler: Callable[[OpSpec, tuple, dict], Any] | None = None


def register_symbolic_handler(
    symbolic_type: type, handler: Callable[[OpSpec, tuple, dict], Any]
) -> None:
    """Route op calls holding a ``symbolic_type`` instance to ``handler(spec, args, kwargs)``."""
    global _symbolic_type, _symbolic_handler
    _symbolic_type, _symbolic_handler = symbolic_type, handler


class OpSpec:
    """One op as a graph node sees it: its function, Keras class and argument split.

    Args:
        fn: The op (a function of ``torchseq.ops``).
        name: Its public name (an alias such as ``true_divide`` has its own Keras class).
    """

    def __init__(self, fn: Callable[..., Any], name: str) -> None:
        self.fn = fn
        self.name = name
        self.class_name = _CLASS_NAMES.get(self.name) or "".join(
            part[:1].upper() + part[1:] for part in self.name.split("_")
        )
        module = fn.__module__.rsplit(".", 1)[-1]
        default_module = (
            "nn" if module.startswith("_nn") else "image" if module.startswith("_image") else "numpy"
        )
        self.keras_module = f"keras.src.ops.{_KERAS_MODULES.get(self.name, default_module)}"

    @functools.cached_property
    def signature(self) -> inspect.Signature:
        return inspect.signature(self.fn)

    @functools.cached_property
    def parameters(self) -> dict[str, inspect.Parameter]:
        """The signature's parameters as a plain dict: torch.compile breaks its graph on
        reading a signature's ``mappingproxy`` once the traced code has changed any dict."""
        return dict(self.signature.parameters)

    @functools.cached_property
    def input_parameters(self) -> tuple[str, ...]:
        """The parameters whose values are the node's inputs (tensors, by their type hint)."""
        if self.name in _INPUT_PARAMETERS:
            return _INPUT_PARAMETERS[self.name]
        return tuple(
            name
            for name, parameter in self.parameters.items()
            if "TensorLike" in str(parameter.annotation)
        )

    def split(self, args: tuple, kwargs: dict) -> tuple[list[Any], dict[str, Any]]:
        """A call's arguments as ``(node inputs, config)``; the config holds every other
        parameter, defaults included, as Keras's configs do."""
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as error:
            raise TypeError(f"ops.{self.name}{self.signature}: {error}") from None
        bound.apply_defaults()
        inputs: list[Any] = []
        config: dict[str, Any] = {}
        for name, value in bound.arguments.items():
            kind = self.signature.parameters[name].kind
            if name in self.input_parameters:
                inputs.extend(value) if kind is inspect.Parameter.VAR_POSITIONAL else inputs.append(value)
            elif kind is inspect.Parameter.VAR_KEYWORD:
                config.update(value)
            else:
                config[name] = value
        return inputs, config

    def __call__(self, inputs: Iterable[Any], config: dict[str, Any]) -> Any:
        """Run the op on real tensors: the node's inputs, then its config."""
        inputs = iter(inputs)
        unknown = {k: v for k, v in config.items() if k not in self.parameters}
        positional: list[Any] = []
        keywords: dict[str, Any] = {}
        for name, parameter in self.parameters.items():
            if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
                positional.extend(inputs if name in self.input_parameters else config.get(name, ()))
            elif parameter.kind is inspect.Parameter.VAR_KEYWORD:
                keywords.update(unknown)
                unknown = {}
            else:
                value = next(inputs) if name in self.input_parameters else config.get(name, parameter.default)
                if value is inspect.Parameter.empty:
                    raise ValueError(f"ops.{self.name}: its config lacks the argument {name!r}")
                if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
                    keywords[name] = value
                else:
                    positional.append(value)
        # Options Keras has and torchseq lacks may stay at their "off" values (sparse=False).
        unsupported = {k: v for k, v in unknown.items() if v not in (None, False)}
        if unsupported:
            raise ValueError(
                f"ops.{self.name} does not support the options {unsupported} "
                f"(its arguments: {list(self.parameters)})"
            )
        return self.fn(*positional, **keywords)


def symbolic_aware(spec: OpSpec) -> Callable[..., Any]:
    """The op of ``spec``, adding a graph node instead of computing when given a symbolic
    tensor."""
    fn = spec.fn

    @functools.wraps(fn)
    def op(*args: Any, **kwargs: Any) -> Any:
        if _symbolic_type is not None and (
            _holds_symbolic(args) or kwargs and _holds_symbolic(kwargs.values())
        ):
            return _symbolic_handler(spec, args, kwargs)  # type: ignore[misc]
        return fn(*args, **kwargs)

    op.spec = spec  # type: ignore[attr-defined]
    return op


def _holds_symbolic(values: Iterable[Any]) -> bool:
    for value in values:
        if isinstance(value, _symbolic_type):  # type: ignore[arg-type]
            return True
        if type(value) in (list, tuple) and any(isinstance(v, _symbolic_type) for v in value):  # type: ignore[arg-type]
            return True
    return False
