"""utils.io_utils: writing messages, and telling a terminal from a file."""

from __future__ import annotations

import io
import sys

import pytest

from tests.utils.progbar_harness import FakeTerminal
from torchseq.utils.io_utils import is_interactive, print_msg


@pytest.mark.parametrize(
    ("line_break", "expected"), [(True, "hello\n"), (False, "hello")], ids=["line", "no_line"]
)
def test_print_msg(line_break, expected):
    stream = io.StringIO()
    print_msg("hello", line_break=line_break, stream=stream)
    assert stream.getvalue() == expected


def test_print_msg_defaults_to_stdout(capsys):
    print_msg("to stdout")
    assert capsys.readouterr().out == "to stdout\n"


def test_a_stream_that_cannot_encode_the_bar_gets_keras_2_characters():
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    print_msg("2/4 ━━─── é", stream=stream)
    assert raw.getvalue() == b"2/4 ==... \n"


@pytest.mark.parametrize(
    ("stream", "expected"),
    [(io.StringIO(), False), (FakeTerminal(), True)],
    ids=["file", "terminal"],
)
def test_is_interactive(stream, expected):
    assert is_interactive(stream) is expected


def test_a_closed_stream_is_not_interactive():
    stream = FakeTerminal()
    stream.close()
    assert is_interactive(stream) is False


def test_jupyter_stdout_is_interactive(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipykernel", object())
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert is_interactive(sys.stdout) is True
    assert is_interactive(io.StringIO()) is False
