"""Small files in the exact formats of the files Keras's dataset loaders download.

Every builder returns the file's bytes (made from a seeded generator) and, where a test
needs them, the arrays it holds.
"""

from __future__ import annotations

import gzip
import io
import json
import pickle
import struct
import tarfile
import zipfile

import numpy as np


def npz_bytes(compressed: bool = True, **arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def mnist_arrays(n_train: int = 7, n_test: int = 4, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def idx_gz(array: np.ndarray) -> bytes:
    """A gzipped IDX file of unsigned bytes (the format of the MNIST / Fashion-MNIST files)."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


class _Python2Pickler(pickle._Pickler):  # the pure-Python pickler, whose dispatch we extend
    """Writes pickles as Python 2 and numpy 1 did: ``str`` and ``bytes`` as Python 2 strings,
    numpy's functions under ``numpy.core``. The CIFAR batches were written this way."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_python2_string(self, text: str | bytes) -> None:
        raw = text.encode("latin-1") if isinstance(text, str) else text
        if len(raw) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(raw)]) + raw)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(raw)) + raw)
        self.memoize(text)

    dispatch[str] = save_python2_string
    dispatch[bytes] = save_python2_string

    def save_global(self, obj: object, name: str | None = None) -> None:
        module = obj.__module__.replace("numpy._core", "numpy.core")
        self.write(pickle.GLOBAL + f"{module}\n{name or obj.__name__}\n".encode())
        self.memoize(obj)


def python2_pickle(obj: object) -> bytes:
    buffer = io.BytesIO()
    _Python2Pickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue()


def cifar_batch(images: np.ndarray, labels: dict[str, list[int]], name: str) -> bytes:
    """One pickled batch: ``images`` of shape ``(n, 3, 32, 32)`` stored as rows of 3072 bytes."""
    batch = {
        b"batch_label": name.encode(),
        b"data": images.reshape(len(images), -1),
        b"filenames": [f"image_{index}.png".encode() for index in range(len(images))],
    }
    batch.update({key.encode(): values for key, values in labels.items()})
    return python2_pickle(batch)


def cifar_images(count: int, rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, 256, (count, 3, 32, 32), dtype=np.uint8)


def cifar10_archive(per_batch: int = 3, seed: int = 0) -> tuple[bytes, dict[str, tuple]]:
    """The CIFAR-10 tar.gz layout; returns it and each batch's ``(images, labels)``."""
    rng = np.random.default_rng(seed)
    names = [f"data_batch_{number}" for number in range(1, 6)] + ["test_batch"]
    batches, members = {}, {}
    for name in names:
        images = cifar_images(per_batch + (name == "test_batch"), rng)
        labels = rng.integers(0, 10, len(images)).tolist()
        batches[name] = (images, labels)
        members[f"cifar-10-batches-py/{name}"] = cifar_batch(images, {"labels": labels}, name)
    members["cifar-10-batches-py/batches.meta"] = python2_pickle({b"label_names": [b"plane"]})
    return tar_gz(members), batches


def cifar100_archive(n_train: int = 6, n_test: int = 4, seed: int = 0) -> tuple[bytes, dict]:
    """The CIFAR-100 tar.gz layout; returns it and each split's images and labels."""
    rng = np.random.default_rng(seed)
    splits, members = {}, {}
    for name, count in (("train", n_train), ("test", n_test)):
        images = cifar_images(count, rng)
        labels = {
            "fine_labels": rng.integers(0, 100, count).tolist(),
            "coarse_labels": rng.integers(0, 20, count).tolist(),
        }
        splits[name] = {"images": images, **labels}
        members[f"cifar-100-python/{name}"] = cifar_batch(images, labels, name)
    members["cifar-100-python/meta"] = python2_pickle({b"fine_label_names": [b"apple"]})
    return tar_gz(members), splits


def ragged(count: int, rng: np.random.Generator, vocabulary: int) -> np.ndarray:
    """An object array of ``count`` lists of Python ints of different lengths, as IMDB stores."""
    sequences = np.empty(count, dtype=object)
    for index in range(count):
        length = int(rng.integers(1, 12)) + index % 3
        sequences[index] = [int(word) for word in rng.integers(1, vocabulary, length)]
    return sequences


def imdb_arrays(n_train: int = 12, n_test: int = 9, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x_train": ragged(n_train, rng, 40),
        "y_train": rng.integers(0, 2, n_train),
        "x_test": ragged(n_test, rng, 40),
        "y_test": rng.integers(0, 2, n_test),
    }


def reuters_arrays(count: int = 20, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x": ragged(count, rng, 50), "y": rng.integers(0, 46, count)}


def word_index(size: int = 50) -> bytes:
    return json.dumps({f"word{rank}": rank for rank in range(1, size)}).encode()


def housing_arrays(count: int, features: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x": rng.normal(size=(count, features)).astype(np.float32),
        "y": rng.uniform(1e4, 5e5, count).astype(np.float32),
    }
