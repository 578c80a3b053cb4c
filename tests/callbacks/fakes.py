"""A stand-in for a compiled model, until the trainer exists: weights, optimizer, stop flag."""

from __future__ import annotations

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
    """A model with ``save(path)``: writes its state dict and records the paths it got."""

    def __init__(self) -> None:
        super().__init__()
        self.saved_to: list[str] = []

    def save(self, path: str, overwrite: bool = True) -> None:
        self.saved_to.append(path)
        torch.save({"whole_model": True, **self.state_dict()}, path)
