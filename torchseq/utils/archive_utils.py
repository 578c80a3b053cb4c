"""Safe extraction of tar and zip archives, for ``utils.get_file(..., extract=True)``.

An archive is checked member by member before anything is written: a name that would land
outside the target folder (an absolute path, ``..``), a link that points outside it, or a
device or pipe makes the whole extraction fail, so a tampered download cannot write
elsewhere on the disk. (Keras skips such members with a warning and extracts the rest.)
"""

from __future__ import annotations

import inspect
import os
import tarfile
import zipfile
from collections.abc import Sequence
from typing import NoReturn

__all__ = ["extract_archive"]

_FORMATS = ("tar", "zip")


def extract_archive(
    file_path: str | os.PathLike[str],
    path: str | os.PathLike[str] = ".",
    archive_format: str | Sequence[str] | None = "auto",
) -> bool:
    """Extract a tar (``.tar``, ``.tar.gz``, ``.tar.bz2``, ``.tar.xz``) or zip archive into ``path``.

    Mirrors Keras's ``keras.src.utils.file_utils.extract_archive``, except that an unsafe
    member fails the whole extraction instead of being skipped.

    Args:
        file_path: The archive.
        path: The folder to extract into; created if missing. Defaults to ``"."``.
        archive_format: ``"auto"`` (try tar, then zip), ``"tar"``, ``"zip"``, a list of
            those, or ``None`` (extract nothing). Defaults to ``"auto"``.

    Returns:
        ``True`` if the file was an archive of one of the formats tried and was
        extracted, ``False`` otherwise.

    Raises:
        ValueError: If ``archive_format`` names an unknown format, or a member of the
            archive would be written outside ``path`` or is not a plain file, folder or
            link.
    """
    file_path = os.fspath(file_path)
    root = os.path.realpath(os.fspath(path))
    for archive_type in _formats_to_try(archive_format):
        if archive_type == "tar" and tarfile.is_tarfile(file_path):
            with tarfile.open(file_path) as archive:
                _extract_tar(archive, root, file_path)
            return True
        if archive_type == "zip" and zipfile.is_zipfile(file_path):
            with zipfile.ZipFile(file_path) as archive:
                _extract_zip(archive, root, file_path)
            return True
    return False


def _formats_to_try(archive_format: str | Sequence[str] | None) -> list[str]:
    if archive_format is None:
        return []
    if archive_format == "auto":
        return list(_FORMATS)
    formats = [archive_format] if isinstance(archive_format, str) else list(archive_format)
    unknown = [name for name in formats if name not in _FORMATS]
    if unknown:
        raise ValueError(
            'archive_format must be "auto", "tar", "zip", a list of those, or None, '
            f"received: archive_format={archive_format!r}"
        )
    return formats


def _extract_tar(archive: tarfile.TarFile, root: str, file_path: str) -> None:
    members = archive.getmembers()
    for member in members:
        _check_tar_member(member, root, file_path)
    os.makedirs(root, exist_ok=True)
    options = {}
    # The "data" filter (Python 3.12, back-ported to 3.10.12 / 3.11.4) repeats the checks
    # above inside tarfile and also drops set-uid bits; older Pythons rely on ours alone.
    if "filter" in inspect.signature(archive.extractall).parameters:
        options["filter"] = "data"
    archive.extractall(root, members=members, **options)


def _check_tar_member(member: tarfile.TarInfo, root: str, file_path: str) -> None:
    destination = _inside(root, member.name)
    if destination is None:
        _refuse(file_path, member.name, f"it would be written outside {root}")
    if member.issym():
        link_target = os.path.join(os.path.dirname(destination), member.linkname)
        if _inside(root, link_target) is None:
            _refuse(file_path, member.name, f"it links to {member.linkname!r}, outside {root}")
    elif member.islnk():
        if _inside(root, member.linkname) is None:
            _refuse(file_path, member.name, f"it links to {member.linkname!r}, outside {root}")
    elif not (member.isfile() or member.isdir()):
        _refuse(file_path, member.name, "it is not a plain file, folder or link")


def _extract_zip(archive: zipfile.ZipFile, root: str, file_path: str) -> None:
    for name in archive.namelist():
        if _inside(root, name) is None:
            _refuse(file_path, name, f"it would be written outside {root}")
    os.makedirs(root, exist_ok=True)
    archive.extractall(root)


def _inside(root: str, relative: str) -> str | None:
    """The resolved path of ``relative`` under ``root``, or None if it leaves ``root``."""
    resolved = os.path.realpath(os.path.join(root, relative))
    try:
        if os.path.commonpath([resolved, root]) == root:
            return resolved
    except ValueError:  # different drives on Windows
        pass
    return None


def _refuse(file_path: str, member: str, reason: str) -> NoReturn:
    raise ValueError(
        f"Refusing to extract {file_path!r}: its member {member!r} is unsafe ({reason}). "
        "Nothing was extracted; the archive may be corrupted or tampered with."
    )
