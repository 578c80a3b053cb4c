"""``SwapEMAWeights``: evaluate (and optionally save) with the optimizer's moving averages."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.callbacks.callback import Callback, Logs

__all__ = ["SwapEMAWeights"]


class SwapEMAWeights(Callback):
    """Puts the optimizer's EMA weights into the model for evaluation, as
    ``keras.callbacks.SwapEMAWeights``.

    With an optimizer made with ``use_ema=True``, the optimizer keeps an exponential
    moving average of every trained weight. This callback exchanges, in place, each
    weight with its average when ``evaluate``, ``predict`` or ``fit``'s validation
    starts, and exchanges them back when it ends, so the metrics are those of the
    averaged model while training continues from the raw weights. With
    ``swap_on_epoch=True`` the averages are also in the model between the end of an epoch
    and the start of the next, so callbacks listed after this one (``ModelCheckpoint``)
    see and save them.

    Weights the optimizer has not stepped yet have no average and are left as they are.
    Changing the weights or the averages from another callback while they are swapped
    gives undefined results.

    Args:
        swap_on_epoch: Also swap at the end of each epoch (and back at the start of
            the next). Defaults to ``False``.

    Example:
        >>> model.compile(optimizer=keras.optimizers.SGD(use_ema=True), loss="mse")
        >>> model.fit(x, y, validation_data=(x_val, y_val),
        ...           callbacks=[SwapEMAWeights(swap_on_epoch=True),
        ...                      keras.callbacks.ModelCheckpoint("ema.keras")])  # doctest: +SKIP
    """

    def __init__(self, swap_on_epoch: bool = False) -> None:
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if not self.swap_on_epoch or self._ema_weights_in_model:
            return
        self._swap()
        if self.params and epoch == self.params.get("epochs", 0) - 1:
            # fit ends by copying the averages into the weights; the averages must then
            # be the averages again, not the raw weights swapped into their place.
            self._copy_weights_into_averages()

    def on_test_begin(self, logs: Logs | None = None) -> None:
        if not self._ema_weights_in_model:
            self._swap()

    def on_test_end(self, logs: Logs | None = None) -> None:
        if self._ema_weights_in_model:
            self._swap()

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        if not self._ema_weights_in_model:
            self._swap()

    def on_predict_end(self, logs: Logs | None = None) -> None:
        if self._ema_weights_in_model:
            self._swap()

    @torch.no_grad()
    def _swap(self) -> None:
        weights, averages = self._weights_and_averages()
        if weights:
            saved = [weight.detach().clone() for weight in weights]
            torch._foreach_copy_(weights, averages)
            torch._foreach_copy_(averages, saved)
        self._ema_weights_in_model = not self._ema_weights_in_model

    @torch.no_grad()
    def _copy_weights_into_averages(self) -> None:
        weights, averages = self._weights_and_averages()
        if weights:
            torch._foreach_copy_(averages, weights)

    def _weights_and_averages(self) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        optimizers = [
            optimizer
            for optimizer in _optimizers_of(self.model)
            if getattr(optimizer, "use_ema", False)
        ]
        if not optimizers:
            raise ValueError(
                "SwapEMAWeights needs a model compiled with an optimizer made with "
                "use_ema=True (for instance SGD(use_ema=True)), received: optimizer "
                f"{_describe_optimizer(self.model)}"
            )
        weights, averages = [], []
        for optimizer in optimizers:
            for group in optimizer.param_groups:
                for weight in group["params"]:
                    average = optimizer.state.get(weight, {}).get("average")
                    if average is not None:
                        weights.append(weight)
                        averages.append(average)
        return weights, averages


def _optimizers_of(model: Any) -> list[Any]:
    optimizer = getattr(model, "optimizer", None)
    optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # a loss-scale wrapper
    if optimizer is None:
        return []
    return list(getattr(optimizer, "optimizers", None) or [optimizer])


def _describe_optimizer(model: Any) -> str:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return "None (the model is not compiled)"
    return f"{type(optimizer).__name__} with use_ema={getattr(optimizer, 'use_ema', None)!r}"
