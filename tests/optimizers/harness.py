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
        shapes: The weights' shapes. Defaults to :data:`SHAPES`.
    """

    name: str
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    schedule: tuple[str, dict[str, Any]] | None = None
    steps: int = 5
    atol: float = 1e-6
    shapes: list[tuple[int, ...]] | None = None

    def __str__(self) -> str:
        args = ",".join(f"{key}={value}" for key, value in self.kwargs.items())
        schedule = f",lr={self.schedule[0]}" if self.schedule else ""
        shapes = f",shapes={self.shapes}" if self.shapes else ""
        return f"{self.name}({args}{schedule}{shapes})"

    def arguments(self, schedules_module: Any) -> dict[str, Any]:
        if self.schedule is None:
            return dict(self.kwargs)
        class_name, schedule_kwargs = self.schedule
        schedule = getattr(schedules_module, class_name)(**schedule_kwargs)
        return {**self.kwargs, "learning_rate": schedule}


def initial_weights(seed: int = 0, shapes: list[tuple[int, ...]] | None = None) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [np.asarray(rng.normal(size=shape), dtype="float32") for shape in shapes or SHAPES]


def gradient_sequence(
    steps: int, seed: int = 1, shapes: list[tuple[int, ...]] | None = None
) -> list[list[np.ndarray]]:
    """Large, mixed-sign gradients (so clipping acts); one all-zero gradient at step 2."""
    rng = np.random.default_rng(seed)
    sequence = [
        [np.asarray(rng.normal(size=shape) * 2, dtype="float32") for shape in shapes or SHAPES]
        for _ in range(steps)
    ]
    if steps > 2:
        sequence[2][1][:] = 0.0
    return sequence


def keras_class(keras: Any, name: str) -> type:
    """The Keras optimizer class that torchseq's ``name`` is compared with.

    Keras 3.15's ScheduleFreeAdamW on torch reads its ``momentum`` slot after updating
    it in place (``momentum.value`` is the live tensor), so it recovers ``x`` from the
    new ``z`` instead of the previous one, unlike Keras on JAX and the algorithm its
    comments describe; torchseq follows the algorithm. The reference here updates
    that slot out of place, which makes Keras's own code compute the intended rule.
    """
    cls = getattr(keras.optimizers, name)
    if name != "ScheduleFreeAdamW":
        return cls

    class IntendedScheduleFreeAdamW(cls):
        def assign_sub(self, variable: Any, value: Any) -> None:
            if any(variable is momentum for momentum in self._momentums):
                new_value = (variable.value - value).detach()
                variable._value = torch.nn.Parameter(new_value, requires_grad=False)
                return
            super().assign_sub(variable, value)

    return IntendedScheduleFreeAdamW


def keras_trajectory(keras: Any, case: OptimizerCase) -> list[list[np.ndarray]]:
    """Weights after each ``apply_gradients`` of a Keras optimizer."""
    optimizer = keras_class(keras, case.name)(**case.arguments(keras.optimizers.schedules))
    variables = [keras.Variable(w) for w in initial_weights(shapes=case.shapes)]
    trajectory = []
    for grads in gradient_sequence(case.steps, shapes=case.shapes):
        tensors = [keras.ops.convert_to_tensor(g) for g in grads]
        optimizer.apply_gradients(zip(tensors, variables))
        trajectory.append([np.array(keras.ops.convert_to_numpy(v)) for v in variables])
    return trajectory


def torchseq_trajectory(case: OptimizerCase) -> list[list[np.ndarray]]:
    """Weights after each ``step()`` of a torchseq optimizer fed through ``.grad``."""
    params = [torch.nn.Parameter(torch.from_numpy(w)) for w in initial_weights(shapes=case.shapes)]
    optimizer = getattr(optimizers, case.name)(
        params, **case.arguments(optimizers.schedules)
    )
    trajectory = []
    for grads in gradient_sequence(case.steps, shapes=case.shapes):
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


def check_variables_match_keras(keras: Any, case: OptimizerCase) -> None:
    """After the steps, ``keras_variables()`` equals Keras's ``optimizer.variables``.

    Same count, order, shapes and dtypes, and values within the case's tolerance.
    """
    theirs = keras_class(keras, case.name)(**case.arguments(keras.optimizers.schedules))
    variables = [keras.Variable(w) for w in initial_weights(shapes=case.shapes)]
    params = [torch.nn.Parameter(torch.from_numpy(w)) for w in initial_weights(shapes=case.shapes)]
    ours = getattr(optimizers, case.name)(params, **case.arguments(optimizers.schedules))
    for grads in gradient_sequence(case.steps, shapes=case.shapes):
        theirs.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in grads], variables))
        for param, grad in zip(params, grads):
            param.grad = torch.from_numpy(grad)
        ours.step()
    expected = [np.asarray(keras.ops.convert_to_numpy(v)) for v in theirs.variables]
    actual = ours.keras_variables()
    assert len(actual) == len(expected), f"{case}: {len(actual)} variables, Keras {len(expected)}"
    for index, (got, want) in enumerate(zip(actual, expected)):
        assert (got.shape, got.dtype) == (want.shape, want.dtype), f"{case}: variable {index}"
        np.testing.assert_allclose(
            got, want, rtol=1e-5, atol=case.atol, err_msg=f"{case}: variable {index}"
        )


def check_step_reads_nothing_back(monkeypatch: Any, optimizer: Any, params: list[Any]) -> None:
    """A few ``step()`` calls with every host read of a tensor made to fail."""

    def host_read(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the optimizer step read a tensor back to the host")

    with monkeypatch.context() as patch:
        for name in ("item", "tolist", "cpu", "numpy", "__float__", "__int__", "__bool__"):
            patch.setattr(torch.Tensor, name, host_read)
        for step in range(4):
            for index, param in enumerate(params):
                param.grad = torch.full_like(param, 0.5 - 0.25 * index + 0.1 * step)
            optimizer.step()
