"""Atomic file writes: a reader never sees half a file, a crash never leaves one.

Used by ``model.save`` / ``save_weights`` and the callbacks that save.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable

__all__ = ["atomic_write"]

# Temporary folders are named after the writing process, so that the next save in the same
# folder can tell those of a process that died (and remove them) from those still in use.
_TEMP_PREFIX = ".torchseq-tmp-"


def atomic_write(path: str, write: Callable[[str], None]) -> None:
    """Call ``write(temp_path)``, then move the result onto ``path`` in one step.

    The temporary file sits in a fresh folder beside ``path`` (same file system, so
    ``os.replace`` is atomic) and has ``path``'s own file name, so a writer that checks
    the extension sees the right one. Missing parent folders are created. Temporary
    folders left beside ``path`` by a process that no longer runs are removed first.

    Raises:
        IsADirectoryError: If ``path`` is an existing folder.
    """
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"expected a file path to save to, received an existing directory: {path!r}"
        )
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    _remove_stale_temp_dirs(directory)
    temp_dir = tempfile.mkdtemp(prefix=f"{_TEMP_PREFIX}{os.getpid()}-", dir=directory)
    try:
        temp_path = os.path.join(temp_dir, os.path.basename(path))
        write(temp_path)
        previous = _hold_open(path)
        try:
            os.replace(temp_path, path)
        finally:
            if previous is not None:
                # The replaced file's blocks are freed when its last descriptor closes: do
                # that off the caller's path (a large checkpoint takes a while to free).
                threading.Thread(target=os.close, args=(previous,), daemon=True).start()
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)


def _hold_open(path: str) -> int | None:
    """A descriptor of the file about to be replaced (POSIX only), or None."""
    if os.name != "posix":
        return None
    try:
        return os.open(path, os.O_RDONLY)
    except OSError:
        return None


def _remove_stale_temp_dirs(directory: str) -> None:
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if not name.startswith(_TEMP_PREFIX):
            continue
        pid = name[len(_TEMP_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _process_alive(int(pid)):
            shutil.rmtree(os.path.join(directory, name), ignore_errors=True)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True
