"""Symbolic tensors and graph nodes: what calling a layer on ``Input(...)`` produces.

A :class:`KerasTensor` carries a shape (``None`` for unknown dimensions), a dtype and the
node that made it. A :class:`Node` records one call of a layer on symbolic inputs, so a
Functional model can find the path from its outputs back to its inputs.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from torchseq import config
from torchseq.utils import tree

if TYPE_CHECKING:
    from torchseq.layers.layer import Layer

__all__ = [
    "STRING",
    "KerasTensor",
    "Node",
    "in_shape_inference",
    "infer_output_spec",
    "is_string",
    "is_string_array",
    "is_symbolic",
]

# The dtype of symbolic string inputs. Torch has no string tensors: such an input carries
# numpy string arrays on the host until a string layer turns them into tensors, and its
# KerasTensor has no torch dtype.
STRING = "string"


class KerasTensor:
    """A placeholder for a tensor: shape and dtype, no data.

    Python operators and ``keras.ops`` functions on a KerasTensor add nodes to the graph a
    Functional model runs (``x[:, 0]``, ``x * 2``, ``ops.mean(x, axis=1)``).

    Args:
        shape: The full shape, batch dimension first; ``None`` marks an unknown size.
        dtype: A torch dtype or a Keras dtype name; ``"string"`` for host strings (then
            ``torch_dtype`` is ``None``).
        name: Optional name (an ``Input``'s tensor takes its layer's name).
    """

    def __init__(self, shape: tuple, dtype: Any = None, name: str | None = None) -> None:
        self.shape = tuple(None if dim is None else int(dim) for dim in shape)
        self.torch_dtype = None if dtype == STRING else config.standardize_dtype(dtype)
        self.name = name
        self.node: Node | None = None
        self.tensor_index = 0

    @property
    def dtype(self) -> str:
        """The Keras dtype name, e.g. ``"float32"`` (``torch_dtype`` is the torch dtype)."""
        return STRING if self.torch_dtype is None else config.dtype_name(self.torch_dtype)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def layer(self) -> Layer | None:
        """The layer whose call produced this tensor."""
        return None if self.node is None else self.node.layer

    @property
    def node_index(self) -> int:
        """Index of the producing node among its layer's inbound nodes."""
        return self.node.layer._inbound_nodes.index(self.node)

    def __repr__(self) -> str:
        name = f", name={self.name}" if self.name else ""
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}{name}>"

    # ------------------------------------------------------------ no data to give

    def __bool__(self) -> bool:
        raise TypeError(
            "A KerasTensor is symbolic (a shape and a dtype, no values) and cannot be used as "
            "a boolean; use keras.ops.cond or compute inside a layer's call()"
        )

    def __iter__(self) -> Any:
        raise TypeError(
            f"A KerasTensor cannot be iterated over (shape {self.shape}); index it "
            "(x[:, 0]) or use keras.ops.unstack"
        )

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        raise TypeError(
            "A KerasTensor is symbolic (a shape and a dtype, no values) and cannot become a "
            "numpy array; compute on real tensors inside a layer's call() instead"
        )

    def __int__(self) -> int:
        raise TypeError("A KerasTensor is symbolic and has no value to convert to an int")

    def __float__(self) -> float:
        raise TypeError("A KerasTensor is symbolic and has no value to convert to a float")

    # ------------------------------------------------------------ operators: graph nodes

    def __getitem__(self, key: Any) -> KerasTensor:
        return _ops().get_item(self, key)

    def reshape(self, newshape: Any) -> KerasTensor:
        return _ops().reshape(self, newshape)

    def squeeze(self, axis: Any = None) -> KerasTensor:
        return _ops().squeeze(self, axis)

    def __round__(self, ndigits: int | None = None) -> KerasTensor:
        return _ops().round(self, ndigits or 0)

    # Keras keeps ``==`` as identity (KerasTensors stay hashable) but builds ``!=``.
    __hash__ = object.__hash__


def _ops() -> Any:
    from torchseq import ops

    return ops


def _unary(op_name: str) -> Callable[[KerasTensor], KerasTensor]:
    def method(self: KerasTensor) -> KerasTensor:
        return getattr(_ops(), op_name)(self)

    return method


def _binary(op_name: str, *, reflected: bool) -> Callable[[KerasTensor, Any], KerasTensor]:
    def method(self: KerasTensor, other: Any) -> KerasTensor:
        op = getattr(_ops(), op_name)
        return op(other, self) if reflected else op(self, other)

    return method


for _name, _op in (("neg", "negative"), ("abs", "absolute"), ("invert", "logical_not")):
    setattr(KerasTensor, f"__{_name}__", _unary(_op))
for _name, _op, _reflects in (
    ("add", "add", True),
    ("sub", "subtract", True),
    ("mul", "multiply", True),
    ("matmul", "matmul", True),
    ("truediv", "true_divide", True),
    ("floordiv", "floor_divide", True),
    ("mod", "mod", True),
    ("pow", "power", True),
    ("and", "logical_and", True),
    ("or", "logical_or", True),
    ("xor", "logical_xor", True),
    ("lt", "less", False),
    ("le", "less_equal", False),
    ("gt", "greater", False),
    ("ge", "greater_equal", False),
    ("ne", "not_equal", False),
):
    setattr(KerasTensor, f"__{_name}__", _binary(_op, reflected=False))
    if _reflects:
        setattr(KerasTensor, f"__r{_name}__", _binary(_op, reflected=True))


class Node:
    """One call of ``layer`` on symbolic arguments, and the symbolic outputs it produced.

    Raises:
        TypeError: A string input reaches a layer that does not take strings.
    """

    def __init__(self, layer: Layer, args: tuple, kwargs: dict, outputs: Any) -> None:
        input_tensors = [t for t in tree.flatten((args, kwargs)) if isinstance(t, KerasTensor)]
        _check_string_inputs(layer, input_tensors)
        self.layer = layer
        self.call_args = args
        self.call_kwargs = kwargs
        self.outputs = outputs
        self.input_tensors = input_tensors
        self.output_tensors = tree.flatten(outputs)
        for index, tensor in enumerate(self.output_tensors):
            tensor.node = self
            tensor.tensor_index = index
        layer._inbound_nodes.append(self)

    @property
    def is_input(self) -> bool:
        return not self.input_tensors

    @property
    def parent_nodes(self) -> list[Node]:
        return [t.node for t in self.input_tensors if t.node is not None]

    def detach(self) -> None:
        """Forget this node: its layer no longer lists it."""
        if self in self.layer._inbound_nodes:
            self.layer._inbound_nodes.remove(self)


def _check_string_inputs(layer: Layer, tensors: list[KerasTensor]) -> None:
    """Refuse string inputs for layers that cannot take them; host-data layers
    (``_takes_strings``) and models fed strings can."""
    if not any(is_string(t) for t in tensors) or getattr(layer, "_takes_strings", False):
        return
    graph = getattr(layer, "_graph", None)
    if graph is not None and any(is_string(t) for t in graph.inputs):
        return
    raise TypeError(
        f"Layer {layer.name!r} ({type(layer).__name__}) received a string input; torch has no "
        "string tensors. Expected strings to go first into a layer that takes them "
        "(TextVectorization, StringLookup, Hashing, HashedCrossing), which turns them "
        "into tensors"
    )


def is_string(leaf: Any) -> bool:
    """Whether ``leaf`` is a symbolic string input (a :class:`KerasTensor` of dtype string)."""
    return isinstance(leaf, KerasTensor) and leaf.torch_dtype is None


def is_string_array(value: Any) -> bool:
    """Whether ``value`` is a numpy array of strings (str, bytes, or objects holding them):
    the data of a string input, which stays on the host."""
    if not isinstance(value, np.ndarray):
        return False
    if value.dtype.kind in "US":
        return True
    flat = value.reshape(-1)
    return value.dtype.kind == "O" and flat.size > 0 and isinstance(flat[0], (str, bytes))


def is_symbolic(structure: Any) -> bool:
    """Whether a (nested) argument holds a :class:`KerasTensor`."""
    if isinstance(structure, torch.Tensor):
        return False
    return any(isinstance(leaf, KerasTensor) for leaf in tree.flatten(structure))


# The size an unknown dimension takes while a layer runs on fake tensors: one for the batch
# axis, one for the others, so that inputs sharing an unknown axis line up.
_HINTS = (2, 16)
# Sizes for the fallback: two runs with different stand-ins tell which output dimensions
# follow the unknown ones (far enough apart that strides up to 32 tell them apart).
_PROBE_SIZES = ((2, 16), (3, 37))
# Tensors made from Python numbers up to this size keep their values in the probe runs, so
# shape arithmetic done on tensors can be read back (see _shape_values_kept).
_KEPT_CONSTANT_SIZE = 64
# How many shape inferences are running (a layer's call infers its sublayers' shapes too).
_inferring = 0


def in_shape_inference() -> bool:
    """Whether code is running on fake tensors to infer shapes.

    State must not change then: Keras runs such calls in a stateless scope, so a metric
    that a layer updates in ``call`` counts only real batches.
    """
    return _inferring > 0


def infer_output_spec(fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """Run ``fn`` on fake tensors shaped like the symbolic arguments; no real computation.

    Unknown dimensions are torch symbolic sizes, so an output dimension is known exactly
    when torch can prove it from the known ones (``t[:, ::16]`` of an unknown length stays
    unknown). Where torch cannot follow sizes symbolically (a fused kernel), or the code
    fixed an unknown size by reading it as a Python int, two runs with different stand-in
    sizes decide instead. Returns a structure of :class:`KerasTensor`, ``None`` wherever an
    output dimension is unknown.
    """
    global _inferring
    _inferring += 1
    try:
        with _quiet_fake_tensor_log():
            try:
                specs, exact = _run_symbolic(fn, args, kwargs)
            except Exception:  # noqa: BLE001 - no symbolic rule in torch; probes show real errors
                return _run_probes(fn, args, kwargs)
            if not exact:
                try:
                    return _run_probes(fn, args, kwargs)
                except Exception:  # noqa: BLE001, S110 - the code only runs at the sizes it fixed
                    pass
    finally:
        _inferring -= 1
    return _map_specs(lambda spec: KerasTensor(*spec), specs)


@contextlib.contextmanager
def _quiet_fake_tensor_log() -> Iterator[None]:
    """Keep torch from logging the errors a run on fake tensors raises (they are re-raised,
    or the run is retried another way)."""
    logger = logging.getLogger("torch._subclasses.fake_tensor")
    disabled, logger.disabled = logger.disabled, True
    try:
        yield
    finally:
        logger.disabled = disabled


def _run_symbolic(fn: Callable[..., Any], args: tuple, kwargs: dict) -> tuple[Any, bool]:
    """Output ``(shape, dtype)`` specs with unknown sizes as symbols, and whether no unknown
    input size was fixed to a number along the way."""
    from torch._dynamo.source import ConstantSource
    from torch._subclasses.fake_tensor import FakeTensorMode
    from torch.fx.experimental.symbolic_shapes import (
        DimDynamic,
        ShapeEnv,
        StatelessSymbolicContext,
    )

    shape_env = ShapeEnv(duck_shape=False)
    mode = FakeTensorMode(shape_env=shape_env, allow_non_fake_inputs=True)
    symbols: list[Any] = []
    made: dict[int, torch.Tensor] = {}

    def fake(leaf: Any) -> Any:
        if not isinstance(leaf, KerasTensor):
            return leaf
        sizes = [
            _HINTS[axis > 0] if dim is None else dim for axis, dim in enumerate(leaf.shape)
        ]
        context = StatelessSymbolicContext(
            dynamic_sizes=[DimDynamic.STATIC if d is not None else DimDynamic.DYNAMIC for d in leaf.shape],
            constraint_sizes=[None] * leaf.ndim,
        )
        # Made on the meta device (no memory); the mode places it on the CPU like the weights.
        tensor = mode.from_tensor(
            torch.empty(sizes, dtype=leaf.torch_dtype, device="meta"),
            symbolic_context=context,
            source=ConstantSource(f"input_{len(made)}"),
        )
        symbols.extend(d.node.expr for d in tensor.shape if isinstance(d, torch.SymInt))
        made[id(tensor)] = tensor
        return tensor

    def place(leaf: Any) -> Any:
        return leaf.to("cpu") if id(leaf) in made else leaf

    fake_args, fake_kwargs = tree.map_structure(fake, (args, kwargs))  # before entering the mode
    with mode:
        fake_args, fake_kwargs = tree.map_structure(place, (fake_args, fake_kwargs))
        outputs = fn(*fake_args, **fake_kwargs)

    def size(dim: Any) -> int | None:
        if isinstance(dim, int):
            return dim
        expr = shape_env.replace(dim.node.expr)
        return int(expr) if expr.is_number else None

    specs = tree.map_structure(lambda t: (tuple(size(d) for d in t.shape), t.dtype), outputs)
    exact = not any(shape_env.replace(symbol).is_number for symbol in symbols)
    return specs, exact


def _run_probes(fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    from torch._subclasses.fake_tensor import FakeTensorMode

    runs = []
    for batch_size, unknown_size in _PROBE_SIZES:
        with _shape_values_kept(), FakeTensorMode(allow_non_fake_inputs=True):
            make = functools.partial(_fake_like, batch_size=batch_size, unknown_size=unknown_size)
            outputs = fn(*tree.map_structure(make, args), **tree.map_structure(make, kwargs))
            runs.append(tree.map_structure(lambda t: (tuple(t.shape), t.dtype), outputs))
    first, second = runs

    def merge(a: tuple, b: tuple) -> tuple:
        shape = tuple(x if x == y else None for x, y in zip(a[0], b[0]))
        return shape, a[1]

    flat = [merge(a, b) for a, b in zip(_flat_specs(first), _flat_specs(second))]
    leaves = iter(flat)
    return _map_specs(lambda _: KerasTensor(*next(leaves)), first)


@contextlib.contextmanager
def _shape_values_kept() -> Iterator[None]:
    """Let fake tensors made from Python numbers keep values beyond one element.

    Code that computes a shape as a tensor and reads it back, e.g. the repeats
    ``ops.concatenate([ops.expand_dims(batch_size, -1), ops.convert_to_tensor([1, 1])])``
    given to ``ops.tile`` (keras.io's translation transformer), needs the values; torch's
    fake mode keeps them, and computes on them, only for one-element tensors by default.
    """
    from torch._subclasses import fake_tensor

    limit = fake_tensor.CONSTANT_NUMEL_LIMIT
    fake_tensor.CONSTANT_NUMEL_LIMIT = max(limit, _KEPT_CONSTANT_SIZE)
    try:
        yield
    finally:
        fake_tensor.CONSTANT_NUMEL_LIMIT = limit


def _fake_like(leaf: Any, *, batch_size: int, unknown_size: int) -> Any:
    """A (fake) zero tensor for a symbolic one, unknown sizes replaced by probe sizes."""
    if not isinstance(leaf, KerasTensor):
        return leaf
    shape = [
        (batch_size if axis == 0 else unknown_size) if dim is None else dim
        for axis, dim in enumerate(leaf.shape)
    ]
    return torch.zeros(shape, dtype=leaf.torch_dtype)


def _flat_specs(specs: Any) -> list[tuple]:
    if _is_spec(specs):
        return [specs]
    values = specs.values() if isinstance(specs, dict) else specs
    return [leaf for value in values for leaf in _flat_specs(value)]


def _map_specs(fn: Callable[[tuple], Any], specs: Any) -> Any:
    if _is_spec(specs):
        return fn(specs)
    if isinstance(specs, dict):
        return {key: _map_specs(fn, value) for key, value in specs.items()}
    return type(specs)(_map_specs(fn, value) for value in specs)


def _is_spec(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], torch.dtype)
