"""``compile`` / ``fit`` / ``evaluate`` / ``predict``: Keras's training API on a torch model.

``Trainer`` is a mixin of :class:`~torchseq.models.Model`. ``compile`` resolves names into
objects once; ``fit`` makes a data adapter once, then each step gathers a batch, runs
``train_step`` (forward, loss, backward, optimizer step, metric updates, all on the
device) and hands callbacks logs whose values stay device tensors until somebody reads
them. Nothing on the step reads a value back to the host unless the progress bar redraws.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
from torch.nn.parameter import is_lazy

from torchseq import config as global_config
from torchseq import optimizers as optimizers_module
from torchseq.callbacks import CallbackList, History
from torchseq.layers.layer import Layer, training_mode
from torchseq.layers.symbolic import is_string_array
from torchseq.losses import targets as losses_targets
from torchseq.metrics import Metric
from torchseq.training import data as data_module
from torchseq.training import distributed, fused_logits, step
from torchseq.training.compile_utils import (
    CompileState,
    OutputLosses,
    OutputMetrics,
    per_output,
)
from torchseq.training.epoch_loop import LazyLogs, StepGroups, deferred_interrupt
from torchseq.training.stateful import (
    stateful_batch_size,
    stateful_layer,
    stateful_shuffle,
    states_kept,
    warn_not_shuffled,
)
from torchseq.utils import conversion, tree
from torchseq.utils.data_packing import pack_x_y_sample_weight, unpack_x_y_sample_weight
from torchseq.utils.integers import is_int
from torchseq.utils.logs import pythonify_logs
from torchseq.utils.user_warnings import warn_user

__all__ = ["Trainer"]


@dataclasses.dataclass(eq=False)
class _FitRun:
    """What one ``fit`` call prepared before its first step."""

    adapter: Any
    validation: Any  # the validation data's adapter, or None
    callbacks: CallbackList
    epochs: int
    initial_epoch: int
    validation_freq: int | list[int]
    train_step: Callable[[Any], Any] | None  # a user's train_step(data), or None
    runner: step.StepRunner
    group: distributed.Context | None  # under torchrun
    targets: list[Any]  # per output, all the training targets (None: they come by batch)


class _LossAttribute:
    """``model.loss``: what ``compile`` was given as the loss (``None`` before), which
    ``compile`` puts in the instance's ``__dict__``. Until then a ``self.loss = ...`` of the
    user's wins, a torch module included (torch keeps those in ``_modules``, which a plain
    class attribute would hide)."""

    def __get__(self, instance: Any, owner: type) -> Any:
        if instance is None:
            return self
        return instance.__dict__.get("_modules", {}).get("loss")


class Trainer:
    """The training API mixed into ``Model``; mirrors Keras's ``Trainer``."""

    stop_training = False
    compiled = False
    steps_per_execution = 1
    loss = _LossAttribute()

    # ------------------------------------------------------------------ compile

    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        metrics: Any = None,
        loss_weights: Any = None,
        weighted_metrics: Any = None,
        run_eagerly: bool = False,
        steps_per_execution: int = 1,
        jit_compile: Any = "auto",
        auto_scale_loss: bool = True,
        sample_weight_mode: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Configure training: optimizer, loss(es), metrics.

        Args:
            optimizer: Name (``"rmsprop"``, ``"adam"``, ...), a torchseq optimizer, or a
                ``torch.optim.Optimizer`` instance or class.
            loss: Name, function ``f(y_true, y_pred)``, loss object or torch loss module;
                a list (one per output) or a dict keyed by output name.
            metrics: Metric names/objects/functions, per output as a list or dict.
            loss_weights: Scalars weighting each output's loss (list or dict).
            weighted_metrics: Metrics that take ``sample_weight`` / ``class_weight``.
            run_eagerly: ``True`` runs the steps eagerly even with ``jit_compile=True``
                (they run eagerly unless ``jit_compile`` anyway).
            steps_per_execution: Batches per "execution": callbacks' batch hooks (and
                so the progress bar) are called once per group of this many batches, with
                the indices of the group's first and last batch, as Keras does on the JAX
                and TensorFlow backends. Each batch is still its own optimizer step, so
                weights and history do not depend on it. Keras refuses values above 1 on
                the torch backend; torchseq accepts them. Defaults to 1.
            jit_compile: ``True`` compiles the whole training step (forward pass, loss,
                backward and the optimizer's update) with ``torch.compile``; ``"auto"`` and
                ``False`` run eagerly. A ``train_step`` / ``test_step`` / ``predict_step`` of
                yours runs eagerly either way (Keras ``torch.compile``s it, and on torch its
                compiled training step logs a loss of 0.0).
            auto_scale_loss: Under the ``"mixed_float16"`` policy, wrap the optimizer in a
                :class:`~torchseq.optimizers.LossScaleOptimizer` (dynamic loss scaling), as
                Keras does. Defaults to ``True``.
            sample_weight_mode: ``None`` or ``"temporal"`` (Keras 2's switch for 2-D, per
                time step, sample weights; they are accepted either way).
        """
        unknown = sorted(set(kwargs) - {"experimental_run_tf_function", "target_tensors"})
        if unknown:
            raise TypeError(f"compile got unexpected keyword argument(s) {unknown}")
        if sample_weight_mode not in (None, "temporal"):
            raise ValueError(
                "compile: sample_weight_mode must be None or 'temporal', received: "
                f"{sample_weight_mode!r}"
            )
        if not is_int(steps_per_execution) or steps_per_execution < 1:
            raise (ValueError if is_int(steps_per_execution) else TypeError)(
                f"compile: steps_per_execution must be a positive int, received: "
                f"{steps_per_execution!r}"
            )
        if jit_compile is True and run_eagerly:
            warn_user("compile: run_eagerly=True turns jit_compile=True off")
            jit_compile = False
        output_names = self._training_output_names()
        optimizer = optimizers_module.get(optimizer)
        if (
            auto_scale_loss
            and isinstance(optimizer, torch.optim.Optimizer)
            and not isinstance(optimizer, optimizers_module.LossScaleOptimizer)
            and self._computes_in_float16()
        ):
            optimizer = optimizers_module.LossScaleOptimizer(optimizer)  # as Keras does
        compiled_loss = OutputLosses(loss, loss_weights, output_names) if loss is not None else None
        compiled_metrics = OutputMetrics(
            metrics,
            weighted_metrics,
            output_names,
            compiled_loss.identifiers if compiled_loss else [None] * len(output_names),
        )
        self._compile_state = CompileState(
            arguments={
                # Wrapped in its LossScaleOptimizer (Keras writes the optimizer given), so
                # that Keras loads the loss scale with the rest of the optimizer's state.
                "optimizer": optimizer,
                "loss": loss,
                "loss_weights": loss_weights,
                "metrics": metrics,
                "weighted_metrics": weighted_metrics,
                "run_eagerly": run_eagerly,
                "steps_per_execution": steps_per_execution,
                "jit_compile": jit_compile,
            },
            optimizer=optimizer,
            loss=compiled_loss,
            metrics=compiled_metrics,
            output_names=output_names,
            jit_compile=jit_compile is True,
        )
        self.optimizer = optimizer
        if loss is not None:  # as Keras: a loss attribute of yours stays otherwise
            self.__dict__["loss"] = loss  # (a torch loss module is not made a sublayer)
        self.steps_per_execution = steps_per_execution
        self.compiled = True
        if self.built:
            self._attach_optimizer()

    @property
    def jit_compile(self) -> bool:
        """Whether ``fit`` runs the compiled training step (see :meth:`compile`, and
        :attr:`run_eagerly`); settable, as in Keras (``compile`` sets it again)."""
        return self._step_switch("jit_compile") is True

    @jit_compile.setter
    def jit_compile(self, value: Any) -> None:
        self._set_step_switch("jit_compile", value)

    @property
    def run_eagerly(self) -> bool:
        """Keras's debugging switch: ``True`` runs the steps eagerly even when
        ``jit_compile`` is on (they are ordinary Python otherwise too)."""
        return self._step_switch("run_eagerly")

    @run_eagerly.setter
    def run_eagerly(self, value: Any) -> None:
        self._set_step_switch("run_eagerly", value)

    def _step_switch(self, name: str) -> Any:
        if self.compiled:
            return self._compile_state.arguments[name]
        return self.__dict__.get(f"_{name}_before_compile", False)

    def _set_step_switch(self, name: str, value: Any) -> None:
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be True or False, received: {value!r}")
        if not self.compiled:  # kept until compile sets it, as Keras keeps it
            self.__dict__[f"_{name}_before_compile"] = value
            return
        state = self._compile_state
        state.arguments[name] = value
        arguments = state.arguments
        state.jit_compile = arguments["jit_compile"] is True and not arguments["run_eagerly"]
        state.runner = None  # made again for the new setting

    def _computes_in_float16(self) -> bool:
        """Whether the model or one of its layers has the ``"mixed_float16"`` policy, so
        training needs loss scaling (Keras looks at the model's policy alone, which a
        loaded Functional model does not keep)."""
        return any(
            isinstance(module, Layer) and module.dtype_policy.name == "mixed_float16"
            for module in self.modules()
        )

    def get_compile_config(self) -> dict[str, Any] | None:
        """What ``compile`` was given, in Keras's serialized form (``None`` if not compiled).

        ``model.save`` stores it, and :meth:`compile_from_config` compiles a loaded model
        the same way. A torch optimizer or loss module has no Keras config: such a model
        is saved uncompiled, with a warning.
        """
        if not self.compiled:
            return None
        from torchseq.saving.serialization_lib import serialize_keras_object

        arguments = self._compile_state.arguments
        optimizer = arguments["optimizer"]
        inner = getattr(optimizer, "inner_optimizer", optimizer)
        if not isinstance(inner, optimizers_module.Optimizer):
            return self._uncompiled_warning(f"the optimizer {inner!r} is not a torchseq one")
        try:
            return serialize_keras_object(arguments)
        except TypeError as error:
            return self._uncompiled_warning(str(error))

    def _uncompiled_warning(self, reason: str) -> None:
        warnings.warn(
            f"Model {self.name!r}: its compile state cannot be written in Keras's format "
            f"({reason}); it is saved uncompiled. Compile it again after loading.",
            stacklevel=4,
        )

    def compile_from_config(self, config: dict[str, Any]) -> None:
        """Compile from the output of :meth:`get_compile_config` (as ``load_model`` does)."""
        from torchseq.saving.serialization_lib import deserialize_keras_object

        arguments = deserialize_keras_object(config)
        if not isinstance(arguments, dict):
            raise TypeError(f"compile_from_config expects a dict, received: {config!r}")
        self.compile(**arguments)

    @property
    def metrics_names(self) -> list[str]:
        """Names of what ``evaluate`` returns, in order (Keras 2's meaning): those of
        :attr:`metrics`, each compiled metric under its own log name."""
        self._state("metrics_names")
        return [_log_name(metric) for metric in self.metrics]

    @property
    def metrics(self) -> list[Any]:
        """The loss trackers, the compiled metrics, then the metrics the model holds as
        attributes (``self.loss_tracker = metrics.Mean(name="loss")``), as Keras tracks
        them: ``fit`` and ``evaluate`` reset them all before each epoch or pass."""
        state = self._compile_state if self.compiled else None
        if state is None:
            return []
        trackers = list(state.loss.trackers.values()) if state.loss is not None else []
        compiled = [metric for _, _, metric in state.metrics.entries]
        return trackers + compiled + self._tracked_metrics()

    def _tracked_metrics(self) -> list[Any]:
        """The metric objects held by the model or its layers, in registration order, but
        those given to ``compile`` (which may be attributes too)."""
        state = self._compile_state if self.compiled else None
        compiled = {id(metric) for _, _, metric in state.metrics.entries} if state else set()
        return [
            module
            for module in self.modules()
            if isinstance(module, Metric) and id(module) not in compiled
        ]

    def _output_layers(self) -> list[Layer | None]:
        """Per output, the layer whose own, unshared output it is (``None`` if unknown);
        models with a graph say (see ``fused_logits``)."""
        return []

    def _training_output_names(self) -> list[str]:
        names = list(getattr(self, "output_names", None) or [])
        return names or ["output"]

    def _state(self, what: str) -> CompileState:
        if not self.compiled:
            raise ValueError(
                f"You must call compile() before {what}: model {self.name!r} has no optimizer, "
                "loss or metrics yet. Example: model.compile(optimizer='rmsprop', "
                "loss='categorical_crossentropy', metrics=['accuracy'])"
            )
        return self._compile_state

    def _attach_optimizer(self) -> None:
        """Give the optimizer the weights that are trainable now (as of this compile)."""
        state = self._compile_state
        parameters = list(self.trainable_weights)
        optimizer = state.optimizer
        if isinstance(optimizer, type):  # a torch.optim.Optimizer class
            optimizer = optimizer(parameters)
        elif isinstance(optimizer, optimizers_module.Optimizer):
            optimizer.build(parameters)
        state.parameters = parameters
        state.optimizer = self.optimizer = optimizer
        layers = [module for module in self.modules() if isinstance(module, Layer)]
        specs = [spec for layer in layers for spec in layer._weight_specs.values()]
        state.constrained = any(spec.constraint is not None for spec in specs)
        state.regularized = any(spec.regularizer is not None for spec in specs) or any(
            layer.activity_regularizer is not None or layer._call_losses for layer in layers
        )
        state.scales_loss = bool(getattr(optimizer, "scales_loss", False))
        state.runner = None  # made again for these parameters

    # ------------------------------------------------------------------ steps

    def _runner(self) -> step.StepRunner:
        """The step runner for the model as it is now (made after the first batch)."""
        state = self._compile_state
        if state.runner is None:
            state.runner = step.make_runner(self, state)
        return state.runner

    def _train_batch(self, x: Any, y: list, sample_weight: list) -> None:
        """One optimizer step on a batch; updates the loss trackers and metrics on the device."""
        self._runner().train(x, y, sample_weight)

    def _test_batch(self, x: Any, y: list, sample_weight: list) -> None:
        """Loss and metrics on a batch, no update."""
        self._runner().test(x, y, sample_weight)

    def _predict_batch(self, x: Any) -> Any:
        """The model's outputs for a batch (``predict`` runs it under ``torch.no_grad``)."""
        return self(x)

    def _predict_step_function(self, packed: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """What ``predict`` runs per batch ``x``: the model, or your ``predict_step`` on
        ``packed(x)`` (``predict`` gives it ``x``, ``predict_on_batch`` ``(x,)``, as Keras)."""
        if type(self).predict_step is Trainer.predict_step:
            return self._predict_batch
        return lambda x: self.predict_step(packed(x))

    def _custom_train_step(self) -> bool:
        """Whether ``fit`` runs :meth:`train_step` rather than the step runner: yours, or
        the default one going through a ``compute_loss`` / ``compute_metrics`` of yours."""
        return type(self).train_step is not Trainer.train_step or self._overrides_loss_or_metrics()

    def _custom_test_step(self) -> bool:
        """Whether ``evaluate`` runs :meth:`test_step` rather than the step runner."""
        return type(self).test_step is not Trainer.test_step or self._overrides_loss_or_metrics()

    def _overrides_loss_or_metrics(self) -> bool:
        cls = type(self)
        return (
            cls.compute_loss is not Trainer.compute_loss
            or cls.compute_metrics is not Trainer.compute_metrics
        )

    # ------------------------------------------------------------------ Keras's step contract

    def train_step(self, data: Any) -> dict[str, Any]:
        """One training step on a batch ``data`` as ``fit`` received it: ``x``, ``(x, y)`` or
        ``(x, y, sample_weight)``. Returns the logs callbacks and the progress bar show.

        Override it to change what ``fit`` does, with Keras 3's torch contract::

            def train_step(self, data):
                x, y = data
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
                self.zero_grad()
                loss.backward()
                weights = self.trainable_weights
                self.optimizer.apply([w.grad for w in weights], weights)
                return self.compute_metrics(x, y, y_pred)  # or your own dict

        When neither it nor ``compute_loss`` / ``compute_metrics`` is overridden, ``fit``
        runs torchseq's own step directly; with one of those overridden, this step goes
        through them as Keras's does.
        """
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        if not self._overrides_loss_or_metrics():
            self._train_batch(x, *self._targets(y, sample_weight))
            return self.get_metrics_result()
        state = self._state("train_step")
        y_pred = self(x, training=True)
        self.zero_grad()
        loss = self._compute_loss_of(x, y, y_pred, sample_weight, training=True)
        self._track_loss(loss, x)
        if state.parameters:
            optimizer = state.optimizer
            (optimizer.scale_loss(loss) if state.scales_loss else loss).backward()
            optimizer.step()
            if state.constrained:
                self._apply_constraints()
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data: Any) -> dict[str, Any]:
        """One evaluation step on a batch (see :meth:`train_step`); override to customise
        ``evaluate`` and validation. ``evaluate`` runs it under ``torch.no_grad``."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        if not self._overrides_loss_or_metrics():
            self._test_batch(x, *self._targets(y, sample_weight))
            return self.get_metrics_result()
        y_pred = self(x, training=False)
        loss = self._compute_loss_of(x, y, y_pred, sample_weight, training=False)
        self._track_loss(loss, x)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data: Any) -> Any:
        """The outputs for a batch: ``predict`` gives ``x`` (``(x,)`` when ``x`` is a tuple
        or list), ``predict_on_batch`` ``(x,)``; override to customise them."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self._predict_batch(x)

    def _compute_loss_of(
        self, x: Any, y: Any, y_pred: Any, sample_weight: Any, training: bool
    ) -> torch.Tensor:
        """``compute_loss``, also when yours predates its ``training`` argument (Keras 3.3)."""
        if _takes_training(type(self).compute_loss):
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def _track_loss(self, loss: torch.Tensor, batch: Any) -> None:
        """The ``loss`` tracker's update, weighted by the size of ``batch`` (the inputs or
        the outputs of the step)."""
        state = self._compile_state
        if state.loss is not None:
            state.loss.trackers["loss"].update(loss, _batch_size(batch))

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> torch.Tensor:
        """The total loss of a batch: the compiled loss(es) plus the losses the model added
        during its last call (``add_loss``, regularizers), as Keras computes it. A model of
        several outputs also updates its per-output loss trackers (``a_loss``...) here, as
        Keras's compiled loss does; the total's tracker is the step's to update."""
        state = self._state("compute_loss")
        added = self.losses
        if state.loss is None:
            if not added:
                raise ValueError(
                    f"compute_loss: model {self.name!r} has no loss: compile() was given none "
                    "and the model added none; pass compile(loss=...)"
                )
            return functools.reduce(torch.add, added)
        targets, weights = self._targets(y, sample_weight)
        outputs = self._flat_outputs(y_pred)
        total, values = state.loss(targets, outputs, weights, added)
        if state.loss.multi and outputs:
            trackers = list(state.loss.trackers.values())[1:]
            for tracker, value in zip(trackers, values):
                tracker.update(value, _batch_size(outputs))
        return total

    # Keras 2's names, still common in custom steps (Keras 3 keeps them on TensorFlow only).
    def compiled_loss(
        self,
        y: Any,
        y_pred: Any,
        sample_weight: Any = None,
        regularization_losses: Any = None,
    ) -> torch.Tensor:
        """Keras 2's ``self.compiled_loss(y, y_pred, regularization_losses=self.losses)``:
        :meth:`compute_loss`, whose total also updates the ``loss`` tracker as Keras 2's did.

        ``regularization_losses`` is accepted; the model's own losses (``self.losses``) are
        always included, as in :meth:`compute_loss`.
        """
        del regularization_losses  # compute_loss adds self.losses
        total = self.compute_loss(None, y, y_pred, sample_weight)
        self._track_loss(total, y_pred)
        return total

    @property
    def compiled_metrics(self) -> _CompiledMetrics:
        """Keras 2's ``self.compiled_metrics.update_state(y, y_pred, sample_weight)``: updates
        the metrics given to ``compile`` (see :meth:`compute_metrics`)."""
        return _CompiledMetrics(self)

    def compute_metrics(
        self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        """Update the compiled metrics with a batch and return every metric's result (the
        loss trackers' included), as Keras's ``compute_metrics``."""
        self._update_compiled_metrics(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def _update_compiled_metrics(self, y: Any, y_pred: Any, sample_weight: Any) -> None:
        state = self._state("compute_metrics")
        targets, weights = self._targets(y, sample_weight)
        with torch.no_grad():
            predictions = [p.detach() for p in self._flat_outputs(y_pred)]
            state.metrics.update(targets, predictions, weights)

    def get_metrics_result(self) -> dict[str, Any]:
        """Every metric's current result, by log name (Keras's ``get_metrics_result``)."""
        return self._logs()

    # ------------------------------------------------------------------ fit

    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: list | None = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: Any = True,
        class_weight: dict | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: int | list[int] = 1,
        max_queue_size: int = 10,
        workers: int = 1,
        use_multiprocessing: bool = False,
        **kwargs: Any,
    ) -> History:
        """Train for ``epochs`` epochs (``epochs`` is the index of the last one).

        A stateful model (a layer with ``stateful=True``) carries sample i of each batch
        into sample i of the next, so every batch has that layer's fixed batch size
        (``batch_size=None`` means it; array data must hold a multiple of it, else a
        ``ValueError`` before any training) and the samples keep their order:
        ``shuffle=True`` is ignored with a warning (Keras shuffles them).

        Returns the ``History`` callback: ``history.history`` maps each log name (sorted)
        to its per-epoch values.

        ``max_queue_size``, ``workers`` and ``use_multiprocessing`` are Keras 2's options for
        loading generator batches in parallel; they are checked and accepted, and batches
        are loaded on the calling thread (for parallel loading, pass a
        ``torch.utils.data.DataLoader`` with ``num_workers``). ``compile`` without a loss
        trains on the losses the model adds (``add_loss``, regularizers).
        """
        epochs = kwargs.pop("nb_epoch", epochs)
        if kwargs:
            raise TypeError(f"fit got unexpected keyword argument(s) {sorted(kwargs)}")
        run = self._prepare_fit(
            x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data,
            shuffle, class_weight, sample_weight, initial_epoch, steps_per_epoch,
            validation_steps, validation_batch_size, validation_freq,
            (max_queue_size, workers, use_multiprocessing),
        )
        callback_list = run.callbacks
        self.stop_training = False
        logs: dict[str, Any] = {}
        fused = self._compile_state.fused
        yours_in_parallel = run.group is not None and run.train_step is not None
        if yours_in_parallel and not isinstance(
            self._compile_state.optimizer, optimizers_module.Optimizer
        ):
            warn_user(
                "fit under torchrun: your train_step's torch.optim optimizer does not average "
                "the gradients over the processes, so their weights drift apart; compile with "
                "a torchseq optimizer, which does"
            )
        with (
            training_mode(self, True),
            deferred_interrupt() as interrupted,
            fused_logits.one_hot_targets(fused, run.targets),
            distributed.averaging_your_updates(yours_in_parallel),
        ):
            callback_list.on_train_begin()
            # BackupAndRestore may resume an interrupted run from a later epoch.
            initial_epoch = self.__dict__.pop("_initial_epoch", None) or run.initial_epoch
            if run.group is not None:  # rank 0 may have restored a backup
                run.group.broadcast_state(self)
                initial_epoch = run.group.broadcast_object(initial_epoch)
            try:
                for epoch in range(initial_epoch, run.epochs):
                    epoch_logs = self._fit_epoch(run, epoch, interrupted)
                    if epoch_logs is None:  # the data had run out
                        break
                    logs = epoch_logs
                    if run.validation is not None and _validates_after(epoch, run.validation_freq):
                        logs = self._fit_validation(run, logs)
                    logs = pythonify_logs(logs)  # Python floats, as Keras hands callbacks
                    callback_list.on_epoch_end(epoch, logs)
                    if run.group is not None:  # rank 0 has written its files; stop together
                        run.group.barrier()
                        self.stop_training = run.group.any(self.stop_training)
                    if self.stop_training:
                        break
            finally:
                callback_list.on_train_end(logs)
                optimizer = self._compile_state.optimizer
                if run.epochs > initial_epoch and hasattr(optimizer, "finalize_variable_values"):
                    optimizer.finalize_variable_values(self.trainable_weights)
        return self.history

    def _prepare_fit(
        self,
        x: Any,
        y: Any,
        batch_size: Any,
        epochs: Any,
        verbose: Any,
        callbacks: Any,
        validation_split: Any,
        validation_data: Any,
        shuffle: Any,
        class_weight: Any,
        sample_weight: Any,
        initial_epoch: Any,
        steps_per_epoch: Any,
        validation_steps: Any,
        validation_batch_size: Any,
        validation_freq: Any,
        loader_options: tuple,
    ) -> _FitRun:
        """Check every argument, make the data adapters, build the model on the first batch
        and choose the step: everything that can fail does so before any weight changes."""
        _check_loader_options(*loader_options)
        epochs = _check_int("epochs", epochs, least=0)
        initial_epoch = _check_int("initial_epoch", initial_epoch, least=0)
        steps_per_epoch = _check_int("steps_per_epoch", steps_per_epoch, least=1, none=True)
        validation_steps = _check_int("validation_steps", validation_steps, least=1, none=True)
        verbose = _check_verbose(verbose)
        state = self._state("fit")
        epochs = _capped("epochs", epochs, global_config.max_epochs())
        steps_limit = global_config.max_steps_per_epoch()
        steps_per_epoch = _capped("steps_per_epoch", steps_per_epoch, steps_limit)
        validation_steps = _capped("steps_per_epoch", validation_steps, steps_limit)
        batch_size = _check_batch_size(batch_size)
        validation_batch_size = _check_batch_size(validation_batch_size)
        _check_validation_freq(validation_freq)
        group = distributed.context()  # under torchrun: data-parallel
        if group is not None:
            if stateful_layer(self) is not None:
                raise ValueError(
                    "fit: a stateful model cannot train data-parallel (each process would "
                    "carry states of other processes' samples); run it in one process"
                )
            group.place(self)
            callbacks = group.chief_callbacks(callbacks)
            verbose = verbose if group.is_chief else 0
            batch_size = (batch_size or 32) * group.world_size  # batch_size is per process
        parts = [("x", x), ("validation_data", _unpack_validation(validation_data)[0])]
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = data_module.split_validation(
                x, y, sample_weight, validation_split
            )
            split = f"(validation_split={validation_split})"
            parts = [
                (f"the training part of x {split}", x),
                (f"the validation part of x {split}", validation_data[0]),
            ]
        elif validation_split and not 0 <= validation_split < 1:
            raise ValueError(f"validation_split must be in [0, 1), received: {validation_split!r}")
        stateful = stateful_layer(self)
        unfixed = stateful is not None and getattr(stateful, "_batch_size", None) is None
        if stateful is not None:
            batch_size = stateful_batch_size(
                "fit", stateful, batch_size, parts, validation_batch_size
            )
            shuffle, asked_to_shuffle = stateful_shuffle(x, shuffle), shuffle
        adapter = self._adapter(
            x, y, sample_weight, batch_size, steps_per_epoch, shuffle, class_weight
        )
        if group is not None:
            adapter = distributed.ShardedAdapter(adapter, group)
            # The validation pass splits its batches over the ranks as the training pass does.
            validation_batch_size = (
                validation_batch_size or batch_size // group.world_size
            ) * group.world_size
        val_adapter = None
        if validation_data is not None:
            try:
                val_adapter = self._adapter(
                    *_unpack_validation(validation_data),
                    validation_batch_size or batch_size,
                    validation_steps,
                    False,
                    None,
                )
            except (TypeError, ValueError) as error:
                raise type(error)(f"validation_data: {error}") from error
        custom = self._custom_train_step()
        self._prepare(adapter)
        if not custom:  # a step of yours may take other targets, or none
            self._check_targets(adapter, class_weight)
        if val_adapter is not None and not self._custom_test_step():
            self._check_validation(val_adapter)
        if state.loss is None and not custom:
            raise ValueError(
                f"fit: model {self.name!r} has nothing to minimise: compile() was given no "
                "loss and the model adds none (add_loss, regularizers). Pass a loss, e.g. "
                "model.compile(optimizer='rmsprop', loss='mse')"
            )
        if unfixed:  # the first batch has fixed the batch size now
            stateful_batch_size("fit", stateful_layer(self), batch_size, parts)
        if stateful is not None and shuffle is not asked_to_shuffle:
            warn_not_shuffled(asked_to_shuffle)
        callback_list = CallbackList(
            callbacks,
            add_history=True,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=epochs,
            steps=adapter.num_batches,
        )
        return _FitRun(
            adapter=adapter,
            validation=val_adapter,
            callbacks=callback_list,
            epochs=epochs,
            initial_epoch=initial_epoch,
            validation_freq=validation_freq,
            train_step=self.train_step if custom else None,
            runner=(
                self._runner()
                if group is None
                else step.make_runner(self, self._compile_state, group.wrap(self))
            ),
            group=group,
            targets=(
                self._targets(adapter.all_targets()[0], None)[0]
                if hasattr(adapter, "all_targets")
                else [None] * len(state.output_names)
            ),
        )



    def _fit_epoch(self, run: _FitRun, epoch: int, interrupted: Any) -> dict[str, Any] | None:
        """One epoch of training; returns its logs, or ``None`` when the data had run out
        before it (a used-up generator), which then stops training with Keras's warning."""
        callback_list = run.callbacks
        self._reset_metrics()
        callback_list.on_epoch_begin(epoch)
        groups = StepGroups(callback_list, "train", self.steps_per_execution)
        custom_step, train = run.train_step, run.runner.train
        step_logs: list[Any] = [{}]  # what a train_step of yours returned last
        batch_logs = LazyLogs(lambda: _plain_logs(step_logs[0]) if custom_step else self._logs())
        step_index = -1
        for step_index, (bx, by, bsw) in enumerate(run.adapter.batches(epoch)):
            groups.begin(step_index)
            interrupted.deferring = True  # a Ctrl-C now waits for the weights' update
            if custom_step is not None:
                step_logs[0] = custom_step(pack_x_y_sample_weight(bx, by, bsw))
            else:
                train(bx, *self._targets(by, bsw))
            interrupted.deferring = False
            interrupted.check()
            if groups.end(step_index, batch_logs.fresh) and self.stop_training:
                break
        groups.close(batch_logs.fresh)
        if self._ran_out(run, step_index + 1) and step_index < 0:
            return None  # no step ran: nothing to log (not a loss of 0.0)
        if run.group is None:
            return dict(batch_logs.fresh())
        if custom_step is None:
            return run.group.global_logs(self)
        return self._global_step_logs(dict(batch_logs.fresh()), run.group)

    def _global_step_logs(
        self, logs: dict[str, Any], group: distributed.Context
    ) -> dict[str, Any]:
        """A ``train_step`` of yours' epoch logs under torchrun: each value that is one of
        the model's metric results (``{m.name: m.result() for m in self.metrics}``) becomes
        that metric's result over every process's batches; other values stay this rank's."""
        local = self._logs()
        every = group.global_logs(self)
        for key, value in logs.items():
            if key in every and _same_value(value, local.get(key)):
                logs[key] = every[key]
        return logs

    def _ran_out(self, run: _FitRun, steps: int) -> bool:
        """Whether a generator ran out before the epoch's steps; if so, warn and stop, as
        Keras does (arrays and datasets start another pass instead)."""
        expected = run.adapter.num_batches
        if self.stop_training or not run.adapter.exhaustible:
            return False
        if steps and (expected is None or steps >= expected):
            return False
        warn_user(
            "Your input ran out of data; interrupting training. Make sure that your dataset "
            "or generator can generate at least `steps_per_epoch * epochs` batches "
            f"(this epoch ran {steps} of {expected if expected is not None else 'its'} "
            "steps)."
        )
        self.stop_training = True
        return True

    def _fit_validation(self, run: _FitRun, logs: dict[str, Any]) -> dict[str, Any]:
        """Validation after an epoch: ``logs`` with the ``val_`` entries added."""
        callback_list = run.callbacks
        if run.group is not None:  # every rank validates with rank 0's statistics
            run.group.broadcast_state(self, parameters=False)
        with training_mode(self, False):
            callback_list.on_test_begin()
            run.validation.rewind()  # each validation starts at the beginning
            val_logs = self._run_evaluation(run.validation, callback_list, run.group)
            callback_list.on_test_end(val_logs)
        logs = {**logs, **{f"val_{key}": value for key, value in val_logs.items()}}
        return dict(sorted(logs.items()))

    # ------------------------------------------------------------------ evaluate / predict

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: Any = "auto",
        sample_weight: Any = None,
        steps: int | None = None,
        callbacks: list | None = None,
        return_dict: bool = False,
        max_queue_size: int = 10,
        workers: int = 1,
        use_multiprocessing: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Loss (and metrics) on the data: the loss alone, ``[loss, *metrics]``, or a dict.

        ``max_queue_size``, ``workers`` and ``use_multiprocessing`` are accepted as in
        :meth:`fit`. Under ``torchrun`` each process evaluates its share of the data with
        rank 0's weights (``batch_size`` per process) and every process returns the
        figures of all of it.
        """
        if kwargs:
            raise TypeError(f"evaluate got unexpected keyword argument(s) {sorted(kwargs)}")
        _check_loader_options(max_queue_size, workers, use_multiprocessing)
        verbose = _check_verbose(verbose)
        steps = _check_int("steps", steps, least=1, none=True)
        self._state("evaluate")
        steps = _capped("steps_per_epoch", steps, global_config.max_steps_per_epoch())
        batch_size = _check_batch_size(batch_size)
        stateful = stateful_layer(self)
        if stateful is not None:
            batch_size = stateful_batch_size("evaluate", stateful, batch_size, [("x", x)])
        group = distributed.context()  # under torchrun: each rank evaluates a share
        if self._shards_evaluation(group):
            batch_size = _global_batch_size(batch_size, steps, group)
        adapter = self._adapter(x, y, sample_weight, batch_size, steps, False, None)
        self._prepare(adapter)
        if not self._custom_test_step():
            self._check_targets(adapter, None)
        if group is not None:
            self._share_chief_model(group, adapter)
            callbacks = group.chief_callbacks(callbacks)
            verbose = verbose if group.is_chief else 0
        callback_list = CallbackList(
            callbacks,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=1,
            steps=adapter.num_batches,
        )
        with training_mode(self, False):
            callback_list.on_test_begin()
            logs = self._run_evaluation(adapter, callback_list, group)
            callback_list.on_test_end(logs)
        return self._result(logs, return_dict)

    def _run_evaluation(
        self,
        adapter: Any,
        callback_list: Any = None,
        group: distributed.Context | None = None,
    ) -> dict[str, Any]:
        """The logs of one pass over ``adapter``; under ``group`` those of every rank's
        share summed (or rank 0's, when every rank evaluated everything)."""
        shards = self._shards_evaluation(group)
        if shards:
            adapter = distributed.ShardedAdapter(adapter, group, even=False)
        self._reset_metrics()
        groups = StepGroups(callback_list, "test", self.steps_per_execution)
        custom = self._custom_test_step()
        test = self._runner().test
        step_logs: list[Any] = [{}]
        batch_logs = LazyLogs(lambda: _plain_logs(step_logs[0]) if custom else self._logs())
        for step_index, (bx, by, bsw) in enumerate(adapter.batches(0)):
            groups.begin(step_index)
            if custom:
                with torch.no_grad():  # as Keras runs a test step
                    step_logs[0] = self.test_step(pack_x_y_sample_weight(bx, by, bsw))
            else:
                test(bx, *self._targets(by, bsw))
            groups.end(step_index, batch_logs.fresh)
        groups.close(batch_logs.fresh)
        if shards:
            group.sum_metrics(self)
            return pythonify_logs(self._logs())
        logs = dict(batch_logs.fresh())  # Python floats
        if group is not None:  # the same figures on every rank: rank 0's
            logs = group.broadcast_object(logs)
        return logs

    def _shards_evaluation(self, group: distributed.Context | None) -> bool:
        """Whether evaluation splits the data over ``group``: not for a stateful model
        (its batches chain) nor a ``test_step`` of the user's, or the default one through a
        ``compute_loss`` / ``compute_metrics`` of theirs (whose logs cannot be summed)."""
        return group is not None and not self._custom_test_step() and stateful_layer(self) is None

    def _share_chief_model(self, group: distributed.Context, adapter: Any) -> None:
        """Rank 0's weights and buffers in every rank's model (built first on a batch of
        ``adapter`` when it is not yet), so that the ranks' shares make one evaluation."""
        if type(self).predict_step is Trainer.predict_step and any(
            is_lazy(p) for p in self.parameters()
        ):
            x, _, _ = adapter.peek()
            self._probe(x)
        group.broadcast_state(self)

    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: Any = "auto",
        steps: int | None = None,
        callbacks: list | None = None,
        max_queue_size: int = 10,
        workers: int = 1,
        use_multiprocessing: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Model outputs as numpy arrays (a list or dict of them for several outputs).

        ``max_queue_size``, ``workers`` and ``use_multiprocessing`` are accepted as in
        :meth:`fit`. Under ``torchrun`` each process predicts its share of the data with
        rank 0's weights (``batch_size`` per process) and every process returns every
        prediction, in input order.
        """
        if kwargs:
            raise TypeError(f"predict got unexpected keyword argument(s) {sorted(kwargs)}")
        _check_loader_options(max_queue_size, workers, use_multiprocessing)
        verbose = _check_verbose(verbose)
        steps = _check_int("steps", steps, least=1, none=True)
        steps = _capped("steps_per_epoch", steps, global_config.max_steps_per_epoch())
        batch_size = _check_batch_size(batch_size)
        stateful = stateful_layer(self)
        if stateful is not None:
            batch_size = stateful_batch_size("predict", stateful, batch_size, [("x", x)])
        group = distributed.context()  # under torchrun: each rank predicts a share
        shards = group is not None and stateful is None
        if shards:
            batch_size = _global_batch_size(batch_size, steps, group)
        adapter = data_module.make_adapter(
            x, None, None, batch_size=batch_size, steps_per_epoch=steps, shuffle=False,
            **self._data_arguments(),
        )
        if group is not None:
            self._share_chief_model(group, adapter)
            callbacks = group.chief_callbacks(callbacks)
            verbose = verbose if group.is_chief else 0
        if shards:
            adapter = distributed.ShardedAdapter(adapter, group, even=False)
        callback_list = CallbackList(
            callbacks,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=1,
            steps=adapter.num_batches,
        )
        outputs = []
        predict_step = self._predict_step_function(pack_x_y_sample_weight)
        with training_mode(self, False), torch.no_grad():
            callback_list.on_predict_begin()
            groups = StepGroups(callback_list, "predict", self.steps_per_execution)

            def group_outputs() -> dict[str, Any]:
                return {"outputs": _concatenate(outputs[groups.first :])}

            for step, (bx, _, _) in enumerate(adapter.batches(0)):
                groups.begin(step)
                outputs.append(predict_step(bx))
                groups.end(step, group_outputs)
            groups.close(group_outputs)
            callback_list.on_predict_end()
        predictions = _concatenate_to_numpy(outputs) if outputs else None
        if shards:
            predictions = adapter.gather(predictions)
        if predictions is None:
            raise ValueError("predict received no data: the input has no samples")
        return predictions

    # ------------------------------------------------------------------ single batches

    def train_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        class_weight: dict | None = None,
        return_dict: bool = False,
    ) -> Any:
        """One optimizer step on one batch; returns the loss (and metrics) of that batch."""
        return self._on_batch(
            self._train_batch, True, x, y, sample_weight, class_weight, return_dict
        )

    def test_on_batch(
        self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False
    ) -> Any:
        """Loss (and metrics) of one batch, no update."""
        return self._on_batch(self._test_batch, False, x, y, sample_weight, None, return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        """Model outputs for one batch, as numpy arrays (data converted as ``predict`` does)."""
        _check_batch_x("predict_on_batch", x)
        adapter = data_module.make_adapter(
            x, batch_size=_num_samples(x), shuffle=False, **self._data_arguments()
        )
        bx, _, _ = adapter.peek()
        with training_mode(self, False), torch.no_grad():
            return _concatenate_to_numpy([self._predict_step_function(_one_tuple)(bx)])

    def _on_batch(
        self,
        step: Any,
        training: bool,
        x: Any,
        y: Any,
        sample_weight: Any,
        class_weight: Any,
        return_dict: bool,
    ) -> Any:
        caller = step.__name__.replace("_batch", "_on_batch").lstrip("_")
        _check_batch_x(caller, x)
        self._state(caller)
        adapter = self._adapter(x, y, sample_weight, None, None, False, class_weight, whole=True)
        self._prepare(adapter)
        custom = self._custom_train_step() if training else self._custom_test_step()
        if not custom:
            self._check_targets(adapter, class_weight)
        self._reset_metrics()
        bx, by, bsw = adapter.peek()
        targets, weights = self._targets(by, bsw)
        if custom:  # your train_step / test_step, as Keras's *_on_batch run them
            data = pack_x_y_sample_weight(bx, by, bsw)
            with training_mode(self, training), torch.set_grad_enabled(training):
                logs = self.train_step(data) if training else self.test_step(data)
            return self._result(_plain_logs(logs), return_dict)
        with (
            training_mode(self, training),
            fused_logits.one_hot_targets(self._compile_state.fused, targets),
        ):
            step(bx, targets, weights)
        return self._result(self._logs(), return_dict)

    def _result(self, logs: Mapping[str, Any], return_dict: bool) -> Any:
        """``evaluate``'s return value: a dict, or a list (one value alone) in Keras's order:
        the logs named in :attr:`metrics_names` in that order, then the others (a step of
        yours may log other names) sorted by name."""
        values = pythonify_logs(logs)  # one device read for all values
        if return_dict:
            return values
        names = [name for name in self.metrics_names if name in values]
        names += sorted(name for name in values if name not in names)
        ordered = [values[name] for name in names]
        return ordered[0] if len(ordered) == 1 else ordered

    # Keras 2 names for the same single code paths, with seed 004's signatures.
    def fit_generator(
        self,
        generator: Any,
        steps_per_epoch: int | None = None,
        epochs: int = 1,
        verbose: Any = 1,
        callbacks: list | None = None,
        validation_data: Any = None,
        validation_steps: int | None = None,
        class_weight: dict | None = None,
        max_queue_size: int = 10,
        workers: int = 1,
        use_multiprocessing: bool = False,
        shuffle: Any = True,
        initial_epoch: int = 0,
        **kwargs: Any,
    ) -> History:
        """Keras 2's name for :meth:`fit` on a generator, ``PyDataset`` or loader."""
        return self.fit(
            generator,
            steps_per_epoch=steps_per_epoch,
            epochs=epochs,
            verbose=verbose,
            callbacks=callbacks,
            validation_data=validation_data,
            validation_steps=validation_steps,
            class_weight=class_weight,
            max_queue_size=max_queue_size,
            workers=workers,
            use_multiprocessing=use_multiprocessing,
            shuffle=shuffle,
            initial_epoch=initial_epoch,
            **kwargs,
        )

    def evaluate_generator(
        self,
        generator: Any,
        steps: int | None = None,
        max_queue_size: int = 10,
        workers: int = 1,
        use_multiprocessing: bool = False,
        verbose: Any = 0,
        **kwargs: Any,
    ) -> Any:
        """Keras 2's name for :meth:`evaluate` on batches (silent by default, as in Keras 2)."""
        return self.evaluate(
            generator,
            steps=steps,
            max_queue_size=max_queue_size,
            workers=workers,
            use_multiprocessing=use_multiprocessing,
            verbose=verbose,
            **kwargs,
        )

    def predict_generator(
        self,
        generator: Any,
        steps: int | None = None,
        max_queue_size: int = 10,
        workers: int = 1,
        use_multiprocessing: bool = False,
        verbose: Any = 0,
        **kwargs: Any,
    ) -> Any:
        """Keras 2's name for :meth:`predict` on batches (silent by default, as in Keras 2)."""
        return self.predict(
            generator,
            steps=steps,
            max_queue_size=max_queue_size,
            workers=workers,
            use_multiprocessing=use_multiprocessing,
            verbose=verbose,
            **kwargs,
        )

    # ------------------------------------------------------------------ helpers

    def _adapter(
        self,
        x: Any,
        y: Any,
        sample_weight: Any,
        batch_size: Any,
        steps: Any,
        shuffle: Any,
        class_weight: Any,
        *,
        whole: bool = False,
    ) -> Any:
        if whole:
            batch_size = _num_samples(x)
        return data_module.make_adapter(
            x,
            y,
            sample_weight,
            batch_size=batch_size,
            steps_per_epoch=steps,
            shuffle=shuffle,
            class_weight=class_weight,
            output_names=self._compile_state.output_names,
            **self._data_arguments(),
        )

    def _prepare(self, adapter: Any) -> None:
        """Build what needs the first batch, and check targets, before any weight changes."""
        state = self._compile_state
        x, y, sample_weight = adapter.peek()
        if state.ready:
            self._follow_input_shapes(x)
            return
        if self._steps_need_no_outputs(state):
            y_pred = []  # and call() may not exist: a GAN's train_step calls its parts
        else:
            y_pred = self._probe(x)
        state.input_shapes = _sample_shapes(x)
        if state.parameters is not None and any(
            module._call_losses for module in self.modules() if isinstance(module, Layer)
        ):
            state.regularized = True  # a layer adds losses in call() (add_loss)
        targets, _ = self._targets(y, sample_weight)
        shapes = [tuple(p.shape) for p in y_pred]
        state.output_shapes = shapes
        state.output_dtypes = [p.dtype for p in y_pred]
        if state.loss is not None and not (
            any(target is None for target in targets) and self._custom_train_step()
        ):
            state.loss.check_targets(targets, shapes)
        if not state.metrics.built:
            state.metrics.build(targets, shapes)
        if state.loss is not None and not state.jit_compile:
            state.fused, state.loss.logits_entries = fused_logits.plan(
                self._output_layers(), state.loss.entries, state.metrics.entries
            )
        device = self._device()
        if state.loss is not None:
            state.loss.to(device)
        state.metrics.to(device)
        if state.parameters is None:
            self._attach_optimizer()
        if not state.parameters:
            warn_user(
                f"Model {self.name!r} has no trainable weights: fit() computes its losses and "
                "metrics but changes nothing"
            )
        overrides_loss = type(self).compute_loss is not Trainer.compute_loss
        if state.loss is None and (state.regularized or overrides_loss):
            # compile(optimizer) with add_loss, or a compute_loss of yours: the loss tracker
            state.loss = OutputLosses(None, None, state.output_names, added_losses_only=True)
            state.loss.to(device)
        state.ready = True

    def _probe(self, x: Any) -> list[torch.Tensor]:
        """The model's flat outputs for a batch, in inference mode and changing nothing (no
        gradients; stateful layers keep their states): for the checks before a step."""
        with torch.no_grad(), training_mode(self, False), states_kept(self):
            return self._flat_outputs(self(x))

    def _follow_input_shapes(self, x: Any) -> None:
        """Data of other sample shapes than before (another sequence length, or the wrong
        feature size) goes through the model once on its first batch: the targets are then
        checked against the outputs it gives, and data the model cannot take fails here,
        before any weight, optimizer state or history changes."""
        state = self._compile_state
        shapes = _sample_shapes(x)
        if shapes == state.input_shapes or self._steps_need_no_outputs(state):
            return
        state.output_shapes = [tuple(p.shape) for p in self._probe(x)]
        state.input_shapes = shapes

    def _check_validation(self, adapter: Any) -> None:
        """Run the validation data's first batch through the model and the loss checks, so
        bad validation data fails before the first epoch rather than after it."""
        state = self._compile_state
        x, y, sample_weight = adapter.peek()
        try:
            shapes = [tuple(p.shape) for p in self._probe(x)]
            if state.loss is not None:
                state.loss.check_targets(self._targets(y, sample_weight)[0], shapes)
            self._check_targets(adapter, None)
        except (TypeError, ValueError) as error:
            raise type(error)(f"validation_data: {error}") from error

    def _steps_need_no_outputs(self, state: CompileState) -> bool:
        """A ``train_step`` of the user's with no loss and no metrics compiled: nothing
        needs the model's outputs before the first step (Keras skips that call too)."""
        return (
            type(self).train_step is not Trainer.train_step
            and state.loss is None
            and not state.metrics.requested
        )

    def _check_targets(self, adapter: Any, class_weight: Any) -> None:
        """Refuse label values, sample weights and class weights that do not fit the outputs.

        Runs once per ``fit``/``evaluate`` (a sparse loss reads one bool from the device),
        on all the data of arrays and on the first batch of other sources.
        """
        state = self._compile_state
        shapes = state.output_shapes
        if state.loss is None or shapes is None:
            return
        _, y, sample_weight = adapter.peek()
        y_peek, weights = self._targets(y, sample_weight)
        for index, _, _ in state.loss.entries:
            if y_peek[index] is None:
                raise ValueError(
                    f"output {state.output_names[index]!r} has a loss but no target was "
                    "given: pass y (or data yielding (x, y) batches)"
                )
            if is_string_array(y_peek[index]):
                raise TypeError(
                    f"output {state.output_names[index]!r}: a loss needs numeric targets, "
                    f"received strings (dtype {y_peek[index].dtype}); encode them first, e.g. "
                    "with a StringLookup layer on y"
                )
        for index, weight in enumerate(weights):
            _check_sample_weight_shape(
                weight, y_peek[index], shapes[index], self._compile_state.output_names[index]
            )
        # Every call, not only the first fit: a later fit's targets fail here, not mid-step.
        any_batch = [(None, *shape[1:]) if shape else shape for shape in shapes]
        state.loss.check_targets(y_peek, any_batch)
        if hasattr(adapter, "all_targets"):
            y = adapter.all_targets()[0]
        targets, _ = self._targets(y, None)
        for index, loss_fn, _ in state.loss.entries:
            identifier = loss_fn if loss_fn is not None else state.loss.identifiers[index]
            if isinstance(targets[index], torch.Tensor):
                losses_targets.check_label_values(identifier, targets[index], shapes[index])
        if class_weight and len(shapes) == 1 and shapes[0] and shapes[0][-1] is not None:
            num_classes = max(shapes[0][-1], 2)  # one sigmoid unit: classes 0 and 1
            unknown = sorted(key for key in class_weight if not 0 <= key < num_classes)
            if unknown:
                raise ValueError(
                    f"class_weight names classes {unknown} that the model does not have: "
                    f"its output has {num_classes} classes (0..{num_classes - 1}), received: "
                    f"class_weight={class_weight!r}"
                )

    def _targets(self, y: Any, sample_weight: Any) -> tuple[list, list]:
        """Targets and sample weights as lists in output order."""
        names = self._compile_state.output_names
        return (
            per_output(y, names, "y", broadcast=False),
            per_output(sample_weight, names, "sample_weight", broadcast=True),
        )

    def _flat_outputs(self, outputs: Any) -> list[torch.Tensor]:
        if isinstance(outputs, dict):
            return [outputs[name] for name in self._compile_state.output_names]
        if isinstance(outputs, (list, tuple)):
            return list(outputs)
        return [outputs]

    def _logs(self) -> dict[str, torch.Tensor]:
        state = self._compile_state
        logs = {}
        if state.loss is not None:
            logs.update({name: tracker.result() for name, tracker in state.loss.trackers.items()})
        logs.update({metric.log_name: metric.result() for _, _, metric in state.metrics.entries})
        for metric in self._tracked_metrics():
            result = metric.result()
            if isinstance(result, Mapping):
                logs.update(result)
            else:
                logs[metric.name] = result
        return dict(sorted(logs.items()))

    def _reset_metrics(self) -> None:
        for metric in self.metrics:
            metric.reset_state()

    def _input_names_for_data(self) -> list[str] | None:
        names = getattr(self, "input_names", None)
        return list(names) if names else None

    def _data_arguments(self) -> dict[str, Any]:
        """Where data goes and in which dtypes: ``make_adapter``'s model-given arguments."""
        input_dtypes, float_dtype = self._data_dtypes()
        return {
            "device": self._device(),
            "input_names": self._input_names_for_data(),
            "input_dtypes": input_dtypes,
            "float_dtype": float_dtype,
        }

    def _data_dtypes(self) -> tuple[list[torch.dtype | None] | None, torch.dtype]:
        """The dtype each input receives and that of other float data (``data_dtypes``'s rule)."""
        declared = None
        if self._input_names_for_data():
            declared = [tensor.torch_dtype for tensor in tree.flatten(self.inputs)]
        weights_dtype = next(
            (p.dtype for p in self.parameters() if p.dtype.is_floating_point), None
        )
        return conversion.data_dtypes(declared, weights_dtype)

    def _convert_inputs(self, inputs: Any) -> Any:
        """numpy data given to ``model(...)``, cast to its input's dtype (tensors pass as is)."""
        names = self._input_names_for_data()
        if names:
            _check_call_inputs(self.name, names, inputs)
        if not any(isinstance(leaf, np.ndarray) for leaf in tree.flatten(inputs)):
            return inputs
        input_dtypes, float_dtype = self._data_dtypes()

        def convert(value: Any, dtype: torch.dtype | None) -> Any:
            if not isinstance(value, np.ndarray):
                return value
            return conversion.to_tensor(value, dtype, float_dtype=float_dtype)

        return conversion.convert_inputs(
            inputs, input_dtypes, self._input_names_for_data(), convert
        )

    def reset_states(self) -> None:
        """Clear the state of every stateful layer (stateful RNNs), as Keras's model does."""
        for module in self.modules():
            if module is not self and callable(getattr(module, "reset_state", None)):
                module.reset_state()

    def reset_metrics(self) -> None:
        """Reset the loss trackers and metrics (Keras's ``model.reset_metrics()``)."""
        self._reset_metrics()


# ---------------------------------------------------------------------- module helpers


def _batch_size(x: Any) -> int:
    return tree.flatten(x)[0].shape[0]


def _check_batch_size(batch_size: Any) -> int | None:
    return _check_int("batch_size", batch_size, least=1, none=True)


def _check_sample_weight_shape(
    weight: Any, target: Any, output_shape: tuple, output_name: str
) -> None:
    """Per-sample ``(n,)`` or per-timestep weights: the output's leading axes, or the
    target's own shape (trailing size-1 axes aside)."""
    if not isinstance(weight, torch.Tensor) or weight.ndim <= 1:
        return
    shape = tuple(weight.shape)
    while len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    fits = [tuple(output_shape[: len(shape)])]
    if isinstance(target, torch.Tensor):
        fits.append(tuple(target.shape[: len(shape)]))
    if len(shape) < len(output_shape) and shape in fits or tuple(weight.shape) in (
        tuple(output_shape), tuple(getattr(target, "shape", ()))
    ):
        return
    raise ValueError(
        f"sample_weight for output {output_name!r} must have shape (batch,) or the leading "
        f"axes of the output shape {tuple(output_shape)}, received: sample_weight of shape "
        f"{tuple(weight.shape)} (per batch)"
    )


def _check_call_inputs(model_name: str, names: list[str], inputs: Any) -> None:
    """A model with ``Input``s takes arrays or tensors of real numbers, one per input."""
    leaves = tree.flatten(inputs)
    expected = f"{len(names)} input(s) {names} as arrays or tensors"
    if len(names) == 1 and isinstance(inputs, (list, tuple)) and len(inputs) != 1:
        raise ValueError(
            f"Model {model_name!r} expects {expected}, received a {type(inputs).__name__} of "
            f"{len(inputs)} items"
        )
    if len(names) == 1:
        value = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        if isinstance(value, (dict, list, tuple, int, float, complex)):
            raise TypeError(
                f"Model {model_name!r} expects {expected}, received: {_describe(value)}"
            )
    for leaf in leaves:
        if isinstance(leaf, (torch.Tensor, np.ndarray)):
            if leaf.dtype in (np.complex64, np.complex128) or (
                isinstance(leaf, torch.Tensor) and leaf.is_complex()
            ):
                raise TypeError(
                    f"Model {model_name!r} expects {expected} of real numbers, received: an "
                    f"array of dtype {leaf.dtype}"
                )
        elif leaf is None or isinstance(leaf, (str, bytes)):
            raise TypeError(
                f"Model {model_name!r} expects {expected}, received: {leaf!r} of type "
                f"{type(leaf).__name__}"
            )


def _check_batch_x(caller: str, x: Any) -> None:
    if x is None:
        raise TypeError(
            f"{caller}: x must be arrays or tensors (a batch of inputs), received: x=None"
        )


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return f"a dict with keys {sorted(map(str, value))}"
    if isinstance(value, (list, tuple)):
        return f"a Python {type(value).__name__} of {len(value)} items"
    return f"{value!r} of type {type(value).__name__}"


def _check_int(name: str, value: Any, *, least: int, none: bool = False) -> int | None:
    """``value`` as a Python int of at least ``least`` (``None`` passes when ``none``)."""
    if value is None and none:
        return None
    expected = f"an int >= {least}" + (" or None" if none else "")
    if not is_int(value):
        raise TypeError(
            f"{name} must be {expected}, received: {name}={value!r} of type "
            f"{type(value).__name__}"
        )
    if value < least:
        raise ValueError(f"{name} must be {expected}, received: {name}={value!r}")
    return int(value)


_VERBOSE_CHOICES = ["auto", 0, 1, 2]


def _check_verbose(verbose: Any) -> int:
    """``"auto"`` (1), 0 (silent), 1 (progress bar) or 2 (one line per epoch); a bool counts."""
    if isinstance(verbose, (bool, np.bool_)):
        return int(verbose)
    if isinstance(verbose, str):
        if verbose == "auto":
            return 1
        raise ValueError(
            f"verbose must be one of {_VERBOSE_CHOICES}, received: verbose={verbose!r}"
        )
    if not is_int(verbose):
        raise TypeError(
            f"verbose must be one of {_VERBOSE_CHOICES}, received: verbose={verbose!r} of type "
            f"{type(verbose).__name__}"
        )
    if verbose not in (0, 1, 2):
        raise ValueError(
            f"verbose must be one of {_VERBOSE_CHOICES}, received: verbose={verbose!r}"
        )
    return int(verbose)


def _check_loader_options(max_queue_size: Any, workers: Any, use_multiprocessing: Any) -> None:
    """Keras 2's loader options: ints ``max_queue_size >= 1``, ``workers >= 0`` and a bool."""
    for name, value, least in (("max_queue_size", max_queue_size, 1), ("workers", workers, 0)):
        if not is_int(value):
            raise TypeError(
                f"{name} must be an int, received: {name}={value!r} of type "
                f"{type(value).__name__}"
            )
        if value < least:
            raise ValueError(f"{name} must be at least {least}, received: {name}={value}")
    if not isinstance(use_multiprocessing, (bool, np.bool_)):
        raise TypeError(
            "use_multiprocessing must be a bool, received: "
            f"use_multiprocessing={use_multiprocessing!r} of type "
            f"{type(use_multiprocessing).__name__}"
        )


def _check_validation_freq(validation_freq: Any) -> None:
    """An int >= 1 (validate every that many epochs) or a list of 1-based epoch numbers."""
    values = validation_freq if isinstance(validation_freq, (list, tuple)) else [validation_freq]
    if not all(is_int(v) for v in values):
        raise TypeError(
            "validation_freq must be an int or a list of ints (1-based epoch numbers), "
            f"received: validation_freq={validation_freq!r}"
        )
    if not isinstance(validation_freq, (list, tuple)) and validation_freq < 1:
        raise ValueError(
            "validation_freq must be at least 1 (validate every that many epochs), received: "
            f"validation_freq={validation_freq}"
        )


def _validates_after(epoch: int, validation_freq: int | list[int]) -> bool:
    """Whether validation runs after ``epoch`` (0-based), as Keras decides it."""
    if isinstance(validation_freq, (list, tuple)):
        return epoch + 1 in validation_freq
    return (epoch + 1) % validation_freq == 0


def _sample_shapes(x: Any) -> list[tuple]:
    """The shape of one sample of each input leaf (the batch axis dropped)."""
    return [tuple(leaf.shape[1:]) for leaf in tree.flatten(x) if hasattr(leaf, "shape")]


def _global_batch_size(
    batch_size: int | None, steps: int | None, group: distributed.Context
) -> int | None:
    """The batch every rank takes its share of: ``batch_size`` is per process (``None``
    with ``steps`` stays ``None``: the batch that covers the data in that many steps)."""
    if batch_size is None and steps is not None:
        return None
    return (batch_size or 32) * group.world_size  # 32: make_adapter's default


def _num_samples(x: Any) -> int:
    return len(tree.flatten(x)[0])


def _unpack_validation(validation_data: Any) -> tuple[Any, Any, Any]:
    """``(x, y)`` or ``(x, y, sample_weight)``; anything else is a dataset yielding batches."""
    if isinstance(validation_data, (tuple, list)):
        if len(validation_data) not in (2, 3):
            raise ValueError(
                "validation_data must be (x, y), (x, y, sample_weight) or a dataset yielding "
                f"such batches, received: a {type(validation_data).__name__} of "
                f"{len(validation_data)} items"
            )
        return (*validation_data, None)[:3]
    return validation_data, None, None


def _concatenate(batches: list[Any]) -> Any:
    """Batch outputs (tensors, or lists or dicts of them) joined along the batch axis."""
    first = batches[0]
    if isinstance(first, dict):
        return {key: _concatenate([b[key] for b in batches]) for key in first}
    if isinstance(first, (list, tuple)):
        joined = [_concatenate([b[i] for b in batches]) for i in range(len(first))]
        return joined if isinstance(first, list) else tuple(joined)
    return first if len(batches) == 1 else torch.cat(batches)


def _concatenate_to_numpy(batches: list[Any]) -> Any:
    """Batch outputs as numpy arrays; half-precision outputs (mixed precision) as float32."""

    def to_numpy(tensor: torch.Tensor) -> np.ndarray:
        if tensor.dtype in (torch.float16, torch.bfloat16):
            tensor = tensor.float()
        return tensor.detach().cpu().numpy()

    return tree.map_structure(to_numpy, _concatenate(batches))


def _plain_logs(logs: Any) -> dict[str, Any]:
    """A custom step's returned logs, flat: a nested dict of results (Keras's
    ``compile_metrics``) gives its entries."""
    if not isinstance(logs, Mapping):
        raise TypeError(
            f"train_step/test_step must return a dict of logs, received: {type(logs).__name__}"
        )
    flat: dict[str, Any] = {}
    for key, value in logs.items():
        if isinstance(value, Mapping):
            flat.update(value)
        else:
            flat[key] = value
    return flat


def _same_value(value: Any, other: Any) -> bool:
    """Whether two logged values (tensors or numbers) are equal."""
    if other is None:
        return False
    try:
        return bool(torch.as_tensor(value).double().cpu() == torch.as_tensor(other).double().cpu())
    except (TypeError, ValueError, RuntimeError):  # not one number
        return False


def _capped(what: str, value: int | None, limit: int | None) -> int | None:
    """``value`` no larger than the global limit ``config.set_max_epochs`` /
    ``set_max_steps_per_epoch`` set, with Keras's warning when it cuts."""
    if limit is not None and (value is None or limit < value):
        warn_user(f"Limiting {what} to {limit}")
        return limit
    return value


def _one_tuple(x: Any) -> tuple:
    return (x,)


def _log_name(metric: Any) -> str:
    """A metric's name in the logs (a compiled metric's may carry its output's name)."""
    return getattr(metric, "log_name", None) or metric.name


@functools.cache
def _takes_training(compute_loss: Callable[..., Any]) -> bool:
    return "training" in inspect.signature(compute_loss).parameters


class _CompiledMetrics:
    """Keras 2's ``model.compiled_metrics``: the compiled metrics, updated together."""

    def __init__(self, model: Trainer) -> None:
        self._model = model

    def update_state(self, y: Any, y_pred: Any, sample_weight: Any = None) -> None:
        self._model._update_compiled_metrics(y, y_pred, sample_weight)

    def reset_state(self) -> None:
        for _, _, metric in self._model._state("compiled_metrics").metrics.entries:
            metric.reset_state()

    def result(self) -> dict[str, Any]:
        state = self._model._state("compiled_metrics")
        return {metric.log_name: metric.result() for _, _, metric in state.metrics.entries}
