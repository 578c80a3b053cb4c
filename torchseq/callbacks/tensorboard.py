"""``TensorBoard``: write training curves (and weight histograms) for TensorBoard."""

from __future__ import annotations

import os
import time
from typing import Any

import torch

from torchseq.callbacks._learning_rate import get_learning_rate
from torchseq.callbacks.callback import Callback, Logs
from torchseq.utils.logs import pythonify_logs, pythonify_value

__all__ = ["TensorBoard"]

_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin")


class TensorBoard(Callback):
    """Logs to TensorBoard through ``torch.utils.tensorboard``, as ``keras.callbacks.TensorBoard``.

    Writes what Keras writes, in the same places: ``log_dir/train`` and
    ``log_dir/validation`` hold ``epoch_<name>`` scalars (validation names without their
    ``val_`` prefix) at step ``epoch``, plus ``epoch_learning_rate``; with a numeric
    ``update_freq``, ``batch_<name>`` scalars every that many training batches; after a
    validation run, ``evaluation_<name>_vs_iterations`` when the optimizer counts
    ``iterations``; with ``histogram_freq``, a histogram per weight (and with
    ``write_images``, the weight as an image). ``write_graph`` writes the model's JSON
    config as text when the model has ``to_json()``.

    Needs the ``tensorboard`` package (``pip install tensorboard``), and ``pillow`` for
    ``write_images``; without them the constructor raises ``ImportError``.

    Args:
        log_dir: Folder for the event files. Defaults to ``"logs"``.
        histogram_freq: Epochs between weight histograms; ``0`` for none. Defaults to ``0``.
        write_graph: Write the model config. Defaults to ``True``.
        write_images: Write weights as images with the histograms. Defaults to ``False``.
        write_steps_per_second: Log training steps per second. Defaults to ``False``.
        update_freq: ``"epoch"``, ``"batch"`` (= 1) or a number of batches between batch
            scalars. Defaults to ``"epoch"``.
        profile_batch: Must be ``0``: profiling is not available on the torch backend,
            as in Keras. Defaults to ``0``.
        embeddings_freq: Must be ``0``: the embedding projector is not supported.
            Defaults to ``0``.
        embeddings_metadata: Ignored (no projector). Defaults to ``None``.

    Raises:
        ImportError: If ``tensorboard`` (or, with ``write_images``, ``pillow``) is not
            installed.
        ValueError: For a bad ``update_freq`` or ``histogram_freq``, or a non-zero
            ``profile_batch`` or ``embeddings_freq``.
    """

    def __init__(
        self,
        log_dir: str | os.PathLike[str] = "logs",
        histogram_freq: int = 0,
        write_graph: bool = True,
        write_images: bool = False,
        write_steps_per_second: bool = False,
        update_freq: str | int = "epoch",
        profile_batch: int = 0,
        embeddings_freq: int = 0,
        embeddings_metadata: Any = None,
    ) -> None:
        super().__init__()
        self._writer_class = _import_summary_writer()
        if write_images:
            _require_pillow()
        update_freq = 1 if update_freq == "batch" else update_freq
        if update_freq != "epoch" and (
            isinstance(update_freq, bool) or not isinstance(update_freq, int) or update_freq <= 0
        ):
            raise ValueError(
                "TensorBoard: update_freq must be 'epoch', 'batch' or a positive number of "
                f"batches, received: update_freq={update_freq!r}"
            )
        if (
            isinstance(histogram_freq, bool)
            or not isinstance(histogram_freq, int)
            or histogram_freq < 0
        ):
            raise ValueError(
                "TensorBoard: histogram_freq must be a non-negative integer, received: "
                f"histogram_freq={histogram_freq!r}"
            )
        if profile_batch:
            raise ValueError(
                "Profiling is not yet available with the torch backend. Received: "
                f"profile_batch={profile_batch} (must be 0)"
            )
        if embeddings_freq:
            raise ValueError(
                "TensorBoard: the embedding projector is not supported by torchseq. Received: "
                f"embeddings_freq={embeddings_freq} (must be 0)"
            )
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        self._writers: dict[str, Any] = {}
        self._global_train_batch = 0
        self._batch_start_time = 0.0
        self._epoch_start_time = 0.0
        self._epoch_batches = 0

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        self._close_writers()
        to_json = getattr(model, "to_json", None)
        if self.write_graph and callable(to_json):
            self._writer("train").add_text("keras", to_json(), 0)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._global_train_batch = 0

    def on_train_end(self, logs: Logs | None = None) -> None:
        self._close_writers()

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._epoch_start_time = time.time()
        self._epoch_batches = 0

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self._global_train_batch += 1
        self._epoch_batches += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        step = self._global_train_batch
        writer = self._writer("train")
        if self.write_steps_per_second:
            elapsed = time.time() - self._batch_start_time
            writer.add_scalar("batch_steps_per_second", 1.0 / max(elapsed, 1e-12), step)
        if self.update_freq != "epoch" and step % self.update_freq == 0:
            for name, value in pythonify_logs(logs).items():
                writer.add_scalar(f"batch_{name}", value, step)

    def on_test_end(self, logs: Logs | None = None) -> None:
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not hasattr(optimizer, "iterations"):
            return
        step = int(pythonify_value(optimizer.iterations))
        writer = self._writer("val")
        for name, value in pythonify_logs(logs).items():
            writer.add_scalar(f"evaluation_{name}_vs_iterations", value, step)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._log_epoch_metrics(epoch, pythonify_logs(logs))
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        for writer in self._writers.values():
            writer.flush()

    def _listens_to(self, hook: str) -> bool:
        if hook in _BATCH_HOOKS and getattr(type(self), hook) is getattr(TensorBoard, hook):
            return self.update_freq != "epoch" or self.write_steps_per_second
        return True

    def _writer(self, kind: str) -> Any:
        if kind not in self._writers:
            self._writers[kind] = self._writer_class(
                self._train_dir if kind == "train" else self._val_dir
            )
        return self._writers[kind]

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def _log_epoch_metrics(self, epoch: int, logs: dict[str, Any]) -> None:
        if not logs:
            return
        train_logs = {name: value for name, value in logs.items() if not name.startswith("val_")}
        val_logs = {name[4:]: value for name, value in logs.items() if name.startswith("val_")}
        if getattr(self.model, "optimizer", None) is not None:
            train_logs["learning_rate"] = get_learning_rate(self.model.optimizer, "TensorBoard")
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._epoch_start_time, 1e-12)
            train_logs["steps_per_second"] = self._epoch_batches / elapsed
        for kind, values in (("train", train_logs), ("val", val_logs)):
            if values:
                writer = self._writer(kind)
                for name, value in values.items():
                    writer.add_scalar(f"epoch_{name}", value, epoch)

    def _log_weights(self, epoch: int) -> None:
        writer = self._writer("train")
        for name, weight in self.model.named_parameters():
            tag = name.replace(".", "/")
            values = weight.detach().cpu()
            writer.add_histogram(f"{tag}/histogram", values, epoch)
            if self.write_images:
                image = _weight_as_image(values)
                if image is not None:
                    writer.add_images(f"{tag}/image", image, epoch, dataformats="NHWC")


def _weight_as_image(weight: torch.Tensor) -> torch.Tensor | None:
    """Keras's picture of a weight: a bias as a row, a kernel as a matrix, conv kernels stacked."""
    image = weight.squeeze()
    if image.ndim == 1:
        image = image.reshape(1, image.shape[0], 1, 1)
    elif image.ndim == 2:
        if image.shape[0] > image.shape[1]:
            image = image.T
        image = image.reshape(1, image.shape[0], image.shape[1], 1)
    elif image.ndim == 3:
        image = image.reshape(image.shape[0], image.shape[1], image.shape[2], 1)
    else:
        return None
    return image.float()


def _import_summary_writer() -> type:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as error:
        raise ImportError(
            "The TensorBoard callback needs the tensorboard package, which is not installed. "
            "Install it with: pip install tensorboard"
        ) from error
    return SummaryWriter


def _require_pillow() -> None:
    try:
        import PIL  # noqa: F401
    except ImportError as error:
        raise ImportError(
            "TensorBoard(write_images=True) needs the pillow package to encode the images, "
            "which is not installed. Install it with: pip install pillow"
        ) from error
