"""``keras.distribution`` on torch: data parallelism across processes.

Under ``torchrun`` ``fit`` trains data-parallel by itself (see
``torchseq.training.distributed``); these names are Keras's explicit spelling of the same:

>>> from torchseq import distribution
>>> distribution.set_distribution(distribution.DataParallel())  # doctest: +SKIP

Keras's model-parallel layouts (``ModelParallel``, ``DeviceMesh``, ``LayoutMap``,
``TensorLayout``, ``distribute_tensor``) are JAX sharding concepts and are left out; on
torch, shard a model with ``torch.distributed`` itself.
"""

from __future__ import annotations

import os
from typing import Any

import torch
import torch.distributed as dist

__all__ = [
    "DataParallel",
    "distribution",
    "get_device_count",
    "initialize",
    "list_devices",
    "set_distribution",
]


def list_devices(device_type: str | None = None) -> list[str]:
    """The devices of this process, as Keras names them (``"cuda:0"``, ``"cpu:0"``)."""
    if device_type not in (None, "cpu", "gpu", "cuda"):
        raise ValueError(
            f"list_devices expects device_type None, 'cpu', 'gpu' or 'cuda', received: "
            f"{device_type!r}"
        )
    if device_type != "cpu" and torch.cuda.is_available():
        return [f"cuda:{index}" for index in range(torch.cuda.device_count())]
    if device_type in ("gpu", "cuda"):
        return []
    return ["cpu:0"]


def get_device_count(device_type: str | None = None) -> int:
    """How many devices :func:`list_devices` lists."""
    return len(list_devices(device_type))


def initialize(
    job_addresses: str | None = None, num_processes: int | None = None, process_id: int | None = None
) -> None:
    """Start the process group: from the arguments (Keras's), else from torchrun's
    environment. ``job_addresses`` is ``"host:port"`` of the coordinator (rank 0)."""
    if dist.is_initialized():
        return
    if job_addresses is not None:
        host, _, port = job_addresses.split(",")[0].rpartition(":")
        os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = host, port
    if num_processes is not None:
        os.environ["WORLD_SIZE"] = str(num_processes)
    if process_id is not None:
        os.environ["RANK"] = str(process_id)
    missing = [name for name in ("MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK")
               if name not in os.environ]
    if missing:
        raise ValueError(
            "initialize needs job_addresses, num_processes and process_id, or torchrun's "
            f"environment; missing: {missing}"
        )
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")


class DataParallel:
    """Keras's data-parallel distribution: one process per device, batches split, gradients
    averaged. ``fit`` does this by itself under torchrun; setting it also initialises the
    process group (see :func:`initialize`).

    Args:
        devices: Accepted for Keras's signature; each process uses its own device.
        device_mesh: Accepted when it is one-dimensional (a batch axis), as Keras's.
        auto_shard_dataset: Must be ``True``: ``fit`` shards every batch across processes.
    """

    def __init__(
        self, device_mesh: Any = None, devices: Any = None, auto_shard_dataset: bool = True
    ) -> None:
        if not auto_shard_dataset:
            raise ValueError(
                "DataParallel(auto_shard_dataset=False) is not supported: fit gives each "
                "process its share of every batch"
            )
        self.devices = devices if devices is not None else list_devices()
        self.device_mesh = device_mesh
        self.auto_shard_dataset = auto_shard_dataset

    def __repr__(self) -> str:
        return f"<DataParallel devices={self.devices}>"


_DISTRIBUTION: DataParallel | None = None


def set_distribution(value: DataParallel | None) -> None:
    """Train data-parallel (``DataParallel()``) or clear the setting (``None``)."""
    global _DISTRIBUTION
    if value is not None and not isinstance(value, DataParallel):
        raise TypeError(
            "set_distribution expects a DataParallel or None (model parallelism is not "
            f"supported), received: {value!r}"
        )
    if value is not None and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        initialize()
    _DISTRIBUTION = value


def distribution() -> DataParallel | None:
    """The distribution set with :func:`set_distribution` (``None`` if none)."""
    return _DISTRIBUTION
