"""Dtype policies: the dtype a layer keeps its weights in, and the dtype it computes in.

A plain policy (``"float32"``, ``"bfloat16"``...) uses one dtype for both. A mixed policy
keeps float32 weights and computes in half precision: ``"mixed_float16"`` (trained with
dynamic loss scaling, see ``LossScaleOptimizer``) or ``"mixed_bfloat16"``, on CUDA and on
the CPU (torch's CPU autocast computes in both). A layer with a mixed policy runs its
``call`` under ``torch.autocast``, so torch's autocast rules choose each op's precision
(matrix products and convolutions in half, reductions and softmax in float32); a layer
given a plain float policy inside a mixed model leaves autocast and computes in its own
dtype, as ``Activation("softmax", dtype="float32")`` does at the end of a mixed model.

Example:

>>> from torchseq import dtype_policies
>>> policy = dtype_policies.DTypePolicy("mixed_bfloat16")
>>> policy.compute_dtype, policy.variable_dtype
('bfloat16', 'float32')
"""

from __future__ import annotations

from typing import Any

import torch

from torchseq import config

__all__ = ["DTypePolicy", "FloatDTypePolicy", "deserialize", "get", "serialize"]

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
# Keras's quantized policies: names that start so are quantization modes, not dtypes.
_QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")


class DTypePolicy:
    """A layer's variable and compute dtypes, by Keras's policy names.

    Args:
        name: ``"mixed_float16"``, ``"mixed_bfloat16"`` or a dtype name (``"float32"``,
            ``"bfloat16"``, ``"float64"``...; an integer dtype such as ``"int32"`` suits
            layers without float weights, as in Keras). ``None`` takes the global policy's
            name (``config.dtype_policy()``).
    """

    def __init__(self, name: str | None = None) -> None:
        if name is None:
            name = config.dtype_policy().name
        if not isinstance(name, str):
            raise TypeError(
                f"DTypePolicy expects a policy name (a str), received: {name!r} of type "
                f"{type(name).__name__}"
            )
        if name in _MIXED:
            compute, variable = _MIXED[name], "float32"
        else:
            try:
                dtype = config.standardize_dtype(name)
            except ValueError as error:
                raise _unknown_policy(name) from error
            name = compute = variable = config.dtype_name(dtype)
        self._name = name
        self._compute_dtype = compute
        self._variable_dtype = variable

    @property
    def name(self) -> str:
        return self._name

    @property
    def compute_dtype(self) -> str:
        """The dtype of the layer's computation (and outputs)."""
        return self._compute_dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype of the layer's weights."""
        return self._variable_dtype

    @property
    def is_mixed(self) -> bool:
        return self._compute_dtype != self._variable_dtype

    @property
    def quantization_mode(self) -> None:
        """Keras's quantized policies are not supported: always ``None``."""
        return None

    def get_config(self) -> dict[str, Any]:
        return {"name": self._name}

    @classmethod
    def from_config(cls, config_: dict[str, Any]) -> DTypePolicy:
        return cls(**config_)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self._name)

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self._name}">'


FloatDTypePolicy = DTypePolicy  # Keras's older name for the float policies


def get(identifier: Any) -> DTypePolicy:
    """A policy from a name, a policy (torchseq's or Keras's), a serialized policy (Keras's
    config) or a torch/numpy dtype; ``None`` gives the global policy.

    Raises:
        ValueError: For a quantized policy name (``"int8"``, ``"float8"``, ``"int4"``,
            ``"gptq"``, ``"awq"``...: Keras's quantization is not supported) or an
            unknown name.
        TypeError: For anything else.
    """
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, torch.dtype):
        identifier = config.dtype_name(identifier)
    elif not isinstance(identifier, str) and isinstance(getattr(identifier, "name", None), str):
        identifier = identifier.name  # a numpy dtype, or Keras's own DTypePolicy
    if isinstance(identifier, str) and identifier.startswith(_QUANTIZATION_MODES):
        raise _unknown_policy(identifier)  # Keras reads "int8" here as a quantization mode
    if identifier is None or isinstance(identifier, str):
        return DTypePolicy(identifier)
    raise TypeError(
        "Expected a dtype policy name, a DTypePolicy or its config, received: "
        f"{identifier!r} of type {type(identifier).__name__}"
    )


def _unknown_policy(name: str) -> ValueError:
    quantized = (
        " (quantized policies are not supported)" if name.startswith(_QUANTIZATION_MODES) else ""
    )
    return ValueError(
        "DTypePolicy expects 'mixed_float16', 'mixed_bfloat16' or a dtype name such as "
        f"'float32', 'bfloat16' or 'int32', received: {name!r}{quantized}"
    )


def serialize(policy: DTypePolicy) -> dict[str, Any]:
    """Keras's serialized form of a policy (what layer configs hold under ``"dtype"``)."""
    return {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": policy.get_config(),
        "registered_name": None,
    }


def deserialize(config_: dict[str, Any], custom_objects: Any = None) -> DTypePolicy:
    """A policy from :func:`serialize`'s output (or Keras's ``FloatDTypePolicy`` form)."""
    class_name = config_.get("class_name")
    inner = config_.get("config")
    if class_name not in ("DTypePolicy", "FloatDTypePolicy") or not isinstance(inner, dict):
        raise ValueError(
            'Expected a serialized DTypePolicy {"class_name": "DTypePolicy", "config": '
            f'{{"name": ...}}}}, received: {config_!r}'
        )
    return DTypePolicy.from_config(inner)
