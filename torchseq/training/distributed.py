"""Data-parallel ``fit`` / ``evaluate`` / ``predict`` under ``torchrun``.

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
  size B take the steps one process takes at batch size N*B. A map-style torch
  ``Dataset`` or a ``DataLoader`` over one is loaded through a ``DistributedSampler``
  instead (shuffled as the loader shuffles, alike on every rank for each epoch), so every
  rank loads only its own batches, of the loader's batch size;
- the loss trackers and metrics of every rank are summed at the end of each epoch, so
  every rank logs the global figures and callbacks decide alike; the progress bar and the
  callbacks that write files run on rank 0 only, and every rank waits for them at the end
  of each epoch.

A ``train_step`` of the user's (or the default one through their ``compute_loss``) calls
the model itself, not its ``DistributedDataParallel`` wrapper: while it runs, every torchseq
optimizer averages the gradients it is given over the processes before updating, and the
epoch's logs that are metric results are summed over the ranks as above.

``evaluate``, ``predict`` and validation in ``fit`` start from rank 0's weights and buffers
(BatchNormalization statistics) and split the data without padding: each rank takes an
unequal share of every batch (the first ``size % N`` ranks one sample more), so no sample
counts twice. ``evaluate`` sums the metric states of all ranks, so every rank returns the
figures one process computes on all the data; ``predict`` gathers every rank's outputs (as
bytes, in one ``all_gather``), so every rank returns every prediction in input order. A
stateful model, or a ``test_step`` of the user's (whose logs cannot be summed), evaluates
the whole data on every rank instead.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parameter import UninitializedTensorMixin
from torch.utils.data import (
    DataLoader,
    DistributedSampler,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
)

from torchseq import callbacks as callbacks_module
from torchseq.optimizers.optimizer import Optimizer
from torchseq.training.data_sources import DataLoaderAdapter
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

    def all_gather_object(self, value: Any) -> list[Any]:
        """Every rank's ``value``, in rank order."""
        gathered: list[Any] = [None] * self.world_size
        dist.all_gather_object(gathered, value)
        return gathered

    def all_gather_bytes(self, data: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
        """Every rank's ``data`` (``sizes[rank]`` bytes, ``uint8``), in rank order: one
        ``all_gather`` on this rank's device of buffers padded to the longest."""
        padded = torch.zeros(max(*sizes, 1), dtype=torch.uint8, device=self.device)
        padded[: data.size].copy_(torch.from_numpy(data))
        gathered = [torch.empty_like(padded) for _ in range(self.world_size)]
        dist.all_gather(gathered, padded)
        return [part[:size].cpu().numpy() for part, size in zip(gathered, sizes)]

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
            if not isinstance(tensor, UninitializedTensorMixin):  # a layer never called
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
        tensors, trackers = _metric_states(model)
        local = [t.clone() for t in tensors]
        local_counts = [t.count for t in trackers]
        self.sum_metrics(model)
        try:
            return {key: value.detach().clone() for key, value in model._logs().items()}
        finally:
            for tensor, saved in zip(tensors, local):
                tensor.copy_(saved)
            for tracker, count in zip(trackers, local_counts):
                tracker.count = count

    @torch.no_grad()
    def sum_metrics(self, model: Any) -> None:
        """Replace the model's loss trackers and metric states by their sums over all ranks."""
        tensors, trackers = _metric_states(model)
        counts = torch.tensor([float(t.count) for t in trackers], dtype=torch.float64)
        flat = torch.cat([t.reshape(-1).double().cpu() for t in tensors] + [counts])
        flat = flat.to(self.device)
        dist.all_reduce(flat)
        flat = flat.cpu()
        offset = 0
        for tensor in tensors:
            size = tensor.numel()
            tensor.copy_(flat[offset : offset + size].reshape(tensor.shape).to(tensor.dtype))
            offset += size
        for tracker, count in zip(trackers, flat[offset:].tolist()):
            tracker.count = count


def _metric_states(model: Any) -> tuple[list[torch.Tensor], list[Any]]:
    """The tensors every loss tracker and metric accumulates in, and the loss trackers."""
    state = model._compile_state
    trackers = list(state.loss.trackers.values()) if state.loss is not None else []
    variables = [v for metric in model.metrics for v in getattr(metric, "variables", [])]
    return [t.total for t in trackers] + variables, trackers


class ShardedAdapter:
    """This rank's share of ``adapter``'s data.

    For training (``even=True``) the adapter is made at ``N * batch_size`` and every rank
    takes an equal share of each batch, topping up an uneven one; an adapter over a
    map-style torch ``Dataset`` or ``DataLoader`` is rebuilt on a ``DistributedSampler``
    instead, and its batches are this rank's own. For evaluation and prediction
    (``even=False``) the shares are unequal, never padded, and empty ones are skipped;
    :meth:`gather` puts every rank's predictions back in input order.
    """

    def __init__(self, adapter: Any, context: Context, *, even: bool = True) -> None:
        self._context = context
        self._even = even
        self._sizes: list[int] = []  # the batches of the last pass, as every rank saw them
        if even:
            sampled = _distributed_loader(adapter, context)
        else:
            sampled = _shared_loader(adapter, context, self._sizes)
        self._sampled = sampled is not None
        self._adapter = adapter if sampled is None else sampled

    def __getattr__(self, name: str) -> Any:
        return getattr(self._adapter, name)

    def peek(self) -> Any:
        if self._sampled or not self._even:  # an uneven share may be empty: the whole batch
            return self._adapter.peek()
        with _shared_rng(self._context.seed):  # the pass peek starts is epoch 0's
            return self._share(self._adapter.peek())

    def batches(self, epoch: int) -> Iterator[Any]:
        if self._sampled:  # the sampler knows the batches (and self._sizes) already
            yield from self._adapter.batches(epoch)
            return
        self._sizes.clear()
        iterator = self._adapter.batches(epoch)
        with _shared_rng(self._context.seed + epoch):
            first = next(iterator, None)  # the shuffle is drawn when the pass starts
        if first is None:
            return
        for batch in itertools.chain([first], iterator):
            share = self._share(batch)
            if share is not None:
                yield share

    def gather(self, outputs: Any) -> Any:
        """Every rank's predictions of the last pass, in input order (``None`` if none).

        The ranks first exchange their outputs' structure and each array's shape and dtype;
        the arrays then travel as bytes, in one ``all_gather`` on the group's device. Arrays
        of Python objects, or arrays whose dtype or sample shape differs between the ranks,
        are pickled whole instead (and joined as ``np.concatenate`` joins them).

        Args:
            outputs: This rank's predictions, numpy arrays (or a list, tuple or dict of
                them) concatenated along the batch axis, or ``None`` when it had no rows.
        """
        layouts = self._context.all_gather_object(_layout(outputs))
        ranks = [rank for rank, layout in enumerate(layouts) if layout is not None]
        if not ranks:
            return None
        if _packable([layouts[rank][1] for rank in ranks]):
            every = self._gather_packed(outputs, [layout and layout[1] for layout in layouts])
        else:
            every = [tree.flatten(value) for value in self._context.all_gather_object(outputs)]
        positions = np.concatenate([self._rows(rank) for rank in ranks])
        order = np.argsort(positions, kind="stable")
        columns = zip(*(every[rank] for rank in ranks))
        leaves = iter([np.concatenate(column)[order] for column in columns])
        return tree.map_structure(lambda _: next(leaves), layouts[ranks[0]][0])

    def _gather_packed(
        self, outputs: Any, layouts: list[list[tuple[tuple[int, ...], np.dtype]] | None]
    ) -> list[list[np.ndarray] | None]:
        """Every rank's output arrays (``None`` for a rank without), through their bytes."""
        sizes = [
            sum(int(np.prod(shape)) * dtype.itemsize for shape, dtype in layout or [])
            for layout in layouts
        ]
        own = [] if outputs is None else tree.flatten(outputs)
        data = np.concatenate(
            [np.ascontiguousarray(leaf).reshape(-1).view(np.uint8) for leaf in own]
            or [np.zeros(0, dtype=np.uint8)]
        )
        every: list[list[np.ndarray] | None] = []
        for layout, received in zip(layouts, self._context.all_gather_bytes(data, sizes)):
            if layout is None:
                every.append(None)
                continue
            arrays, offset = [], 0
            for shape, dtype in layout:
                size = int(np.prod(shape)) * dtype.itemsize
                arrays.append(received[offset : offset + size].view(dtype).reshape(shape))
                offset += size
            every.append(arrays)
        return every

    def _rows(self, rank: int) -> np.ndarray:
        """The input positions of ``rank``'s rows in the last pass, in the order it ran them."""
        rows, offset = [], 0
        for size in self._sizes:
            start, stop = _bounds(size, rank, self._context.world_size)
            rows.append(np.arange(offset + start, offset + stop))
            offset += size
        return np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)

    def _share(self, batch: Any) -> Any:
        leaves = [leaf for leaf in tree.flatten(batch) if leaf is not None]
        size = len(leaves[0])
        world, rank = self._context.world_size, self._context.rank
        if not self._even:
            self._sizes.append(size)
            start, stop = _bounds(size, rank, world)
            if start == stop:
                return None
            return tree.map_structure(lambda t: None if t is None else t[start:stop], batch)
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


def _layout(outputs: Any) -> tuple[Any, list[tuple[tuple[int, ...], np.dtype] | None]] | None:
    """What a rank tells the others before gathering ``outputs``: their structure (leaves
    ``None``) and each leaf's shape and dtype (``None`` for a leaf that is no array of plain
    values, which then goes pickled); ``None`` for no outputs."""
    if outputs is None:
        return None
    leaves = [
        (leaf.shape, leaf.dtype)
        if isinstance(leaf, np.ndarray) and leaf.ndim and not leaf.dtype.hasobject
        else None
        for leaf in tree.flatten(outputs)
    ]
    return tree.map_structure(lambda _: None, outputs), leaves


def _packable(layouts: list[list[tuple[tuple[int, ...], np.dtype] | None]]) -> bool:
    """Whether the ranks' leaves (``_layout``) can travel as bytes: all arrays of plain
    values, and each alike on every rank in dtype and sample shape."""
    if any(leaf is None for layout in layouts for leaf in layout):
        return False
    if len({len(layout) for layout in layouts}) > 1:
        return False
    return all(
        len({(dtype, shape[1:]) for shape, dtype in leaves}) == 1 for leaves in zip(*layouts)
    )


def _bounds(size: int, rank: int, world: int) -> tuple[int, int]:
    """``rank``'s contiguous rows of a batch of ``size`` split without padding: the first
    ``size % world`` ranks take one more (so rank 0's share is never empty)."""
    share, extra = divmod(size, world)
    start = rank * share + min(rank, extra)
    return start, start + share + (rank < extra)


def _distributed_loader(adapter: Any, context: Context) -> DataLoaderAdapter | None:
    """``adapter`` loading through a ``DistributedSampler``; ``None`` when its loader's
    order is not a plain sequential or shuffled pass (an iterable dataset, a sampler or
    batch sampler of the user's), which is then shared batch by batch."""
    if not isinstance(adapter, DataLoaderAdapter):
        return None
    loader = adapter.loader
    sampler = loader.sampler
    if isinstance(sampler, DistributedSampler):
        return adapter  # the user shards it already
    shuffled = (
        type(sampler) is RandomSampler
        and not sampler.replacement
        and sampler._num_samples is None
    )
    if (
        isinstance(loader.dataset, IterableDataset)
        or loader.batch_size is None
        or not (shuffled or type(sampler) is SequentialSampler)
    ):
        return None
    batch_size = loader.batch_size
    if adapter.from_dataset:  # made here at N * batch_size
        batch_size //= context.world_size
    sampler = DistributedSampler(
        loader.dataset,
        num_replicas=context.world_size,
        rank=context.rank,
        shuffle=shuffled,
        seed=context.seed,
    )
    rebuilt = _reloaded(
        loader, batch_size=batch_size, sampler=sampler, drop_last=loader.drop_last
    )
    return adapter.with_loader(rebuilt)


def _shared_loader(
    adapter: Any, context: Context, sizes: list[int]
) -> DataLoaderAdapter | None:
    """``adapter`` loading only this rank's unequal share of every batch (see ``_bounds``),
    the batch sizes written into ``sizes``; ``None`` unless its loader makes a plain
    sequential pass over a map-style dataset of known length, for a whole pass (no
    ``steps``), in which every rank has a share."""
    if not isinstance(adapter, DataLoaderAdapter) or adapter._steps_per_epoch is not None:
        return None
    loader = adapter.loader
    if (
        isinstance(loader.dataset, IterableDataset)
        or loader.batch_size is None
        or type(loader.sampler) is not SequentialSampler
        or adapter.num_samples is None
        or adapter.num_samples < context.world_size
    ):
        return None
    length, size = adapter.num_samples, loader.batch_size
    sizes[:] = [min(size, length - start) for start in range(0, length, size)]
    if loader.drop_last and sizes and sizes[-1] < size:
        sizes.pop()
    batches, offset = [], 0
    for batch in sizes:
        start, stop = _bounds(batch, context.rank, context.world_size)
        if start < stop:
            batches.append(list(range(offset + start, offset + stop)))
        offset += batch
    return adapter.with_loader(_reloaded(loader, batch_sampler=batches))


def _reloaded(loader: DataLoader, **sampling: Any) -> DataLoader:
    """A loader like ``loader`` (workers, collation, memory) sampling as ``sampling`` says."""
    return DataLoader(
        loader.dataset,
        **sampling,
        num_workers=loader.num_workers,
        collate_fn=loader.collate_fn,
        pin_memory=loader.pin_memory,
        timeout=loader.timeout,
        worker_init_fn=loader.worker_init_fn,
        multiprocessing_context=loader.multiprocessing_context,
        generator=loader.generator,
        prefetch_factor=loader.prefetch_factor,
        persistent_workers=loader.persistent_workers,
        pin_memory_device=loader.pin_memory_device,
        **({"in_order": loader.in_order} if hasattr(loader, "in_order") else {}),  # torch 2.6
    )


def averaged_gradients(gradients: list[torch.Tensor | None]) -> list[torch.Tensor | None]:
    """The gradients' mean over the processes of the default group (``None`` entries stay
    ``None``), with one all-reduce per dtype, as DDP reduces its buckets."""
    averaged = list(gradients)
    world = dist.get_world_size()
    present = [i for i, g in enumerate(gradients) if g is not None]
    # dtypes in order of appearance: every rank must all-reduce them in the same order
    for dtype in dict.fromkeys(gradients[i].dtype for i in present):
        places = [i for i in present if gradients[i].dtype == dtype]
        flat = torch.cat([gradients[i].reshape(-1) for i in places])
        dist.all_reduce(flat)
        flat /= world
        for i, part in zip(places, flat.split([gradients[i].numel() for i in places])):
            averaged[i] = part.view_as(gradients[i])
    return averaged


@contextlib.contextmanager
def averaging_your_updates(active: bool) -> Iterator[None]:
    """While ``fit`` runs a ``train_step`` of the user's data-parallel: the step calls the
    model itself rather than its ``DistributedDataParallel`` wrapper, so every torchseq
    optimizer averages the gradients it is given over the processes before updating."""
    if not active:
        yield
        return
    Optimizer._gradient_averager = averaged_gradients
    try:
        yield
    finally:
        Optimizer._gradient_averager = None


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
