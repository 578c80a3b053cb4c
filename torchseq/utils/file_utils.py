"""``utils.get_file``: download a file once into the Keras cache, check its hash, extract it.

Files live where Keras keeps them (``$KERAS_HOME/datasets``, else ``~/.keras/datasets``), so
torchseq and Keras share one cache. A download goes to a temporary file beside its target and
is moved into place only once complete and, when a hash is given, verified: an interrupted or
corrupted download never sits in the cache under the real name.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any

from torchseq.utils.archive_utils import extract_archive
from torchseq.utils.file_io import atomic_write
from torchseq.utils.io_utils import print_msg
from torchseq.utils.progbar import Progbar

__all__ = ["get_file", "hash_file", "validate_file"]

_HASH_ALGORITHMS = ("auto", "sha256", "md5")
_CHUNK_SIZE = 1 << 16
# Seconds without a byte from the server before a download is given up.
_STALL_TIMEOUT_S = 60.0


def get_file(
    fname: str | os.PathLike[str] | None = None,
    origin: str | None = None,
    untar: bool = False,
    md5_hash: str | None = None,
    file_hash: str | None = None,
    cache_subdir: str = "datasets",
    hash_algorithm: str = "auto",
    extract: bool = False,
    archive_format: str | Sequence[str] | None = "auto",
    cache_dir: str | os.PathLike[str] | None = None,
    force_download: bool = False,
) -> str:
    """Download a file from a URL unless it is already in the cache; mirrors ``keras.utils.get_file``.

    The file is saved as ``<cache_dir>/<cache_subdir>/<fname>``, by default
    ``~/.keras/datasets/<fname>`` (or ``$KERAS_HOME/datasets/<fname>``; when that folder
    cannot be written, ``/tmp/.keras/datasets/<fname>``). A file already there is used
    without touching the network, after checking its hash when ``file_hash`` is given (a
    file whose hash does not match is downloaded again). With ``extract=True`` a tar or zip
    archive is unpacked into a folder beside it and the folder's path is returned.

    Args:
        fname: Name of the file in the cache; ``None`` takes the last part of
            ``origin``'s path. A name, not a path: use ``cache_dir`` to choose the folder.
            With ``extract=True`` and a name without extension, the name of the folder
            the archive is extracted into.
        origin: URL of the file (``http://``, ``https://``, ``ftp://`` or ``file://``).
        untar: Deprecated in Keras in favour of ``extract``: extract a tar archive.
            Defaults to ``False``.
        md5_hash: Deprecated in Keras in favour of ``file_hash``: the file's md5 hash.
        file_hash: Expected sha256 or md5 hash (hex digits) of the file. Strongly
            recommended: it is what guarantees the file is the one you expect.
        cache_subdir: Folder under ``cache_dir`` to save into; an absolute path is used
            as is. Defaults to ``"datasets"``.
        hash_algorithm: ``"sha256"``, ``"md5"`` or ``"auto"`` (sha256 for a hash of 64
            hex digits, md5 otherwise). Defaults to ``"auto"``.
        extract: Whether to extract the file as an archive. Defaults to ``False``.
        archive_format: ``"auto"`` (tar, then zip), ``"tar"``, ``"zip"``, a list of
            those, or ``None``. Defaults to ``"auto"``.
        cache_dir: Cache root; ``None`` means ``$KERAS_HOME`` when set, else
            ``~/.keras``.
        force_download: Download even if the file is in the cache. Defaults to ``False``.

    Returns:
        The path of the file, or of the folder it was extracted into.

    Raises:
        ValueError: If ``origin`` is missing, ``fname`` is a path or cannot be taken from
            ``origin``, ``hash_algorithm`` is unknown, the downloaded file's hash does
            not match ``file_hash`` (the file is then not kept), the archive cannot be
            extracted, or a member of it would be written outside its folder.
        OSError: If the download fails (offline, unknown host, HTTP error); the message
            names the URL and the path where a copy of the file can be put by hand.

    Example:
        >>> path = get_file(
        ...     origin="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
        ...     file_hash="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
        ... )  # doctest: +SKIP
        >>> path  # doctest: +SKIP
        '/home/me/.keras/datasets/mnist.npz'
    """
    if origin is None:
        raise ValueError("get_file needs origin, the URL of the file to download; received None")
    if hash_algorithm not in _HASH_ALGORITHMS:
        raise ValueError(
            f"hash_algorithm must be one of {list(_HASH_ALGORITHMS)}, "
            f"received: hash_algorithm={hash_algorithm!r}"
        )
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    folder = _cache_folder(cache_dir, cache_subdir)
    download_target, extraction_dir = _targets(folder, fname, origin, extract or untar)

    downloaded = False
    if force_download or _needs_download(download_target, file_hash, hash_algorithm):
        print_msg(f"Downloading data from {origin}")
        _download(origin, download_target, file_hash, hash_algorithm, extraction_dir)
        downloaded = True
    if extraction_dir is None:
        return download_target
    # Keras unpacks again on every call; an archive that did not change is unpacked once.
    if downloaded or not os.path.isdir(extraction_dir):
        _extract(download_target, extraction_dir, "tar" if untar else archive_format)
    return extraction_dir


def hash_file(
    fpath: str | os.PathLike[str], algorithm: Any = "sha256", chunk_size: int = 65535
) -> str:
    """The hex digest of a file's content.

    Args:
        fpath: The file.
        algorithm: ``"sha256"``, ``"md5"`` (``"auto"`` means md5 here, as in Keras), or a
            ``hashlib`` hash object to update. Defaults to ``"sha256"``.
        chunk_size: Bytes read at a time. Defaults to ``65535``.

    Returns:
        The hash, as lowercase hex digits.
    """
    hasher = _hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as file:
        while chunk := file.read(chunk_size):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(
    fpath: str | os.PathLike[str],
    file_hash: str,
    algorithm: str = "auto",
    chunk_size: int = 65535,
) -> bool:
    """Whether a file's sha256 or md5 hash is ``file_hash`` (compared ignoring case).

    Args:
        fpath: The file.
        file_hash: The expected hash, as hex digits.
        algorithm: ``"sha256"``, ``"md5"`` or ``"auto"`` (sha256 for 64 hex digits, md5
            otherwise). Defaults to ``"auto"``.
        chunk_size: Bytes read at a time. Defaults to ``65535``.
    """
    algorithm = _resolve_algorithm(algorithm, file_hash)
    return hash_file(fpath, algorithm, chunk_size) == str(file_hash).lower()


def _resolve_algorithm(algorithm: str, file_hash: str | None) -> str:
    if algorithm == "auto":
        return "sha256" if file_hash is not None and len(file_hash) == 64 else "md5"
    return algorithm


def _hasher(algorithm: str) -> Any:
    if algorithm == "sha256":
        return hashlib.sha256()
    # md5 only checks integrity here; the flag keeps FIPS-mode Pythons from refusing it.
    return hashlib.md5(usedforsecurity=False)


def _cache_folder(
    cache_dir: str | os.PathLike[str] | None, cache_subdir: str | os.PathLike[str]
) -> str:
    """The first of ``<cache_dir>/<cache_subdir>`` and ``/tmp/.keras/<cache_subdir>`` that
    can be created and written, as Keras falls back."""
    home = os.path.expanduser(os.fspath(cache_dir)) if cache_dir is not None else _keras_home()
    candidates = [os.path.join(home, cache_subdir), os.path.join(_fallback_home(), cache_subdir)]
    for folder in candidates:
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            return folder
    raise PermissionError(
        f"get_file needs a writable cache folder; could not create or write {candidates[0]!r} "
        f"nor {candidates[1]!r}. Pass cache_dir=... or set KERAS_HOME to a writable folder."
    )


def _keras_home() -> str:
    """``$KERAS_HOME``, else ``~/.keras`` (``/tmp/.keras`` when the home folder is read-only).

    Read on every call, unlike Keras (which reads it once, at import).
    """
    configured = os.environ.get("KERAS_HOME")
    if configured:
        return os.path.expanduser(configured)
    home = os.path.expanduser("~")
    return os.path.join(home if os.access(home, os.W_OK) else _fallback_root(), ".keras")


def _fallback_home() -> str:
    return os.path.join(_fallback_root(), ".keras")


def _fallback_root() -> str:
    return "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()


def _targets(
    folder: str, fname: str | os.PathLike[str] | None, origin: str, extract: bool
) -> tuple[str, str | None]:
    """Where the download goes and, when extracting, the folder it is extracted into.

    The names are Keras's, so both libraries find each other's files: ``x.tar.gz`` is
    extracted into ``x_extracted``; a name without a dot is the folder, and the archive
    is saved beside it as ``<name>_archive``.
    """
    given = os.fspath(fname) if fname is not None else ""
    name = given or os.path.basename(urllib.parse.urlsplit(origin).path)
    if not name:
        raise ValueError(
            f"get_file could not take a file name from origin={origin!r}; pass fname=..."
        )
    if os.sep in given or (os.altsep and os.altsep in given):
        raise ValueError(
            "fname must be a file name, not a path; choose the folder with cache_dir=... "
            f"(and cache_subdir=...), received: fname={given!r}"
        )
    if not extract:
        return os.path.join(folder, name), None
    if given and "." in name:
        stem = name[: name.index(".")]
        return os.path.join(folder, name), os.path.join(folder, f"{stem}_extracted")
    return os.path.join(folder, f"{name}_archive"), os.path.join(folder, name)


def _needs_download(target: str, file_hash: str | None, algorithm: str) -> bool:
    if not os.path.exists(target):
        return True
    if file_hash is None or validate_file(target, file_hash, algorithm):
        return False
    print_msg(
        f"A local file was found at {target}, but its {_resolve_algorithm(algorithm, file_hash)} "
        f"hash does not match the expected {file_hash} (it may be incomplete or outdated), "
        "so it is downloaded again."
    )
    return True


def _download(
    origin: str,
    target: str,
    file_hash: str | None,
    algorithm: str,
    extraction_dir: str | None = None,
) -> None:
    """Fetch ``origin`` into a temporary file beside ``target``; check it; move it into place."""

    def write(temp_path: str) -> None:
        try:
            _fetch(origin, temp_path)
        except (OSError, http.client.HTTPException) as error:  # URLError is an OSError
            message = _failure_message(origin, target, file_hash, algorithm, extraction_dir, error)
            raise OSError(message) from error
        if file_hash is None:
            return
        resolved = _resolve_algorithm(algorithm, file_hash)
        received = hash_file(temp_path, resolved)
        if received != file_hash.lower():
            raise ValueError(
                f"The file downloaded from {origin} has {resolved} hash {received}, expected "
                f"{file_hash}; it was not saved. The download may be corrupted, or the file "
                "at the URL may have changed."
            )

    atomic_write(target, write)


def _fetch(origin: str, path: str) -> None:
    with urllib.request.urlopen(origin, timeout=_STALL_TIMEOUT_S) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length is not None and length.isdigit() else None
        progress = Progbar(total)
        received = 0
        with open(path, "wb") as file:
            while chunk := response.read(_CHUNK_SIZE):
                file.write(chunk)
                received += len(chunk)
                progress.update(received, finalize=False)
        if total is not None and received < total:
            raise urllib.error.ContentTooShortError(
                f"the connection closed after {received} of {total} bytes", None
            )
        progress.update(received, finalize=True)


def _failure_message(
    origin: str,
    target: str,
    file_hash: str | None,
    algorithm: str,
    extraction_dir: str | None,
    error: BaseException,
) -> str:
    reason = getattr(error, "reason", None) or error
    if isinstance(error, urllib.error.HTTPError):
        reason = f"HTTP {error.code} {error.reason}"
    check = ""
    if file_hash is not None:
        check = f" (its {_resolve_algorithm(algorithm, file_hash)} hash must be {file_hash})"
    then = "used from there" if extraction_dir is None else f"extracted into {extraction_dir}"
    return (
        f"Could not download {origin}: {reason}. If you are offline or the URL cannot be "
        f"reached, download the file another way and put it, as downloaded, at {target}{check}; "
        f"it is then {then} without touching the network."
    )


def _extract(archive: str, extraction_dir: str, archive_format: str | Sequence[str] | None) -> None:
    """Extract into a fresh folder beside ``extraction_dir``, then swap it in."""
    parent = os.path.dirname(extraction_dir)
    staging = tempfile.mkdtemp(prefix=".torchseq-extract-", dir=parent)
    try:
        if not extract_archive(archive, staging, archive_format):
            raise ValueError(
                f"get_file could not extract {archive}: it is not an archive of the formats "
                f"tried (archive_format={archive_format!r}; tar and zip are supported)"
            )
        if os.path.lexists(extraction_dir):
            _remove(extraction_dir)
        os.replace(staging, extraction_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.remove(path)
