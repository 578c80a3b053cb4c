"""``Function``: the computation between symbolic inputs and outputs, callable on real data.

A Functional ``Model`` without the model: no weights of its own, no training API, only
the graph of layer and ``keras.ops`` calls, run in order (``keras.Function``).
"""

from __future__ import annotations

from typing import Any

from torchseq import tree
from torchseq.layers.layer import Layer
from torchseq.layers.symbolic import KerasTensor
from torchseq.models.graph import Graph
from torchseq.utils import naming

__all__ = ["Function"]


class Function:
    """Runs the graph from ``inputs`` to ``outputs`` on new values, as ``keras.Function``.

    Args:
        inputs: A symbolic tensor or a nested structure (list, tuple, dict) of them.
        outputs: A symbolic tensor or a nested structure of them, computed from ``inputs``.
        name: Optional name; by default ``"function"`` made unique.

    Example:
        >>> import numpy as np
        >>> import torchseq as keras
        >>> x = keras.Input((3,))
        >>> f = keras.Function(x, {"total": keras.ops.sum(x, axis=1)})
        >>> f(np.ones((2, 3), "float32"))["total"].tolist()
        [3.0, 3.0]
    """

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None) -> None:
        flat_inputs, flat_outputs = tree.flatten(inputs), tree.flatten(outputs)
        for role, flat in (("inputs", flat_inputs), ("outputs", flat_outputs)):
            wrong = [leaf for leaf in flat if not isinstance(leaf, KerasTensor)]
            if wrong or not flat:
                raise ValueError(
                    f"Function expected {role} made of symbolic tensors (KerasTensor), "
                    f"received: {role}={inputs if role == 'inputs' else outputs!r}"
                )
        self.name = name or naming.unique_name("function")
        self._inputs_structure = inputs
        self._outputs_structure = outputs
        self._graph = Graph(flat_inputs, flat_outputs)

    @property
    def inputs(self) -> list[KerasTensor]:
        """The input tensors, flattened."""
        return list(self._graph.inputs)

    @property
    def outputs(self) -> list[KerasTensor]:
        """The output tensors, flattened."""
        return list(self._graph.outputs)

    @property
    def operations(self) -> list[Layer]:
        """The layers and operations of the graph, inputs first, in execution order."""
        return list(self._graph.layers)

    def __call__(self, inputs: Any) -> Any:
        """Compute the outputs (in the structure given at creation) from ``inputs``."""
        return self.call(inputs)

    def call(self, inputs: Any) -> Any:
        """Compute the outputs from ``inputs``, which has the structure of the inputs."""
        return tree.pack_sequence_as(self._outputs_structure, self._graph.run(self._flat(inputs)))

    def compute_output_spec(self, inputs: Any) -> Any:
        """The outputs' symbolic specs for symbolic ``inputs``, adding no graph nodes."""
        outputs = self._graph.run_symbolic(self._flat(inputs))
        return tree.pack_sequence_as(self._outputs_structure, outputs)

    def _flat(self, inputs: Any) -> list[Any]:
        try:
            tree.assert_same_structure(self._inputs_structure, inputs)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f'Function "{self.name}" expected inputs with the structure of '
                f"{self._inputs_structure!r}, received: {_describe(inputs)}"
            ) from error
        return tree.flatten(inputs)

    def __repr__(self) -> str:
        counts = f"inputs={len(self._graph.inputs)}, outputs={len(self._graph.outputs)}"
        return f"<Function name={self.name}, {counts}>"


def _describe(inputs: Any) -> str:
    return repr(tree.map_structure(lambda leaf: getattr(leaf, "shape", leaf), inputs))
