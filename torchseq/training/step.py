"""The step runner: how torchseq's own training, test and predict steps run for one model.

``fit`` (and ``evaluate``, ``train_on_batch``...) choose a runner once, from what ``compile``
resolved and where the model runs, and then call ``runner.train(x, y, sample_weight)`` per
batch. The variants differ in three places only:

- the module the forward pass goes through: the model, or its ``DistributedDataParallel``
  wrapper under ``torchrun`` (so gradients are averaged across processes);
- what the loss sees: half-precision outputs of a mixed-precision model are cast to
  float32 first (the forward pass itself runs under ``torch.autocast``, entered by the
  layers whose dtype policy is mixed); softmax/sigmoid outputs paired with a matching
  crossentropy are trained from their logits (:mod:`~torchseq.training.fused_logits`);
- how gradients are made and applied: eagerly (``backward``, then the optimizer's ``step``,
  with dynamic loss scaling when the optimizer is a ``LossScaleOptimizer``), or with
  ``jit_compile=True`` as one compiled function computing the loss, its gradients and,
  for most of torchseq's optimizers, the update (see ``CompiledStepRunner``).

A user's ``train_step(data)`` replaces the runner's ``train`` entirely (see ``Trainer``).
"""

from __future__ import annotations

import threading
from typing import Any

import torch
from torch.nn.parameter import UninitializedTensorMixin

from torchseq.optimizers.optimizer import Optimizer
from torchseq.training import distributed, fused_logits
from torchseq.utils import tree
from torchseq.utils.user_warnings import warn_user

__all__ = ["StepRunner", "make_runner"]

_HALF = (torch.float16, torch.bfloat16)


class StepRunner:
    """torchseq's default steps for one model, with the forward module and casts fixed.

    Args:
        model: The model (a ``Trainer``).
        state: Its compile state (see ``compile_utils.CompileState``).
        module: What the forward pass calls: the model or a wrapper of it (DDP).
        float32_outputs: Cast float16/bfloat16 outputs to float32 before the loss.
    """

    def __init__(
        self, model: Any, state: Any, module: Any = None, *, float32_outputs: bool = False
    ) -> None:
        self.model = model
        self.state = state
        self.module = model if module is None else module
        self.float32_outputs = float32_outputs

    # ------------------------------------------------------------------ forward and loss

    def outputs(self, x: Any) -> list[torch.Tensor]:
        """The forward pass, flattened in output order (float32 where asked)."""
        outputs = self.model._flat_outputs(self.module(x))
        return _float32(outputs) if self.float32_outputs else outputs

    def forward_and_loss(self, x: Any, y: list, sample_weight: list) -> tuple:
        """``(total loss, per-output losses, outputs for the metrics)`` of a batch."""
        state = self.state
        if state.fused:
            return self._forward_and_loss_from_logits(x, y, sample_weight)
        y_pred = self.model._flat_outputs(self.module(x))  # starts the model's losses afresh
        if self.float32_outputs:
            y_pred = _float32(y_pred)
        added = self.model.losses if state.regularized else []
        total, values = state.loss(y, y_pred, sample_weight, added)
        return total, values, y_pred

    def _forward_and_loss_from_logits(self, x: Any, y: list, sample_weight: list) -> tuple:
        """The forward pass with softmax/sigmoid outputs left as logits for the loss; the
        metrics get the probabilities (see ``fused_logits``)."""
        state = self.state
        thread = threading.get_ident()
        for output in state.fused:
            output.layer.__dict__["_emits_logits"] = thread
        try:
            logits = self.model._flat_outputs(self.module(x))
        finally:
            for output in state.fused:
                output.layer.__dict__["_emits_logits"] = False
        if self.float32_outputs:
            logits = _float32(logits)
        added = self.model.losses if state.regularized else []
        total, values = state.loss(y, logits, sample_weight, added, logits=True)
        return total, values, fused_logits.probabilities(state.fused, logits)

    # ------------------------------------------------------------------ the steps

    def train(self, x: Any, y: list, sample_weight: list) -> None:
        """One optimizer step on a batch; updates the loss trackers and metrics on the device."""
        state = self.state
        total, values, y_pred = self.forward_and_loss(x, y, sample_weight)
        if state.parameters:  # a model without trainable weights only reports its losses
            optimizer = state.optimizer
            optimizer.zero_grad(set_to_none=True)
            (optimizer.scale_loss(total) if state.scales_loss else total).backward()
            optimizer.step()
            if state.constrained:
                self.model._apply_constraints()
        self._update_metrics(x, y, y_pred, sample_weight, total, values)

    def test(self, x: Any, y: list, sample_weight: list) -> None:
        """Loss and metrics on a batch, no update."""
        state = self.state
        with torch.no_grad():
            y_pred = self.outputs(x)
            if state.loss is not None:
                added = self.model.losses if state.regularized else []
                total, values = state.loss(y, y_pred, sample_weight, added)
                state.loss.update_trackers(total, values, _batch_size(x))
            state.metrics.update(y, y_pred, sample_weight)

    def predict(self, x: Any) -> Any:
        """The model's outputs for a batch (``predict`` runs it under ``torch.no_grad``)."""
        return self.module(x)

    def _update_metrics(
        self, x: Any, y: list, y_pred: list, sample_weight: list, total: Any, values: list
    ) -> None:
        """The loss trackers and metrics after a training step, on the device."""
        state = self.state
        with torch.no_grad():
            state.loss.update_trackers(total, values, _batch_size(x))
            state.metrics.update(y, [p.detach() for p in y_pred], sample_weight)


class CompiledStepRunner(StepRunner):
    """``jit_compile=True``: the training step is one compiled function.

    ``torch.func.grad_and_value`` over ``functional_call`` makes forward and backward one
    differentiable function of the trainable weights, which ``torch.compile`` turns into a
    single graph (no graph break at ``backward``). When the optimizer's update is tensor
    work only (torchseq's optimizers but Muon; Adafactor when its weights are stored in
    Keras's layout; with or without weight decay, clipping and ``loss_scale_factor``) the
    update is in that graph too, and the compiler fuses its multi-tensor ops. Its per-step
    numbers (a schedule's learning rate, bias corrections, Nadam's momentum product) are
    computed on the host exactly as the eager step computes them and enter the graph as one
    tensor, so new values compile nothing. Muon, ``gradient_accumulation_steps`` and
    ``use_ema`` (which decide on the host, per step), and ``torch.optim`` optimizers get the
    gradients from the graph and apply them eagerly. Shapes are static: the last, smaller batch of an epoch compiles
    once more, and later epochs reuse both graphs.

    Under torchrun (``module`` is the model's DDP wrapper) the gradient graph's results are
    averaged over the processes with one all-reduce, and the update runs eagerly.

    A step that torch.compile cannot make one graph (a layer calling ``.item()``, an RNN
    over a long sequence) would run slower than eager: after the first such step the runner
    says why and runs the eager step instead.
    """

    def __init__(self, model: Any, state: Any, module: Any = None, **kwargs: Any) -> None:
        super().__init__(model, state, module, **kwargs)
        # Every model's runner compiles the same method, so dynamo's per-function cache
        # holds an entry per model and batch shape; its default (8) would make the ninth
        # compiled model in a process run eagerly, silently.
        dynamo_config = torch._dynamo.config
        dynamo_config.recompile_limit = max(dynamo_config.recompile_limit, 256)
        dynamo_config.accumulated_cache_size_limit = max(
            dynamo_config.accumulated_cache_size_limit, 1024
        )
        self._forward = _ForwardWithLosses(model, state.regularized)
        names = {id(p): name for name, p in self._forward.named_parameters()}
        self._names = [names[id(p)] for p in state.parameters]
        # The buffers go in as inputs too: torch.func refuses in-place updates of tensors it
        # was not given (BatchNormalization's moving statistics), and an input's update
        # reaches the buffer itself. Read from their modules at each step: `model.to(...)`
        # replaces buffers (not parameters) with new tensors.
        self._buffer_slots: list[tuple[torch.nn.Module, str]] = []
        for prefix, owner in self._forward.named_modules():
            for key, buffer in owner._buffers.items():
                if buffer is not None and not isinstance(buffer, UninitializedTensorMixin):
                    self._buffer_slots.append((owner, key))
                    self._names.append(f"{prefix}.{key}" if prefix else key)
        self._eager: StepRunner | None = None  # after a step with graph breaks
        # Under torchrun the gradients are averaged between the gradient graph and the
        # update, which then runs eagerly.
        self._distributed = self.module is not model
        self.updates_in_graph = not self._distributed and _traces_update(
            state.optimizer, state.parameters
        )
        if self.updates_in_graph:
            self._layout: tuple = ()
            self._scalar_places: tuple = ()
            self._step = torch.compile(self._train_step, dynamic=False)
        else:
            self._gradients = torch.compile(
                torch.func.grad_and_value(self._loss_of, has_aux=True), dynamic=False
            )

    def _buffers(self) -> list[torch.Tensor]:
        return [module._buffers[key] for module, key in self._buffer_slots]

    def _loss_of(
        self, weights: list, buffers: list, x: Any, y: list, sample_weight: list
    ) -> tuple:
        outputs, added = torch.func.functional_call(
            self._forward, dict(zip(self._names, weights + buffers)), (x,), strict=False
        )
        y_pred = self.model._flat_outputs(outputs)
        if self.float32_outputs:
            y_pred = _float32(y_pred)
        total, values = self.state.loss(y, y_pred, sample_weight, added)
        return total, (total.detach(), [v.detach() for v in values], [p.detach() for p in y_pred])

    def _train_step(
        self,
        weights: list,
        buffers: list,
        slots: dict,
        scalars: torch.Tensor,
        x: Any,
        y: list,
        sample_weight: list,
    ) -> tuple:
        """Gradients, then the update of ``weights`` (the parameters' data) and ``slots`` in
        place; ``buffers`` are the model's own (updated in place by the forward pass),
        ``scalars`` holds the host's per-step numbers, flattened."""
        gradients, (_, outputs) = torch.func.grad_and_value(self._loss_of, has_aux=True)(
            weights, buffers, x, y, sample_weight
        )
        numbers = _place_numbers(self._scalar_places, scalars)
        self.state.optimizer._traced_update(weights, gradients, slots, numbers, self._layout)
        return outputs

    def train(self, x: Any, y: list, sample_weight: list) -> None:
        if self._eager is not None:
            return self._eager.train(x, y, sample_weight)
        breaks = dict(torch._dynamo.utils.counters["graph_break"])
        try:
            self._compiled_train(x, y, sample_weight)
        except _GraphFailure as failure:  # the eager step runs it, or raises the real error
            error = failure.__cause__
            self._run_eagerly(f"{type(error).__name__}: {str(error).splitlines()[0]}")
            return self._eager.train(x, y, sample_weight)
        new = [
            reason
            for reason, count in torch._dynamo.utils.counters["graph_break"].items()
            if count != breaks.get(reason)
        ]
        if new:
            self._run_eagerly(new[0].split("\n")[0])
        return None

    def _run_eagerly(self, reason: str) -> None:
        warn_user(
            f"jit_compile=True: torch.compile could not make the training step one graph "
            f"({reason}); the step runs eagerly instead, which is faster than a broken graph"
        )
        self._eager = StepRunner(
            self.model, self.state, self.module, float32_outputs=self.float32_outputs
        )

    def _compiled_train(self, x: Any, y: list, sample_weight: list) -> None:
        state = self.state
        weights = state.parameters
        optimizer = state.optimizer
        if self.updates_in_graph:
            slots = optimizer._traced_slots()
            numbers: list[float] = []
            counted = optimizer._host_state()
            places = _number_places(optimizer._host_update(), numbers)
            layout = optimizer._traced_layout()
            # The graph is guarded on these: new objects only when they change.
            if places != self._scalar_places:
                self._scalar_places = places
            if layout != self._layout:
                self._layout = layout
            scalars = torch.tensor(numbers, dtype=weights[0].dtype)
            if weights[0].device.type == "cuda":
                # From pinned memory the copy is queued behind the GPU's work; from pageable
                # memory it would wait for that work: a sync every step.
                scalars = scalars.pin_memory().to(weights[0].device, non_blocking=True)
            try:
                detached = [w.detach() for w in weights]
                total, values, y_pred = self._step(
                    detached, self._buffers(), slots, scalars, x, y, sample_weight
                )
            except Exception as error:
                optimizer._uncount_host_update(counted)  # the step did not happen
                raise _GraphFailure from error
        else:
            try:
                gradients, (_, (total, values, y_pred)) = self._gradients(
                    [w.detach() for w in weights], self._buffers(), x, y, sample_weight
                )
            except Exception as error:
                raise _GraphFailure from error
            if self._distributed:
                gradients = distributed.averaged_gradients(list(gradients))
            if hasattr(optimizer, "apply"):
                optimizer.apply(gradients, weights)
            else:  # a torch.optim optimizer reads .grad
                for weight, gradient in zip(weights, gradients):
                    weight.grad = gradient
                optimizer.step()
        if state.constrained:
            self.model._apply_constraints()
        self._update_metrics(x, y, y_pred, sample_weight, total, values)


class _ForwardWithLosses(torch.nn.Module):
    """The model's forward and the losses the call adds, as one module for
    ``functional_call``: its weights are the step's inputs only until it returns, so the
    regularizers must read them (and the call's losses be taken) inside."""

    def __init__(self, model: Any, regularized: bool) -> None:
        super().__init__()
        self.model = model
        self.regularized = regularized

    def forward(self, x: Any) -> tuple[Any, list[torch.Tensor]]:
        outputs = self.model(x)
        if not self.regularized:
            return outputs, []
        losses = self.model.losses
        # Graph values: none may stay behind in the layers, where the compiled function
        # would have to hand them out.
        self.model._clear_losses()
        return outputs, losses


class _GraphFailure(Exception):
    """The compiled graph failed before the step changed anything (its ``__cause__``)."""


def make_runner(model: Any, state: Any, module: Any = None) -> StepRunner:
    """The runner for ``model`` now: compiled or eager, through ``module`` (DDP) or not.

    The compiled step differentiates the model itself rather than its DDP wrapper (whose
    ``backward`` hooks average the gradients), so under torchrun it averages them itself;
    it cannot scale the loss, so a loss-scaling optimizer runs eagerly.
    """
    float32_outputs = any(dtype in _HALF for dtype in state.output_dtypes or [])
    if state.jit_compile and state.parameters:
        if not state.scales_loss:
            return CompiledStepRunner(model, state, module, float32_outputs=float32_outputs)
        warn_user("jit_compile=True with loss scaling (mixed_float16) runs the step eagerly")
    return StepRunner(model, state, module, float32_outputs=float32_outputs)


def _traces_update(optimizer: Any, parameters: list[torch.Tensor]) -> bool:
    """Whether the compiled step can hold ``optimizer``'s update of ``parameters``."""
    if not isinstance(optimizer, Optimizer) or not optimizer._traces_update:
        return False
    # The graph gets the parameters in the model's order and the per-step numbers in one
    # tensor of their dtype.
    ordered = [p for group in optimizer.param_groups for p in group["params"]]
    same_order = len(ordered) == len(parameters) and all(
        a is b for a, b in zip(ordered, parameters)
    )
    return same_order and len({p.dtype for p in parameters}) == 1


def _number_places(tree: Any, numbers: list[float]) -> Any:
    """``tree`` (lists and tuples of numbers or ``None``) as tuples with each number replaced
    by its index in ``numbers``, where it is appended."""
    if isinstance(tree, (list, tuple)):
        return tuple(_number_places(branch, numbers) for branch in tree)
    if tree is None:
        return None
    numbers.append(tree)
    return len(numbers) - 1


def _place_numbers(places: Any, scalars: torch.Tensor) -> Any:
    """The inverse of ``_number_places``, with the numbers as 0-d tensors of ``scalars``."""
    if isinstance(places, tuple):
        return tuple(_place_numbers(branch, scalars) for branch in places)
    return None if places is None else scalars[places]


def _float32(outputs: list[torch.Tensor]) -> list[torch.Tensor]:
    """Half-precision outputs (mixed precision) as float32, for the loss."""
    return [p.float() if p.dtype in _HALF else p for p in outputs]


def _batch_size(x: Any) -> int:
    return tree.flatten(x)[0].shape[0]

