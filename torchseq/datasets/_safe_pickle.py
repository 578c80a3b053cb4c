"""Reading the pickled parts of the dataset files without letting them run code.

IMDB and Reuters keep their ragged sequences as numpy object arrays, which ``.npy`` can only
store as a pickle, and the CIFAR batches are pickled dicts (written by Python 2). A pickle may
call anything it can name; the unpickler here resolves only the few names that rebuilding a
numpy array needs, from a fixed table and without importing anything, so a tampered file
fails to load instead of running code.
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from typing import IO, Any

import numpy as np

try:  # numpy >= 2
    from numpy._core import multiarray as _multiarray
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core import multiarray as _multiarray

__all__ = ["load_npz", "load_pickle"]

# Files written under numpy 1 (and by Python 2) name ``numpy.core``; numpy 2 writes
# ``numpy._core``. Both resolve to the same objects.
_ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    **{
        (module, name): getattr(_multiarray, name)
        for module in ("numpy.core.multiarray", "numpy._core.multiarray")
        for name in ("_reconstruct", "scalar")
    },
}


class _ArrayOnlyUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds numpy arrays, Python containers and scalars, and nothing else."""

    def __init__(self, file: IO[bytes], source: str, encoding: str = "ASCII") -> None:
        super().__init__(file, encoding=encoding)
        self._source = source

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"Refusing to load {self._source}: its pickle asks for {module}.{name}, which "
                "rebuilding numpy arrays does not need. The file may be corrupted or tampered "
                "with; delete it to download it again."
            ) from None


def load_pickle(path: str | os.PathLike[str], encoding: str = "bytes") -> Any:
    """Unpickle a file that may hold only numpy arrays, containers, strings and numbers.

    Args:
        path: The file.
        encoding: How Python 2 ``str`` objects are read; ``"bytes"`` (the default) keeps
            them as ``bytes``.

    Raises:
        pickle.UnpicklingError: If the pickle names anything else.
    """
    with open(path, "rb") as file:
        return _ArrayOnlyUnpickler(file, os.fspath(path), encoding=encoding).load()


def load_npz(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """All arrays of a ``.npz`` file; object arrays are rebuilt by the restricted unpickler.

    Raises:
        pickle.UnpicklingError: If an object array's pickle names anything else.
    """
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                source = f"{os.fspath(path)} (member {member})"
                arrays[member[: -len(".npy")]] = _read_npy(archive.read(member), source)
    return arrays


def _read_npy(content: bytes, source: str) -> np.ndarray:
    stream = io.BytesIO(content)
    major, _ = np.lib.format.read_magic(stream)
    # Formats 2.0 and 3.0 differ only in the header's text encoding (ASCII in practice).
    read_header = (
        np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
    )
    _, _, dtype = read_header(stream)
    if not dtype.hasobject:
        stream.seek(0)
        return np.lib.format.read_array(stream, allow_pickle=False)
    array = _ArrayOnlyUnpickler(stream, source).load()
    if not isinstance(array, np.ndarray):
        raise ValueError(  # noqa: TRY004 - a malformed file is a bad value
            f"{source} should hold a numpy array, its pickle holds a {type(array).__name__}"
        )
    return array
