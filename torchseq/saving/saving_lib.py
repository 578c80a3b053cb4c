"""Keras 3's ``.keras`` archive and ``.weights.h5`` file: writing and reading.

A ``.keras`` file is a zip holding ``metadata.json``, ``config.json`` (the serialized model,
with its ``build_config`` and ``compile_config``), ``model.weights.h5`` (the weights and
optimizer variables in Keras's HDF5 layout, see ``weights_file``) and ``assets/``: the files
layers write with ``save_assets`` (an adapted lookup layer's ``vocabulary.txt``) under the
layer's path in the weights tree, ``assets/layers/string_lookup/vocabulary.txt``. Every write goes to a
temporary file beside the target and is moved over it in one step; reading checks the whole
archive and never unpickles or imports anything the file names.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from typing import Any

import h5py

from torchseq.layers.layer import Layer
from torchseq.saving import serialization_lib
from torchseq.saving.archive import weights_offset, write_archive
from torchseq.saving.object_tree import state_entries
from torchseq.saving.weights_file import open_h5, read_weights, write_weights
from torchseq.utils.file_io import atomic_write

__all__ = ["load_model", "load_weights", "save_model", "save_weights"]

_CONFIG = "config.json"
_METADATA = "metadata.json"
_WEIGHTS = "model.weights.h5"
_ASSETS = "assets/"
# The version of Keras's format these files follow (Keras reads them as its own).
KERAS_FORMAT_VERSION = "3.15.1"
# Limits on what an archive may make us read into memory. Members are written stored
# (uncompressed), and DEFLATE cannot shrink real weights 100x: a large member that claims
# to expand more than that is a decompression bomb.
_MAX_JSON_BYTES = 256 * 2**20
_BOMB_FLOOR_BYTES = 64 * 2**20
_MAX_EXPANSION = 100
_CHUNK = 16 * 2**20


def save_model(model: Layer, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
    """Save ``model`` (architecture, weights, compile state, optimizer) as a ``.keras`` file.

    Args:
        model: The model to save.
        filepath: Path ending in ``.keras``.
        overwrite: Replace an existing file. With ``False`` an existing file is an error.
        **kwargs: ``include_optimizer`` (default ``True``); ``zipped`` must be ``True``.

    Raises:
        ValueError: For another suffix, an existing file with ``overwrite=False``, or a model
            whose config cannot be written.
    """
    include_optimizer = kwargs.pop("include_optimizer", True)
    zipped = kwargs.pop("zipped", True)
    if kwargs:
        raise TypeError(f"save_model got unexpected keyword argument(s) {sorted(kwargs)}")
    if not zipped:
        raise ValueError("save_model: only zipped .keras archives are written, received zipped=False")
    path = _checked_path(filepath, ".keras", "save_model", "model.save('model.keras')")
    _check_overwrite(path, overwrite)
    config = serialization_lib.serialize_keras_object(model)
    if not include_optimizer:
        config.pop("compile_config", None)
    config_json = json.dumps(config, default=_json_default)
    metadata = json.dumps(
        {
            "keras_version": KERAS_FORMAT_VERSION,
            "torchseq_version": _version(),
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        }
    )

    assets = _asset_members(model)

    def write(temp_path: str) -> None:
        write_archive(
            temp_path,
            [(_METADATA, metadata.encode()), (_CONFIG, config_json.encode()), *assets],
            _WEIGHTS,
            lambda root: write_weights(root, model, include_optimizer=include_optimizer),
            stretchable=_CONFIG,
        )

    atomic_write(path, write)


def load_model(
    filepath: Any,
    custom_objects: dict[str, Any] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Layer:
    """Load a model saved by :func:`save_model` or by Keras 3 (``model.save("m.keras")``),
    or a Keras 2 whole-model ``.h5`` / ``.hdf5`` file (its optimizer state is not restored).

    Args:
        filepath: Path of a ``.keras`` (or legacy ``.h5`` / ``.hdf5``) file.
        custom_objects: ``{name: class_or_function}`` for your own layers, losses, ...
        compile: Restore the compile state (optimizer with its variables, losses, metrics).
        safe_mode: Refuse Python code stored in the file (a ``Lambda``'s function).

    Raises:
        ValueError: For a missing, damaged or foreign file (naming the path and the
            problem), a class that is not torchseq's nor given in ``custom_objects``, or a
            lambda in safe mode.
    """
    if isinstance(filepath, (str, os.PathLike)) and os.fspath(filepath).endswith((".h5", ".hdf5")):
        return _load_legacy_model(os.fspath(filepath), custom_objects, compile, safe_mode)
    path = _checked_path(filepath, ".keras", "load_model", "keras.saving.load_model('model.keras')")
    if not os.path.isfile(path):
        raise ValueError(f"load_model: file not found: {path!r}")
    try:
        with zipfile.ZipFile(path, "r") as archive:
            config = _read_config(archive, path)
            weights = _weights_source(archive, path)
            if not compile:
                config.pop("compile_config", None)
            model = serialization_lib.deserialize_keras_object(
                config, custom_objects=custom_objects, safe_mode=safe_mode
            )
            if not isinstance(model, Layer):
                raise ValueError(  # noqa: TRY004 - a file's content, not an argument, is wrong
                    f"load_model: {path!r} does not describe a model, it gives {model!r}"
                )
            _load_assets(model, archive, path)
    except zipfile.BadZipFile as error:
        raise ValueError(
            f"load_model: {path!r} is not a .keras archive (not a readable zip file: {error})"
        ) from error
    with open_h5(weights, f"{path}:{_WEIGHTS}") as root:
        read_weights(root, model, source=f"{path}:{_WEIGHTS}", load_optimizer=compile)
    return model


def _load_legacy_model(
    path: str, custom_objects: dict[str, Any] | None, compile: bool, safe_mode: bool
) -> Layer:
    from torchseq.saving.legacy_h5 import load_legacy_model

    if not os.path.isfile(path):
        raise ValueError(f"load_model: file not found: {path!r}")
    return load_legacy_model(
        path, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode
    )


def save_weights(model: Layer, filepath: Any, overwrite: bool = True) -> None:
    """Write ``model``'s weights (and optimizer variables) to a Keras ``.weights.h5`` file."""
    path = _checked_path(filepath, ".weights.h5", "save_weights", "model.save_weights('model.weights.h5')")
    _check_overwrite(path, overwrite)

    def write(temp_path: str) -> None:
        with h5py.File(temp_path, "w") as root:
            write_weights(root, model, include_optimizer=True)

    atomic_write(path, write)


def load_weights(model: Layer, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
    """Load weights from a ``.weights.h5`` file, a ``.keras`` archive's weights, or a Keras 2
    ``.h5`` / ``.hdf5`` file (weights only, or a whole model's ``model_weights``).

    Every array is checked against the model before the first is copied.

    Args:
        model: The model to load into; it must be built.
        filepath: Path ending in ``.weights.h5``, ``.keras``, ``.h5`` or ``.hdf5``.
        skip_mismatch: Skip, with a warning, what does not fit instead of raising: layers
            (``.weights.h5``) or weights (legacy ``.h5``) whose shapes differ.
        **kwargs: ``by_name`` (legacy ``.h5`` only): match layers by name, as Keras.
    """
    by_name = kwargs.pop("by_name", None)
    if kwargs:
        raise ValueError(f"load_weights: invalid keyword arguments: {kwargs}")
    path = os.fspath(filepath) if isinstance(filepath, (str, os.PathLike)) else filepath
    if not isinstance(path, str) or not path.endswith((".weights.h5", ".keras", ".h5", ".hdf5")):
        raise ValueError(
            "load_weights: the file name must end in .weights.h5 (or .keras, or .h5 / .hdf5 "
            f"for Keras 2's format), received: {filepath!r}"
        )
    is_legacy = not path.endswith((".weights.h5", ".keras"))
    if by_name is not None and not is_legacy:
        raise ValueError(
            "load_weights: `by_name` only applies to legacy '.h5' or '.hdf5' files, "
            f"received: {filepath!r}"
        )
    if not os.path.isfile(path):
        raise ValueError(f"load_weights: file not found: {path!r}")
    if is_legacy:
        from torchseq.saving.legacy_h5 import load_legacy_weights

        load_legacy_weights(model, path, by_name=bool(by_name), skip_mismatch=skip_mismatch)
        return
    if path.endswith(".keras"):
        try:
            with zipfile.ZipFile(path, "r") as archive:
                source = _weights_source(archive, path)
        except zipfile.BadZipFile as error:
            raise ValueError(f"load_weights: {path!r} is not a .keras archive ({error})") from error
        name = f"{path}:{_WEIGHTS}"
    else:
        source, name = path, path
    with open_h5(source, name) as root:
        read_weights(root, model, source=name, skip_mismatch=skip_mismatch)


# ---------------------------------------------------------------------- helpers


def _asset_owners(model: Layer, method: str) -> Iterator[tuple[str, Layer]]:
    """``(path, layer)`` for each layer of ``model`` that has ``method`` (``save_assets`` /
    ``load_assets``), at its path in Keras's object tree (the weights file's)."""
    seen: set[int] = set()
    for entry in state_entries(model):
        owner = entry.owner
        if id(owner) in seen or not callable(getattr(owner, method, None)):
            continue
        seen.add(id(owner))
        yield entry.path, owner


def _asset_members(model: Layer) -> list[tuple[str, bytes]]:
    """The files each layer writes with ``save_assets``, as ``(member name, bytes)``."""
    members = []
    with tempfile.TemporaryDirectory() as root:
        for index, (path, layer) in enumerate(_asset_owners(model, "save_assets")):
            directory = os.path.join(root, str(index))
            os.mkdir(directory)
            layer.save_assets(directory)
            for name in sorted(os.listdir(directory)):
                file_path = os.path.join(directory, name)
                if os.path.isfile(file_path):
                    with open(file_path, "rb") as file:
                        members.append((_asset_name(path, name), file.read()))
    return members


def _load_assets(model: Layer, archive: zipfile.ZipFile, path: str) -> None:
    """Give each layer with ``load_assets`` the files stored under its path in ``assets/``
    (only the files directly there, each copied out under its own base name)."""
    names = set(archive.namelist())
    for layer_path, layer in _asset_owners(model, "load_assets"):
        prefix = _asset_name(layer_path, "")
        files = sorted(n for n in names if n.startswith(prefix) and _is_file_name(n[len(prefix) :]))
        if not files:
            continue
        with tempfile.TemporaryDirectory() as directory:
            for name in files:
                data = _read_member(archive, name, path, limit=_MAX_JSON_BYTES)
                with open(os.path.join(directory, name[len(prefix) :]), "wb") as file:
                    file.write(data)
            layer.load_assets(directory)


def _is_file_name(name: str) -> bool:
    """Whether ``name`` names a file directly in a folder (no sub-path, no ``..``)."""
    return name not in ("", ".", "..") and "/" not in name and "\\" not in name


def _asset_name(layer_path: str, file_name: str) -> str:
    return f"{_ASSETS}{layer_path}/{file_name}" if layer_path else f"{_ASSETS}{file_name}"



def _weights_source(archive: zipfile.ZipFile, path: str) -> str | io.BytesIO:
    """What h5py opens for the archive's weights: the archive itself when the member sits
    where HDF5 finds it (torchseq's archives), else the member read into memory.

    Either way the member's checksum is verified first.
    """
    _verify_member(archive, _WEIGHTS, path)
    if weights_offset(archive, _WEIGHTS) is not None:
        return path
    return io.BytesIO(_read_member(archive, _WEIGHTS, path))


def _verify_member(archive: zipfile.ZipFile, name: str, path: str) -> None:
    """Stream a member through zipfile, which checks its size and CRC at the end."""
    _check_member_size(archive, name, path)
    try:
        with archive.open(name) as member:
            while member.read(_CHUNK):
                pass
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ValueError(f"{path!r}: cannot read {name!r}, the archive is damaged ({error})") from error


def _read_config(archive: zipfile.ZipFile, path: str) -> dict[str, Any]:
    names = archive.namelist()
    unknown = [n for n in names if n not in (_CONFIG, _METADATA, _WEIGHTS) and not n.startswith(_ASSETS)]
    if unknown:
        raise ValueError(
            f"load_model: {path!r} holds unexpected member(s) {unknown}; a .keras archive "
            f"holds {_METADATA}, {_CONFIG}, {_WEIGHTS} and assets/. Nothing was loaded."
        )
    text = _read_member(archive, _CONFIG, path, limit=_MAX_JSON_BYTES)
    try:
        config = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"load_model: {path!r} has a damaged {_CONFIG} ({error})") from error
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"load_model: {path!r}'s {_CONFIG} does not describe a model (expected a dict with "
            f"'class_name', received {type(config).__name__})"
        )
    return config


def _check_member_size(
    archive: zipfile.ZipFile, name: str, path: str, limit: int | None = None
) -> None:
    try:
        info = archive.getinfo(name)
    except KeyError as error:
        raise ValueError(
            f"{path!r} is not a complete .keras archive: it has no {name!r} (members: "
            f"{archive.namelist()})"
        ) from error
    if limit is not None and info.file_size > limit:
        raise ValueError(f"{path!r}: {name!r} is {info.file_size} bytes, over the {limit} limit")
    if info.file_size > _BOMB_FLOOR_BYTES and info.file_size > _MAX_EXPANSION * info.compress_size:
        raise ValueError(
            f"{path!r}: {name!r} claims {info.file_size} bytes stored in {info.compress_size}; "
            "refused as a decompression bomb"
        )


def _read_member(archive: zipfile.ZipFile, name: str, path: str, limit: int | None = None) -> bytes:
    _check_member_size(archive, name, path, limit)
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ValueError(f"{path!r}: cannot read {name!r}, the archive is damaged ({error})") from error


def _checked_path(filepath: Any, suffix: str, owner: str, example: str) -> str:
    if not isinstance(filepath, (str, os.PathLike)):
        raise TypeError(
            f"{owner}: filepath must be a str or os.PathLike, received: {filepath!r} of type "
            f"{type(filepath).__name__}"
        )
    path = os.fspath(filepath)
    if not path.endswith(suffix):
        hint = ""
        if path.endswith((".h5", ".hdf5")):
            hint = (
                " (Keras 3 writes weights only in that format; Keras 2's .h5 weight files are "
                "read by load_weights)"
                if owner == "save_weights"
                else " (Keras 2's .h5 format is read by load_model, not written)"
            )
        raise ValueError(
            f"{owner}: the file name must end in {suffix}{hint}, received: {path!r}. For "
            f"example: {example}"
        )
    return path


def _check_overwrite(path: str, overwrite: bool) -> None:
    if not overwrite and os.path.exists(path):
        raise ValueError(f"{path!r} exists and overwrite=False; nothing was written")


def _json_default(value: Any) -> Any:
    raise TypeError(
        f"Cannot write the model's config: {value!r} of type {type(value).__name__} is not "
        "JSON-serializable (a get_config() returned it)"
    )


def _version() -> str:
    import torchseq

    return torchseq.__version__
