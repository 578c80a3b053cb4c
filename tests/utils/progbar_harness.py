"""Shared by the progress-bar tests: a fake clock, a fake terminal, Keras's output made plain."""

from __future__ import annotations

import contextlib
import io
import re
import types
from collections.abc import Callable, Iterator
from typing import Any

GOLDEN_ENV = "TORCHSEQ_REGEN_GOLDEN"


class FakeClock:
    """``time.time`` stand-in: starts at ``start`` and moves only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        return True


def keras_as_plain_lines(text: str) -> str:
    """What Keras's non-terminal output says, in torchseq's plain form.

    Keras (with its ``_dynamic_display`` off) starts each drawing with a newline, pads with
    trailing spaces, colours the bar and tells the rest of the bar apart by colour only, and
    draws a full bar just before the final line repeats it; torchseq writes each drawing
    as one line, draws the rest with ``─``, uses no colour and leaves the repeat out.
    """
    text = re.sub(r"\x1b\[37m(━*)\x1b\[0m", lambda m: "─" * len(m.group(1)), text)
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    lines = [line.rstrip(" ") for line in text.split("\n") if line.strip(" ")]
    # torchseq leaves out a full bar that the next (final) line repeats.
    kept = [
        line
        for line, following in zip(lines, [*lines[1:], ""])
        if not (_is_full_bar(line) and _count(line) == _count(following))
    ]
    return "".join(line + "\n" for line in kept)


def _count(line: str) -> str:
    return line.split(" ", 1)[0] if line.strip() else ""


def _is_full_bar(line: str) -> bool:
    match = re.match(r"\s*(\d+)/(\d+) ━", line)
    return bool(match) and match.group(1) == match.group(2)


@contextlib.contextmanager
def keras_progbar_in_plain_mode(
    monkeypatch: Any, clock: Callable[[], float]
) -> Iterator[io.StringIO]:
    """Run Keras's Progbar with ``clock`` and no terminal; yields what it printed."""
    from keras.src.utils import progbar as keras_progbar

    monkeypatch.setattr(keras_progbar, "time", types.SimpleNamespace(time=clock))
    original_init = keras_progbar.Progbar.__init__

    def init_without_terminal(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self._dynamic_display = False

    monkeypatch.setattr(keras_progbar.Progbar, "__init__", init_without_terminal)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        yield buffer
