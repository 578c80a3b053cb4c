"""torchseq's version, and ``version()`` as ``keras.version()`` spells it."""

from __future__ import annotations

__all__ = ["__version__", "version"]

__version__ = "0.1.0"


def version() -> str:
    """The version of torchseq, e.g. ``"0.1.0"`` (``keras.version()`` gives Keras's)."""
    return __version__
