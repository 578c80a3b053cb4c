"""Data-parallel ``fit`` under ``torchrun``: process group, DDP wrap, sharding, global logs.

``torchrun --nproc_per_node=N train.py`` runs N copies of an unchanged single-device
program. When ``fit`` finds that environment (or a process group the user initialised) it
trains data-parallel:

- the process group is initialised from torchrun's variables (gloo on CPU, nccl on CUDA),
  each process uses ``cuda:LOCAL_RANK`` when there are GPUs, and the model's forward runs
  through ``DistributedDataParallel``, which starts every rank from rank 0's weights and
  averages the gradients;
- ``batch_size`` is per process: the data is batched at ``N * batch_size`` in an order
  every rank draws from one shared seed, and each rank takes its own contiguous share of
  every such batch (a final batch that does not divide evenly is topped up from its own
  first samples, as ``DistributedSampler`` pads). With a mean loss, N processes at batch
  size B take the steps one process takes at batch size N*B;
- the loss trackers and metrics of every rank are summed at the end of each epoch, so
  every rank logs the global figures and callbacks decide alike; the progress bar and the
  callbacks that write files run on rank 0 only, and every rank waits for them at the end
  of each epoch.

Evaluation and prediction (and validation in ``fit``) run whole on every rank, after rank
0's buffers (BatchNormalization statistics) have been copied to all: every rank gets every
prediction, in input order, and the same figures.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import torch
import torch.distributed as dist

from torchseq import callbacks as callbacks_module
from torchseq.utils import tree

__all__ = ["Context", "ShardedAdapter", "context"]

# Callbacks that write files, print or post: rank 0 runs them alone (subclasses too).
_CHIEF_ONLY = (
    callbacks_module.BackupAndRestore,
    callbacks_module.CSVLogger,
    callbacks_module.ModelCheckpoint,
    callbacks_module.ProgbarLogger,
    callbacks_module.RemoteMonitor,
    callbacks_module.TensorBoard,
)


class Context:
    """This process's place in the group: rank, world size and device."""

    def __init__(self) -> None:
        self.rank = dist.get_rank()
        self.world_size = dist.get_world_size()
        self.backend = dist.get_backend()
        local_rank = int(os.environ.get("LOCAL_RANK", self.rank))
        self.device = (
            torch.device("cuda", local_rank) if self.backend == "nccl" else torch.device("cpu")
        )
        seed = torch.randint(0, 2**31 - 1, (1,), dtype=torch.int64)
        self.seed = int(self._broadcast(seed)[0])  # rank 0's: every rank shuffles alike

    @property
    def is_chief(self) -> bool:
        return self.rank == 0

    # ------------------------------------------------------------------ collectives

    def _broadcast(self, tensor: torch.Tensor) -> torch.Tensor:
        moved = tensor.to(self.device)
        dist.broadcast(moved, src=0)
        return moved.to(tensor.device)

    def barrier(self) -> None:
        dist.barrier()

    def any(self, flag: bool) -> bool:
        """Whether ``flag`` is true on some rank (so all ranks stop together)."""
        value = torch.tensor([1.0 if flag else 0.0], device=self.device)
        dist.all_reduce(value)
        return bool(value.item())

    def broadcast_object(self, value: Any) -> Any:
        """Rank 0's ``value`` on every rank."""
        holder = [value]
        dist.broadcast_object_list(holder, src=0)
        return holder[0]

    @torch.no_grad()
    def broadcast_state(self, model: torch.nn.Module, parameters: bool = True) -> None:
        """Copy rank 0's weights (and buffers) into every rank's model."""
        tensors = list(model.buffers())
        if parameters:
            tensors = list(model.parameters()) + tensors
        for tensor in tensors:
            tensor.copy_(self._broadcast(tensor))

    # ------------------------------------------------------------------ model and data

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        """The model behind ``DistributedDataParallel`` (which broadcasts rank 0's weights)."""
        from torch.nn.parallel import DistributedDataParallel

        device_ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=device_ids)

    def place(self, model: torch.nn.Module) -> None:
        """Move a CPU model to this rank's GPU (``cuda:LOCAL_RANK``) when the group uses one."""
        if self.device.type == "cuda":
            first = next(iter(model.parameters()), None)
            if first is None or first.device != self.device:
                model.to(self.device)

    def chief_callbacks(self, callbacks: list | None) -> list | None:
        """The callbacks this rank runs: all of them on rank 0, the silent ones elsewhere."""
        if self.is_chief or not callbacks:
            return callbacks
        return [c for c in callbacks if not isinstance(c, _CHIEF_ONLY)]

    @torch.no_grad()
    def global_logs(self, model: Any) -> dict[str, Any]:
        """The model's logs from every rank's metric states summed; local states kept."""
        state = model._compile_state
        trackers = list(state.loss.trackers.values()) if state.loss is not None else []
        variables = [v for metric in model.metrics for v in getattr(metric, "variables", [])]
        tensors = [t.total for t in trackers] + variables
        counts = torch.tensor([float(t.count) for t in trackers], dtype=torch.float64)
        local = [t.clone() for t in tensors]
        flat = torch.cat([t.reshape(-1).double().cpu() for t in tensors] + [counts])
        flat = flat.to(self.device)
        dist.all_reduce(flat)
        flat = flat.cpu()
        offset = 0
        for tensor in tensors:
            size = tensor.numel()
            tensor.copy_(flat[offset : offset + size].reshape(tensor.shape).to(tensor.dtype))
            offset += size
        local_counts = [t.count for t in trackers]
        for tracker, count in zip(trackers, flat[offset:].tolist()):
            tracker.count = count
        try:
            return {key: value.detach().clone() for key, value in model._logs().items()}
        finally:
            for tensor, saved in zip(tensors, local):
                tensor.copy_(saved)
            for tracker, count in zip(trackers, local_counts):
                tracker.count = count


class ShardedAdapter:
    """This rank's share of every batch of ``adapter`` (made at ``N * batch_size``)."""

    def __init__(self, adapter: Any, context: Context) -> None:
        self._adapter = adapter
        self._context = context

    def __getattr__(self, name: str) -> Any:
        return getattr(self._adapter, name)

    def peek(self) -> Any:
        with _shared_rng(self._context.seed):  # the pass peek starts is epoch 0's
            return self._share(self._adapter.peek())

    def batches(self, epoch: int) -> Iterator[Any]:
        iterator = self._adapter.batches(epoch)
        with _shared_rng(self._context.seed + epoch):
            first = next(iterator, None)  # the shuffle is drawn when the pass starts
        if first is None:
            return
        yield self._share(first)
        for batch in iterator:
            yield self._share(batch)

    def _share(self, batch: Any) -> Any:
        leaves = [leaf for leaf in tree.flatten(batch) if leaf is not None]
        size = len(leaves[0])
        world, rank = self._context.world_size, self._context.rank
        share = -(-size // world)
        if size % world == 0:
            return tree.map_structure(
                lambda t: None if t is None else t[rank * share : (rank + 1) * share], batch
            )
        rows = (torch.arange(share) + rank * share) % size

        def take(t: Any) -> Any:
            if t is None:
                return None
            index = rows.to(t.device) if isinstance(t, torch.Tensor) else rows.numpy()
            return t[index]

        return tree.map_structure(take, batch)


@contextlib.contextmanager
def _shared_rng(seed: int) -> Iterator[None]:
    """torch's CPU RNG seeded alike on every rank, restored afterwards."""
    saved = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        yield
    finally:
        torch.random.set_rng_state(saved)


_CONTEXT: Context | None = None


def context() -> Context | None:
    """The data-parallel context, initialising the process group from torchrun's
    environment if the user has not; ``None`` in a single process."""
    global _CONTEXT
    if not dist.is_available():
        return None
    if not dist.is_initialized():
        if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or "MASTER_ADDR" not in os.environ:
            return None
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
            dist.init_process_group("nccl")
        else:
            dist.init_process_group("gloo")
    if dist.get_world_size() <= 1:
        return None
    if _CONTEXT is None or _CONTEXT.world_size != dist.get_world_size():
        _CONTEXT = Context()
    return _CONTEXT
