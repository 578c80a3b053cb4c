"""The ``.keras`` zip, laid out so that its HDF5 member is written and read in place.

A ``.keras`` archive is an ordinary zip (Keras reads it with ``zipfile``), its members stored
uncompressed. torchseq places ``model.weights.h5`` at a power-of-two offset: HDF5 looks for
its superblock at offsets 0, 512, 1024, ... and treats what comes before as a "user block",
so h5py writes the weights straight into the archive file (the zip headers go into the
user block afterwards) and reads them from it, with no copy of a large model's weights
through memory. Archives written by Keras, whose weights sit elsewhere, are read through
``zipfile``.
"""

from __future__ import annotations

import datetime
import struct
import zipfile
import zlib
from collections.abc import Callable

import h5py

__all__ = ["weights_offset", "write_archive"]

_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_CENTRAL_HEADER = struct.Struct("<IHHHHHHIIIHHHHHII")
_ZIP64_END = struct.Struct("<IQHHIIQQQQ")
_ZIP64_LOCATOR = struct.Struct("<IIQI")
_END = struct.Struct("<IHHHHIIH")
_ZIP64_VERSION = 45
_PLAIN_VERSION = 20
_ZIP64_EXTRA_ID = 0x0001
_PADDING_EXTRA_ID = 0xD935  # an alignment block, as Android's zipalign writes
_MAX_32 = 0xFFFFFFFF
_MIN_USER_BLOCK = 512
_ZIP64_EXTRA_SIZE = 20
# A local header's extra fields total at most 0xFFFF bytes: the zip64 one, then the padding.
_MAX_PADDING = 0xFFFF - _ZIP64_EXTRA_SIZE
_CHUNK = 16 * 2**20


def write_archive(
    path: str,
    members: list[tuple[str, bytes]],
    weights_name: str,
    write_weights: Callable[[h5py.File], None],
    *,
    stretchable: str,
) -> None:
    """Write a zip of ``members`` (name, bytes) and an HDF5 member filled by ``write_weights``.

    The HDF5 member comes last in the file's data and starts at a power-of-two offset. The
    gap before it is an extra field of its zip header, which holds at most 64 KiB; beyond
    that, member ``stretchable`` (JSON, to which trailing spaces mean nothing) takes the
    rest as trailing spaces.
    """
    names = [name for name, _ in members]
    if stretchable not in names:
        raise ValueError(f"write_archive: stretchable={stretchable!r} is not a member: {names}")
    stamp = _dos_time(datetime.datetime.now())
    base = _LOCAL_HEADER.size + len(weights_name.encode()) + _ZIP64_EXTRA_SIZE
    prefix, entries = _stored_members(members, stamp)
    user_block = _MIN_USER_BLOCK
    while user_block < len(prefix) + base + 4:  # + the padding block's own header
        user_block *= 2
    excess = user_block - len(prefix) - base - _MAX_PADDING
    if excess > 0:
        members = [
            (name, data + b" " * excess if name == stretchable else data)
            for name, data in members
        ]
        prefix, entries = _stored_members(members, stamp)
    header_offset = len(prefix)
    with h5py.File(path, "w", userblock_size=user_block) as file:
        write_weights(file)
    with open(path, "r+b") as file:
        file.seek(0, 2)
        end = file.tell()
        size = end - user_block
        crc = _crc_of(file, user_block, size)
        padding = user_block - header_offset - base
        extra = _zip64_extra(size) + struct.pack("<HH", _PADDING_EXTRA_ID, padding - 4)
        extra += bytes(padding - 4)
        file.seek(0)
        file.write(prefix)
        file.write(_local_header(weights_name, crc, size, stamp, extra, zip64=True))
        assert file.tell() == user_block
        entries.append((weights_name, header_offset, crc, size, True))
        file.seek(end)
        file.write(_central_directory(entries, stamp, end))


def _stored_members(
    members: list[tuple[str, bytes]], stamp: tuple[int, int]
) -> tuple[bytearray, list[tuple[str, int, int, int, bool]]]:
    """The zip's local headers and data of ``members``, and their central-directory
    entries (name, offset, crc, size, zip64)."""
    prefix = bytearray()
    entries = []
    for name, data in members:
        crc = zlib.crc32(data)
        entries.append((name, len(prefix), crc, len(data), False))
        prefix += _local_header(name, crc, len(data), stamp, b"") + data
    return prefix, entries


def weights_offset(archive: zipfile.ZipFile, name: str) -> int | None:
    """Where member ``name``'s data starts in the archive, if HDF5 can read it in place
    (stored, at a power-of-two offset); else ``None``."""
    info = archive.getinfo(name)
    if info.compress_type != zipfile.ZIP_STORED:
        return None
    archive.fp.seek(info.header_offset)
    header = archive.fp.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        return None
    fields = _LOCAL_HEADER.unpack(header)
    offset = info.header_offset + _LOCAL_HEADER.size + fields[9] + fields[10]
    is_power_of_two = offset >= _MIN_USER_BLOCK and offset & (offset - 1) == 0
    return offset if is_power_of_two else None


def _local_header(
    name: str, crc: int, size: int, stamp: tuple[int, int], extra: bytes, zip64: bool = False
) -> bytes:
    encoded = name.encode()
    stored_size = _MAX_32 if zip64 else size
    version = _ZIP64_VERSION if zip64 else _PLAIN_VERSION
    header = _LOCAL_HEADER.pack(
        0x04034B50, version, 0, zipfile.ZIP_STORED, stamp[1], stamp[0], crc,
        stored_size, stored_size, len(encoded), len(extra),
    )
    return header + encoded + extra


def _zip64_extra(size: int) -> bytes:
    return struct.pack("<HHQQ", _ZIP64_EXTRA_ID, 16, size, size)


def _central_directory(
    entries: list[tuple[str, int, int, int, bool]], stamp: tuple[int, int], start: int
) -> bytes:
    directory = bytearray()
    for name, offset, crc, size, zip64 in entries:
        encoded = name.encode()
        extra = _zip64_extra(size) if zip64 else b""
        stored_size = _MAX_32 if zip64 else size
        version = _ZIP64_VERSION if zip64 else _PLAIN_VERSION
        directory += _CENTRAL_HEADER.pack(
            0x02014B50, version, version, 0, zipfile.ZIP_STORED, stamp[1], stamp[0], crc,
            stored_size, stored_size, len(encoded), len(extra), 0, 0, 0, 0, offset,
        )
        directory += encoded + extra
    count = len(entries)
    zip64_end_at = start + len(directory)
    directory += _ZIP64_END.pack(
        0x06064B50, _ZIP64_END.size - 12, _ZIP64_VERSION, _ZIP64_VERSION, 0, 0,
        count, count, zip64_end_at - start, start,
    )
    directory += _ZIP64_LOCATOR.pack(0x07064B50, 0, zip64_end_at, 1)
    directory += _END.pack(
        0x06054B50, 0, 0, count, count, min(zip64_end_at - start, _MAX_32),
        min(start, _MAX_32), 0,
    )
    return bytes(directory)


def _crc_of(file: object, start: int, size: int) -> int:
    crc = 0
    file.seek(start)
    remaining = size
    while remaining:
        chunk = file.read(min(_CHUNK, remaining))
        if not chunk:
            raise OSError("the weights file ended early while it was being archived")
        crc = zlib.crc32(chunk, crc)
        remaining -= len(chunk)
    return crc


def _dos_time(moment: datetime.datetime) -> tuple[int, int]:
    """(date, time) in the zip format's MS-DOS encoding."""
    date = ((moment.year - 1980) << 9) | (moment.month << 5) | moment.day
    time = (moment.hour << 11) | (moment.minute << 5) | (moment.second // 2)
    return date, time
