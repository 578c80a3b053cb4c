"""The keras.io guide "Multi-GPU distributed training with PyTorch", run with torchseq.

The guide trains a Functional convnet with a plain PyTorch loop: one process per device,
started by ``torch.multiprocessing``, each holding a replica of the model behind
``DistributedDataParallel`` and reading its own part of MNIST through a
``DistributedSampler``. Its code runs here with ``import torchseq as keras``; what changes:

- on a machine without GPUs it runs 2 processes on the CPU over gloo (nccl and one
  process per GPU otherwise), and moves tensors with ``.to(device)`` instead of ``.cuda()``;
- the port of the rendezvous is a free one unless ``MASTER_PORT`` is set, each process
  flushes what it prints, and the DDP wrapper is freed before the process group is
  destroyed (on gloo, freeing it after can hang the process's exit);
- ``SMOKE=1`` in the environment trains on 128 random images instead of MNIST (for the
  test suite), and each replica ends by printing a digest of its weights (also written to
  ``replica<i>.digest`` in the folder ``DIGESTS`` names, if set): the replicas start from
  rank 0's weights and average every gradient, so the digests agree.

torchseq's own ``fit`` does all of this by itself under ``torchrun`` (see
``torchseq.training.distributed``); this file shows the hand-made route.
"""

import hashlib
import os
import socket

import numpy as np
import torch

import torchseq as keras

SMOKE = os.environ.get("SMOKE") == "1"


def get_model():
    # A small convnet: batch normalization, dropout, logits for 10 classes.
    inputs = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Rescaling(1.0 / 255.0)(inputs)
    x = keras.layers.Conv2D(filters=12, kernel_size=3, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization(scale=False, center=True)(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.Conv2D(filters=24, kernel_size=6, use_bias=False, strides=2)(x)
    x = keras.layers.BatchNormalization(scale=False, center=True)(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.Conv2D(
        filters=32, kernel_size=6, padding="same", strides=2, name="large_k"
    )(x)
    x = keras.layers.BatchNormalization(scale=False, center=True)(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(256, activation="relu")(x)
    x = keras.layers.Dropout(0.5)(x)
    outputs = keras.layers.Dense(10)(x)
    return keras.Model(inputs, outputs)


def get_dataset():
    # MNIST's training images as float32 of shape (28, 28, 1), labels as int64.
    if SMOKE:
        rng = np.random.default_rng(0)
        x_train = rng.integers(0, 256, (128, 28, 28), dtype=np.uint8)
        y_train = rng.integers(0, 10, 128)
    else:
        (x_train, y_train), _ = keras.datasets.mnist.load_data()
    x_train = np.expand_dims(x_train.astype("float32"), -1)
    print("x_train shape:", x_train.shape)
    return torch.utils.data.TensorDataset(
        torch.from_numpy(x_train), torch.from_numpy(y_train.astype("int64"))
    )


def train_model(model, dataloader, num_epochs, optimizer, loss_fn, device):
    for epoch in range(num_epochs):
        running_loss = 0.0
        running_loss_count = 0
        for inputs, targets in dataloader:
            inputs = inputs.to(device, non_blocking=True)
            targets = targets.to(device, non_blocking=True)

            outputs = model(inputs)
            loss = loss_fn(outputs, targets)

            optimizer.zero_grad()
            loss.backward()  # DDP averages the gradients of all replicas here
            optimizer.step()

            running_loss += loss.item()
            running_loss_count += 1
        mean_loss = running_loss / running_loss_count
        # flush: the processes share one stdout, and a forked one may end unflushed
        print(f"Epoch {epoch + 1}/{num_epochs}, Loss: {mean_loss}", flush=True)


# Config: one process per GPU, or 2 on the CPU.
num_gpu = torch.cuda.device_count()
num_processes = num_gpu or 2
num_epochs = 2
batch_size = 16 if SMOKE else 64


def setup_device(current_index, num_processes):
    """Join the process group and return this process's device."""
    backend = "nccl" if num_gpu else "gloo"
    torch.distributed.init_process_group(
        backend=backend, init_method="env://", world_size=num_processes, rank=current_index
    )
    if num_gpu:
        device = torch.device("cuda", current_index)
        torch.cuda.set_device(device)
        return device
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // num_processes))
    return torch.device("cpu")


def cleanup():
    torch.distributed.destroy_process_group()


def prepare_dataloader(dataset, current_index, num_processes, batch_size):
    # Each process reads its own part of every epoch (in the same order here, shuffle=False).
    sampler = torch.utils.data.distributed.DistributedSampler(
        dataset, num_replicas=num_processes, rank=current_index, shuffle=False
    )
    return torch.utils.data.DataLoader(
        dataset, sampler=sampler, batch_size=batch_size, shuffle=False
    )


def weights_digest(model):
    """A digest of every weight's bytes: equal digests mean equal replicas."""
    digest = hashlib.sha256()
    for weight in model.get_weights():
        digest.update(np.ascontiguousarray(weight).tobytes())
    return digest.hexdigest()[:16]


def per_device_launch_fn(current_index, num_processes):
    device = setup_device(current_index, num_processes)

    dataset = get_dataset()
    model = get_model()
    dataloader = prepare_dataloader(dataset, current_index, num_processes, batch_size)

    # torch's own optimizer and loss, on the torchseq model's parameters.
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()

    # DDP copies rank 0's weights into every replica, then keeps them in step.
    model = model.to(device)
    device_ids = [current_index] if num_gpu else None
    ddp_model = torch.nn.parallel.DistributedDataParallel(
        model, device_ids=device_ids, output_device=current_index if num_gpu else None
    )

    train_model(ddp_model, dataloader, num_epochs, optimizer, loss_fn, device)
    digest = weights_digest(model)
    print(f"Replica {current_index} weights digest: {digest}", flush=True)
    if os.environ.get("DIGESTS"):
        path = os.path.join(os.environ["DIGESTS"], f"replica{current_index}.digest")
        with open(path, "w") as file:
            file.write(digest)

    # Free DDP's reducer while the process group lives: on gloo, a reducer destroyed after
    # it (when this function returns) can hang the process's exit.
    del ddp_model
    cleanup()


def free_port():
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return str(probe.getsockname()[1])


if __name__ == "__main__":
    print(f"Running on {num_processes} processes ({num_gpu} GPUs)")
    os.environ["MASTER_ADDR"] = "localhost"
    os.environ.setdefault("MASTER_PORT", free_port())
    # "fork" rather than "spawn" keeps it usable from a notebook, as in the guide.
    torch.multiprocessing.start_processes(
        per_device_launch_fn,
        args=(num_processes,),
        nprocs=num_processes,
        join=True,
        start_method="fork",
    )
