"""Keras's ``keras.preprocessing`` namespace, which programs written for Keras 2 still import.

``preprocessing.sequence.pad_sequences`` is ``utils.pad_sequences``.
"""

from __future__ import annotations

from torchseq.preprocessing import sequence

__all__ = ["sequence"]
