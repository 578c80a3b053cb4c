"""Atomic file writes for the callbacks that save: a reader never sees half a file."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable

__all__ = ["atomic_write"]


def atomic_write(path: str, write: Callable[[str], None]) -> None:
    """Call ``write(temp_path)``, then move the result onto ``path`` in one step.

    The temporary file sits in a fresh folder beside ``path`` (same file system, so
    ``os.replace`` is atomic) and has ``path``'s own file name, so a writer that checks
    the extension sees the right one. Missing parent folders are created.

    Raises:
        IsADirectoryError: If ``path`` is an existing folder.
    """
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"expected a file path to save to, received an existing directory: {path!r}"
        )
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    temp_dir = tempfile.mkdtemp(prefix=".tmp-", dir=directory)
    try:
        temp_path = os.path.join(temp_dir, os.path.basename(path))
        write(temp_path)
        os.replace(temp_path, path)
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
