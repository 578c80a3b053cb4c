"""Tests for utils.get_file: cache, hashes, atomic download, offline message, safe extraction.

Nothing here reaches the internet: files are served from 127.0.0.1 (or file://), and
every other connection fails (the ``no_internet`` fixture).
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from pathlib import Path

import pytest

from tests.datasets import fake_files, serving
from tests.datasets.serving import TRUNCATED_SUFFIX, cached, closed_port_url, sha256
from torchseq.utils import file_utils, get_file
from torchseq.utils.archive_utils import extract_archive

# The download harness's fixtures (no_internet applies to every test here).
no_internet = serving.no_internet
keras_home = serving.keras_home
server = serving.server

CONTENT = b"torchseq test payload\n" * 5000  # several chunks, so the bar moves


def leftovers(folder: str) -> list[str]:
    """Temporary files or folders left in a cache folder."""
    return [name for name in os.listdir(folder) if name.startswith(".torchseq")]


# --- download and cache -------------------------------------------------------------------


def test_downloads_into_keras_home_with_a_progress_bar(server, keras_home, capsys):
    url = server.add("payload.bin", CONTENT)
    path = get_file(origin=url, file_hash=sha256(CONTENT))
    assert path == cached(keras_home, "payload.bin")
    assert Path(path).read_bytes() == CONTENT
    out = capsys.readouterr().out
    assert f"Downloading data from {url}" in out
    assert f"{len(CONTENT)}/{len(CONTENT)}" in out
    assert leftovers(os.path.dirname(path)) == []


def test_a_cached_file_is_used_without_touching_the_network(server, keras_home):
    url = server.add("payload.bin", CONTENT)
    first = get_file("kept.bin", url, file_hash=sha256(CONTENT))
    server.stop()
    again = get_file("kept.bin", url, file_hash=sha256(CONTENT))
    without_hash = get_file("kept.bin", url)
    assert first == again == without_hash
    assert server.requests == ["/payload.bin"]


def test_a_cached_file_with_a_wrong_hash_is_downloaded_again(server, keras_home, capsys):
    url = server.add("payload.bin", CONTENT)
    target = Path(cached(keras_home, "payload.bin"))
    target.parent.mkdir(parents=True)
    target.write_bytes(b"half a file")
    assert get_file(origin=url, file_hash=sha256(CONTENT)) == str(target)
    assert target.read_bytes() == CONTENT
    assert "hash does not match" in capsys.readouterr().out


def test_force_download_downloads_again(server, keras_home):
    url = server.add("payload.bin", CONTENT)
    get_file(origin=url)
    get_file(origin=url, force_download=True)
    assert len(server.requests) == 2


def test_a_wrong_hash_raises_and_leaves_nothing_in_the_cache(server, keras_home):
    url = server.add("payload.bin", CONTENT)
    wrong = "0" * 64
    with pytest.raises(ValueError, match=f"has sha256 hash {sha256(CONTENT)}, expected {wrong}"):
        get_file(origin=url, file_hash=wrong)
    folder = cached(keras_home)
    assert os.listdir(folder) == []


def test_a_wrong_hash_keeps_the_previous_cached_file(server, keras_home):
    url = server.add("payload.bin", CONTENT)
    target = Path(cached(keras_home, "payload.bin"))
    target.parent.mkdir(parents=True)
    target.write_bytes(b"old")
    with pytest.raises(ValueError, match="it was not saved"):
        get_file(origin=url, file_hash="1" * 64)
    assert target.read_bytes() == b"old"


@pytest.mark.parametrize(
    "options",
    [
        {"file_hash": hashlib.md5(CONTENT).hexdigest()},  # "auto": 32 digits is md5
        {"md5_hash": hashlib.md5(CONTENT).hexdigest()},
        {"file_hash": hashlib.sha256(CONTENT).hexdigest(), "hash_algorithm": "sha256"},
        {"file_hash": hashlib.sha256(CONTENT).hexdigest().upper()},
    ],
    ids=["auto-md5", "md5_hash", "sha256", "uppercase"],
)
def test_hash_algorithms(server, keras_home, options):
    url = server.add("payload.bin", CONTENT)
    assert Path(get_file(origin=url, **options)).read_bytes() == CONTENT


def test_hash_file_and_validate_file(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(CONTENT)
    assert file_utils.hash_file(path) == sha256(CONTENT)
    assert file_utils.hash_file(path, "md5") == hashlib.md5(CONTENT).hexdigest()
    assert file_utils.validate_file(path, sha256(CONTENT))
    assert not file_utils.validate_file(path, hashlib.md5(b"other").hexdigest())


def test_a_file_origin_is_copied(tmp_path, keras_home):
    source = tmp_path / "source.bin"
    source.write_bytes(CONTENT)
    path = get_file(origin=source.as_uri(), file_hash=sha256(CONTENT))
    assert Path(path).read_bytes() == CONTENT


# --- where files go -----------------------------------------------------------------------


def test_cache_dir_and_cache_subdir(server, tmp_path):
    url = server.add("payload.bin", CONTENT)
    assert get_file(origin=url, cache_dir=tmp_path / "c") == str(
        tmp_path / "c/datasets/payload.bin"
    )
    assert get_file(origin=url, cache_dir=tmp_path / "c", cache_subdir="models") == str(
        tmp_path / "c/models/payload.bin"
    )
    absolute = tmp_path / "absolute"
    assert get_file("x.bin", url, cache_subdir=str(absolute)) == str(absolute / "x.bin")


def test_without_keras_home_the_cache_is_in_the_home_folder(server, tmp_path, monkeypatch):
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    url = server.add("payload.bin", CONTENT)
    assert get_file(origin=url) == str(tmp_path / ".keras/datasets/payload.bin")


def test_an_unwritable_cache_falls_back_to_tmp(server, tmp_path, monkeypatch):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setattr(file_utils, "_fallback_root", lambda: str(tmp_path / "tmp"))
    url = server.add("payload.bin", CONTENT)
    path = get_file(origin=url, cache_dir=blocker)
    assert path == str(tmp_path / "tmp/.keras/datasets/payload.bin")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fname": "x.bin"}, "needs origin"),
        ({"fname": "a/b.bin", "origin": "http://127.0.0.1/b.bin"}, "fname must be a file name"),
        ({"origin": "http://127.0.0.1/"}, "could not take a file name"),
        ({"origin": "http://127.0.0.1/b", "hash_algorithm": "sha1"}, "hash_algorithm must be"),
    ],
    ids=["no-origin", "path-as-fname", "no-name", "unknown-algorithm"],
)
def test_argument_errors(keras_home, kwargs, message):
    with pytest.raises(ValueError, match=message):
        get_file(**kwargs)


# --- failures -----------------------------------------------------------------------------


def test_offline_error_names_the_url_and_where_to_put_the_file(keras_home):
    url = closed_port_url("payload.bin")
    target = cached(keras_home, "payload.bin")
    with pytest.raises(OSError, match="Could not download") as caught:
        get_file(origin=url, file_hash=sha256(CONTENT))
    message = str(caught.value)
    assert url in message and f"put it, as downloaded, at {target} " in message
    assert f"sha256 hash must be {sha256(CONTENT)}" in message
    assert leftovers(os.path.dirname(target)) == []
    # Following the advice works, still without a network.
    Path(target).write_bytes(CONTENT)
    assert get_file(origin=url, file_hash=sha256(CONTENT)) == target


def test_offline_error_when_extracting_names_the_archive_and_the_folder(keras_home):
    url = closed_port_url("archive.tar.gz")
    with pytest.raises(OSError, match="Could not download") as caught:
        get_file("data", url, extract=True)
    archive, folder = cached(keras_home, "data_archive"), cached(keras_home, "data")
    assert f"put it, as downloaded, at {archive};" in str(caught.value)
    assert f"extracted into {folder} without" in str(caught.value)


def test_an_internet_url_fails_with_the_same_advice_when_offline(keras_home):
    url = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
    with pytest.raises(OSError, match="Could not download") as caught:
        get_file(origin=url)
    assert url in str(caught.value) and cached(keras_home, "mnist.npz") in str(caught.value)


def test_an_http_error_is_named(server, keras_home):
    with pytest.raises(OSError, match="HTTP 404"):
        get_file(origin=server.url("missing.bin"))
    assert not os.path.exists(cached(keras_home, "missing.bin"))


def test_a_download_cut_short_is_not_kept(server, keras_home):
    url = server.url("payload" + TRUNCATED_SUFFIX)
    with pytest.raises(OSError, match="after 10 of 1000 bytes"):
        get_file(origin=url)
    assert os.listdir(cached(keras_home)) == []


# --- extraction ---------------------------------------------------------------------------

MEMBERS = {"data/a.txt": b"alpha", "data/sub/b.txt": b"beta"}


def extracted_files(folder: str) -> dict[str, bytes]:
    found = {}
    for parent, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(parent, name)
            found[os.path.relpath(path, folder).replace(os.sep, "/")] = Path(path).read_bytes()
    return found


@pytest.mark.parametrize(
    ("fname", "archive", "extraction", "kept_as"),
    [
        ("data.tar.gz", fake_files.tar_gz(MEMBERS), "data_extracted", "data.tar.gz"),
        ("data", fake_files.tar_gz(MEMBERS), "data", "data_archive"),
        ("data.zip", fake_files.zip_bytes(MEMBERS), "data_extracted", "data.zip"),
        (None, fake_files.zip_bytes(MEMBERS), "served.zip", "served.zip_archive"),
    ],
    ids=["tar-with-extension", "tar-folder-name", "zip", "name-from-url"],
)
def test_extract(server, keras_home, fname, archive, extraction, kept_as):
    url = server.add("served.zip" if fname is None else "served", archive)
    path = get_file(fname, url, extract=True, file_hash=sha256(archive))
    assert path == cached(keras_home, extraction)
    assert extracted_files(path) == MEMBERS
    assert os.path.isfile(cached(keras_home, kept_as))
    assert leftovers(cached(keras_home)) == []


def test_untar(server, keras_home):
    url = server.add("served.tar.gz", fake_files.tar_gz(MEMBERS))
    assert extracted_files(get_file("data", url, untar=True)) == MEMBERS


def test_an_unchanged_archive_is_extracted_once(server, keras_home):
    url = server.add("served.tar.gz", fake_files.tar_gz(MEMBERS))
    path = get_file("data", url, extract=True)
    marker = Path(path, "marker")
    marker.write_text("left by the user")
    assert get_file("data", url, extract=True) == path and marker.exists()
    get_file("data", url, extract=True, force_download=True)
    assert not marker.exists() and extracted_files(path) == MEMBERS


def test_a_file_that_is_no_archive_is_an_error(server, keras_home):
    url = server.add("plain.bin", CONTENT)
    with pytest.raises(ValueError, match="could not extract"):
        get_file("plain", url, extract=True)
    with pytest.raises(ValueError, match="archive_format must be"):
        get_file("plain", url, extract=True, archive_format="rar")


def tar_with(*members: tarfile.TarInfo) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for member in members:
            archive.addfile(member, io.BytesIO(b"x" * member.size) if member.isfile() else None)
    return buffer.getvalue()


def tar_member(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type, member.linkname = kind, linkname
    member.size = 1 if kind == tarfile.REGTYPE else 0
    return member


UNSAFE_ARCHIVES = {
    "parent-dir": tar_with(tar_member("ok.txt"), tar_member("../escaped.txt")),
    "absolute": tar_with(tar_member("/tmp/torchseq-absolute-escape.txt")),
    "symlink-out": tar_with(tar_member("link", tarfile.SYMTYPE, "../../outside")),
    "symlink-absolute": tar_with(tar_member("link", tarfile.SYMTYPE, "/etc/passwd")),
    "hardlink-out": tar_with(tar_member("link", tarfile.LNKTYPE, "../outside")),
    "device": tar_with(tar_member("dev", tarfile.CHRTYPE)),
    "zip-parent-dir": fake_files.zip_bytes({"ok.txt": b"x", "../escaped.txt": b"x"}),
}


@pytest.mark.parametrize("name", list(UNSAFE_ARCHIVES))
def test_unsafe_archives_are_refused_whole(server, keras_home, name):
    archive = UNSAFE_ARCHIVES[name]
    url = server.add("bad", archive)
    with pytest.raises(ValueError, match="Refusing to extract .* is unsafe"):
        get_file("bad", url, extract=True)
    datasets = cached(keras_home)
    assert sorted(os.listdir(datasets)) == ["bad_archive"]  # nothing extracted, no leftovers
    assert not os.path.exists(os.path.join(keras_home, "escaped.txt"))
    assert not os.path.exists("/tmp/torchseq-absolute-escape.txt")


def test_links_inside_the_archive_are_kept(tmp_path):
    archive = tmp_path / "links.tar"
    archive.write_bytes(
        tar_with(
            tar_member("dir/file.txt"),
            tar_member("dir/link", tarfile.SYMTYPE, "file.txt"),
            tar_member("hard", tarfile.LNKTYPE, "dir/file.txt"),
        )
    )
    assert extract_archive(archive, tmp_path / "out")
    assert (tmp_path / "out/dir/link").read_bytes() == b"x"
    assert (tmp_path / "out/hard").read_bytes() == b"x"


def test_extract_archive_returns_false_for_other_files(tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("not an archive")
    assert not extract_archive(plain, tmp_path / "out")
    assert not extract_archive(plain, tmp_path / "out", archive_format=None)


# --- parity with Keras --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fname", "extract"),
    [("data.tar.gz", True), ("data", True), (None, True), ("renamed.bin", False), (None, False)],
)
def test_paths_match_keras(tmp_path, capsys, fname, extract):
    keras = pytest.importorskip("keras")
    source = tmp_path / "source.tar.gz"
    archive = fake_files.tar_gz(MEMBERS)
    source.write_bytes(archive)
    options = {"extract": extract, "file_hash": sha256(archive)}
    (tmp_path / "keras").mkdir()  # Keras falls back to /tmp/.keras for a folder not yet made
    ours = get_file(fname, source.as_uri(), cache_dir=tmp_path / "ours", **options)
    theirs = keras.utils.get_file(fname, source.as_uri(), cache_dir=tmp_path / "keras", **options)
    assert os.path.relpath(ours, tmp_path / "ours") == os.path.relpath(theirs, tmp_path / "keras")
    if extract:
        assert extracted_files(ours) == extracted_files(theirs)
    else:
        assert Path(ours).read_bytes() == Path(theirs).read_bytes()
