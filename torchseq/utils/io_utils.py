"""Console output shared by the progress bar and the callbacks' messages.

``torchseq.config.disable_interactive_logging()`` sends all of it to the ``"torchseq"``
logger of Python's ``logging`` instead (Keras uses ``absl.logging``).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

from torchseq import config

__all__ = ["is_interactive", "print_msg"]

_logger = logging.getLogger("torchseq")


def print_msg(message: str, line_break: bool = True, stream: TextIO | None = None) -> None:
    """Write ``message`` to ``stream`` (``sys.stdout`` when ``None``) and flush.

    A stream whose encoding cannot show the bar's ``━`` and ``─`` gets ``=`` and ``.``
    instead (Keras 2's bar), and any other character it cannot encode is dropped, as
    Keras does.

    When interactive logging is disabled (``config.disable_interactive_logging()``) the
    message is logged at ``INFO`` level to the ``"torchseq"`` logger instead, whatever
    ``stream`` says, without its surrounding line breaks (``\\r``, ``\\n``) or trailing
    blanks.

    Args:
        message: The text.
        line_break: Whether to end it with a newline. Defaults to ``True``.
        stream: Where to write; ``None`` means the current ``sys.stdout``.
    """
    if not config.is_interactive_logging_enabled():
        _logger.info(str(message).strip("\r\n").rstrip())
        return
    stream = sys.stdout if stream is None else stream
    text = f"{message}\n" if line_break else str(message)
    try:
        stream.write(text)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "utf-8"
        text = text.replace("━", "=").replace("─", ".")
        stream.write(text.encode(encoding, errors="ignore").decode(encoding))
    stream.flush()


def is_interactive(stream: TextIO) -> bool:
    """Whether ``stream`` redraws a line on ``\\r``: a terminal, Jupyter or PyCharm's console.

    Files and pipes are not interactive. (Keras 3 also treats every POSIX process as
    interactive, which writes ``\\r`` and ``\\b`` into redirected logs; torchseq does not.)
    """
    isatty = getattr(stream, "isatty", None)
    try:
        if isatty is not None and isatty():
            return True
    except ValueError:  # a closed stream
        return False
    is_console = stream is sys.stdout or stream is sys.stderr
    return is_console and ("ipykernel" in sys.modules or "PYCHARM_HOSTED" in os.environ)
