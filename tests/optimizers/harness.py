"""Shared parity harness: the same weights and gradients through Keras and torchseq optimizers.

Usage in a test module::

    CASES = [OptimizerCase("SGD", {"momentum": 0.9}), ...]

    @pytest.mark.parametrize("case", CASES, ids=str)
    def test_matches_keras(keras, case):
        check_parity(keras, case)
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch

from torchseq import optimizers

SHAPES = [(3, 4), (4,), (2, 2, 3)]


@dataclasses.dataclass
class OptimizerCase:
    """One optimizer configuration, built the same way in Keras and in torchseq.

    Args:
        name: The class name, the same in ``keras.optimizers`` and ``torchseq.optimizers``.
        kwargs: Constructor arguments for both.
        schedule: Optional ``(class name, arguments)`` of a learning-rate schedule,
            built from each library's ``schedules`` module and passed as ``learning_rate``.
        steps: How many gradients are applied.
        atol: Absolute tolerance on the weights after each step.
    """

    name: str
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    schedule: tuple[str, dict[str, Any]] | None = None
    steps: int = 5
    atol: float = 1e-6

    def __str__(self) -> str:
        args = ",".join(f"{key}={value}" for key, value in self.kwargs.items())
        schedule = f",lr={self.schedule[0]}" if self.schedule else ""
        return f"{self.name}({args}{schedule})"

    def arguments(self, schedules_module: Any) -> dict[str, Any]:
        if self.schedule is None:
            return dict(self.kwargs)
        class_name, schedule_kwargs = self.schedule
        schedule = getattr(schedules_module, class_name)(**schedule_kwargs)
        return {**self.kwargs, "learning_rate": schedule}


def initial_weights(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape).astype("float32") for shape in SHAPES]


def gradient_sequence(steps: int, seed: int = 1) -> list[list[np.ndarray]]:
    """Large, mixed-sign gradients (so clipping acts); one all-zero gradient at step 2."""
    rng = np.random.default_rng(seed)
    sequence = [
        [(rng.normal(size=shape) * 2).astype("float32") for shape in SHAPES] for _ in range(steps)
    ]
    if steps > 2:
        sequence[2][1][:] = 0.0
    return sequence


def keras_trajectory(keras: Any, case: OptimizerCase) -> list[list[np.ndarray]]:
    """Weights after each ``apply_gradients`` of a Keras optimizer."""
    optimizer = getattr(keras.optimizers, case.name)(**case.arguments(keras.optimizers.schedules))
    variables = [keras.Variable(w) for w in initial_weights()]
    trajectory = []
    for grads in gradient_sequence(case.steps):
        tensors = [keras.ops.convert_to_tensor(g) for g in grads]
        optimizer.apply_gradients(zip(tensors, variables))
        trajectory.append([np.array(keras.ops.convert_to_numpy(v)) for v in variables])
    return trajectory


def torchseq_trajectory(case: OptimizerCase) -> list[list[np.ndarray]]:
    """Weights after each ``step()`` of a torchseq optimizer fed through ``.grad``."""
    params = [torch.nn.Parameter(torch.from_numpy(w)) for w in initial_weights()]
    optimizer = getattr(optimizers, case.name)(
        params, **case.arguments(optimizers.schedules)
    )
    trajectory = []
    for grads in gradient_sequence(case.steps):
        for param, grad in zip(params, grads):
            param.grad = torch.from_numpy(grad)
        optimizer.step()
        trajectory.append([p.detach().numpy().copy() for p in params])
    return trajectory


def check_parity(keras: Any, case: OptimizerCase) -> None:
    expected = keras_trajectory(keras, case)
    actual = torchseq_trajectory(case)
    for step, (want, got) in enumerate(zip(expected, actual)):
        for index, (w, g) in enumerate(zip(want, got)):
            np.testing.assert_allclose(
                g, w, rtol=0, atol=case.atol, err_msg=f"{case}: weight {index} after step {step}"
            )


def check_config_matches_keras(keras: Any, name: str, kwargs: dict[str, Any]) -> None:
    """Same keys and values as Keras's ``get_config`` (Keras stores the rate as float32)."""
    ours = getattr(optimizers, name)(**kwargs).get_config()
    theirs = getattr(keras.optimizers, name)(**kwargs).get_config()
    assert set(ours) == set(theirs)
    for key in set(theirs) - {"name", "learning_rate"}:
        assert ours[key] == theirs[key], key
    assert ours["learning_rate"] == np.float32(theirs["learning_rate"])
    rebuilt = getattr(optimizers, name).from_config(ours)
    assert rebuilt.get_config() == ours
