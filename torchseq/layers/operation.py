"""``Operation``: a ``keras.ops`` call (or a Python operator) on symbolic tensors, as a node
of the Functional graph.

``ops.mean(x, axis=1)`` on a ``KerasTensor`` makes a ``Mean`` operation whose config is
``{"axis": 1, "keepdims": False}`` and calls it on ``x``: the call adds a node, and shape
inference runs the op on fake tensors. Keras has one class per op; so does torchseq, made
from the op's :class:`~torchseq.ops._dispatch.OpSpec` the first time the op meets a
symbolic tensor (or a config names it), and named as Keras names it, so that configs move
between the two libraries.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from torchseq import config as global_config
from torchseq import ops
from torchseq.layers.layer import Layer
from torchseq.layers.symbolic import KerasTensor, is_symbolic
from torchseq.ops._dispatch import OpSpec, register_symbolic_handler
from torchseq.utils.integers import is_int

__all__ = ["Operation", "operation_class"]


class Operation(Layer):
    """A ``keras.ops`` call recorded in a Functional graph (Keras's ``Operation``).

    It has no weights; a Functional model runs and summarises it but leaves it out of
    ``model.layers``, as Keras does.

    Args:
        name: Optional name; by default the op's name made unique (``"mean_1"``).
        **arguments: The op's arguments other than its tensors (``axis=1``).
    """

    spec: ClassVar[OpSpec]

    def __init__(self, *, name: str | None = None, **arguments: Any) -> None:
        super().__init__(name=name)
        self.arguments = arguments
        self.built = True
        # Read here rather than first inside a compiled step, where reading the op's
        # signature would break the graph.
        _ = self.spec.parameters, self.spec.input_parameters

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if is_symbolic(args):  # a symbolic tensor may come second: 2 * x is multiply(2, x)
            return self._call_symbolic(args, kwargs)
        return self.spec(args, self.arguments)

    def call(self, *inputs: Any) -> Any:
        return self.spec(inputs, self.arguments)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().compute_output_spec(*args, **kwargs)
        except RuntimeError as error:
            shapes = [getattr(arg, "shape", arg) for arg in args]
            raise ValueError(
                f"ops.{self.spec.name} cannot compute on inputs of shapes {shapes} with "
                f"arguments {self.arguments}: {error}"
            ) from error

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, **{key: _plain(value) for key, value in self.arguments.items()}}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Operation:
        return cls(**config)

    def get_build_config(self) -> None:
        return None


def _plain(value: Any) -> Any:
    """An argument as a config holds it: dtypes by their Keras names, numpy integers as ints."""
    if is_int(value):
        return int(value)
    if isinstance(value, torch.dtype):
        return global_config.dtype_name(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(item) for item in value)
    return value


_classes: dict[str, type[Operation]] = {}


def operation_class(class_name: str) -> type[Operation] | None:
    """The operation class Keras calls ``class_name`` (``"Mean"``), or ``None``."""
    if class_name not in _classes:
        for name in ops.__all__:
            spec = getattr(getattr(ops, name), "spec", None)
            if spec is not None and spec.class_name == class_name:
                return _class_for(spec)
    return _classes.get(class_name)


def _class_for(spec: OpSpec) -> type[Operation]:
    cls = _classes.get(spec.class_name)
    if cls is None:
        namespace = {"spec": spec, "__module__": __name__, "__doc__": f"``ops.{spec.name}`` in a graph."}
        cls = _classes[spec.class_name] = type(spec.class_name, (Operation,), namespace)
    return cls


def _call_on_symbolic(spec: OpSpec, args: tuple, kwargs: dict) -> Any:
    inputs, arguments = spec.split(args, kwargs)
    return _class_for(spec)(**arguments)(*inputs)


register_symbolic_handler(KerasTensor, _call_on_symbolic)
