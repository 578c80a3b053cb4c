"""Stand-ins for a compiled model (weights, optimizer, stop flag), and a tiny real one."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import torch


class FakeOptimizer:
    """An optimizer that is only a ``learning_rate`` attribute, as callbacks see Keras's."""

    def __init__(self, learning_rate: float = 0.01) -> None:
        self.learning_rate = learning_rate


class FakeModel(torch.nn.Module):
    """One linear layer with Keras's model API surface that callbacks use.

    ``optimizer="sgd"`` gives a real ``torch.optim.SGD`` with momentum (it has state to back
    up); ``"fake"`` gives a :class:`FakeOptimizer`.
    """

    def __init__(self, optimizer: str = "fake", learning_rate: float = 0.01) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(2, 1)
        self.stop_training = False
        if optimizer == "sgd":
            self.optimizer: Any = torch.optim.SGD(self.parameters(), lr=learning_rate, momentum=0.9)
        else:
            self.optimizer = FakeOptimizer(learning_rate)

    def get_weights(self) -> list[np.ndarray]:
        return [p.detach().cpu().numpy().copy() for p in self.parameters()]

    def set_weights(self, weights: list[Any]) -> None:
        with torch.no_grad():
            for parameter, value in zip(self.parameters(), weights):
                parameter.copy_(torch.as_tensor(np.asarray(value)))

    def fill(self, value: float) -> None:
        """Set every weight to ``value`` (to tell epochs' weights apart)."""
        with torch.no_grad():
            for parameter in self.parameters():
                parameter.fill_(value)

    def train_one_step(self) -> None:
        """One SGD step on a fixed batch, so the optimizer has momentum buffers."""
        self.optimizer.zero_grad()
        loss = self.linear(torch.ones(4, 2)).square().mean()
        loss.backward()
        self.optimizer.step()


class SavingModel(FakeModel):
    """A model with Keras's ``save`` / ``save_weights``: each writes a small JSON record of
    the weights and remembers ``(method, path)``, so tests see what was called, where."""

    def __init__(self) -> None:
        super().__init__()
        self.saved_to: list[tuple[str, str]] = []

    def save(self, filepath: str, overwrite: bool = True) -> None:
        self._write("save", filepath)

    def save_weights(self, filepath: str, overwrite: bool = True) -> None:
        self._write("save_weights", filepath)

    def _write(self, method: str, filepath: str) -> None:
        self.saved_to.append((method, filepath))
        weights = [w.tolist() for w in self.get_weights()]
        with open(filepath, "w", encoding="utf-8") as file:
            json.dump({"method": method, "weights": weights}, file)


def read_saved(path: Any) -> dict[str, Any]:
    """What :class:`SavingModel` wrote to ``path``."""
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def tiny_model(optimizer: Any = "sgd") -> Any:
    """A built and compiled ``Sequential([Input((3,)), Dense(2)])``: a real model to save."""
    import torchseq
    from torchseq import layers

    model = torchseq.Sequential([torchseq.Input((3,)), layers.Dense(2)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def tiny_data(samples: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Fixed inputs and targets for :func:`tiny_model`."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(samples, 3)).astype("float32")
    return x, rng.normal(size=(samples, 2)).astype("float32")
