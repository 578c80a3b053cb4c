"""Keras 3 public names that torchseq leaves out on purpose, each with the reason.

A module's ``__getattr__`` raises :func:`missing_attribute` so that ``layers.JaxLayer``
says why it is absent instead of only that it is; ``tests/test_public_names.py`` checks
every other Keras 3 public name against torchseq.
"""

from __future__ import annotations

__all__ = ["EXCLUDED", "missing_attribute"]

_JAX = "JAX-specific (wraps JAX/Flax functions); torchseq runs on PyTorch only"
_NOT_IN_SCOPE = "a Keras package outside torchseq's scope"
_QUANTIZED = "quantization (int8/float8/int4 kernels) is outside torchseq's scope"

# {module path under keras ("" for the top level): {name: why torchseq leaves it out}}
EXCLUDED: dict[str, dict[str, str]] = {
    "": {
        "Quantizer": _QUANTIZED,
        "RematScope": "Keras's rematerialization scope; use torch.utils.checkpoint instead",
        "remat": "Keras's rematerialization; use torch.utils.checkpoint instead",
        "StatelessScope": "JAX-style stateless execution; torch modules hold their own state",
        "SymbolicScope": "Keras's internal tracing flag; torchseq infers shapes on fake tensors",
        "distillation": _NOT_IN_SCOPE,
        "export": "TensorFlow SavedModel / ONNX export tooling; use torch.onnx / torch.export",
        "legacy": "Keras 2 compatibility shims for TensorFlow",
        "quantizers": _QUANTIZED,
        "src": "Keras's private implementation package",
        "visualization": "bounding-box and image-gallery drawing helpers; outside scope",
        "wrappers": "scikit-learn wrappers; outside torchseq's scope",
    },
    "layers": {
        "FlaxLayer": _JAX,
        "JaxLayer": _JAX,
        "TFSMLayer": "loads TensorFlow SavedModels; torchseq does not depend on TensorFlow",
        "MaxNumBoundingBoxes": "bounding-box preprocessing (keras.utils.bounding_boxes), left out",
    },
    "optimizers": {
        "MultiOptimizer": "one optimizer per variable group; use torch param groups instead",
        "OptimizerMap": "helper of MultiOptimizer, which torchseq leaves out",
        "legacy": "Keras 2 optimizer shims for TensorFlow",
    },
    "callbacks": {
        "OrbaxCheckpoint": "saves through JAX's Orbax checkpointing library",
    },
    "distribution": {
        name: "JAX-style model-parallel sharding; shard with torch.distributed itself"
        for name in ("DeviceMesh", "LayoutMap", "ModelParallel", "TensorLayout",
                     "distribute_tensor")
    },
    "dtype_policies": {
        "AWQDTypePolicy": _QUANTIZED,
        "DTypePolicyMap": "per-layer quantization policy maps; outside torchseq's scope",
        "GPTQDTypePolicy": _QUANTIZED,
        "Int4DTypePolicy": _QUANTIZED,
        "QuantizedDTypePolicy": _QUANTIZED,
        "QuantizedFloat8DTypePolicy": _QUANTIZED,
    },
    "utils": {
        "FeatureSpace": "structured-data preprocessing built on tf.data; not ported",
        "audio_dataset_from_directory": "decodes audio with tf.audio; not ported",
        "bounding_boxes": "bounding-box format helpers for TensorFlow image pipelines; not ported",
        "legacy": "Keras 2 serialization shims for TensorFlow",
    },
    "saving": {
        "KerasFileEditor": "inspecting/editing .keras files in place is not ported yet",
    },
}


def missing_attribute(module: str, name: str) -> AttributeError:
    """The error for ``module.name`` when torchseq has no such name (the reason if excluded)."""
    keras_module = module.removeprefix("torchseq").removeprefix(".")
    reason = EXCLUDED.get(keras_module, {}).get(name)
    if reason is None:
        return AttributeError(f"module {module!r} has no attribute {name!r}")
    return AttributeError(
        f"module {module!r} has no attribute {name!r}: torchseq leaves out "
        f"keras.{keras_module + '.' if keras_module else ''}{name} ({reason})"
    )
