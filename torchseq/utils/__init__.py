"""Utilities mirroring ``keras.utils``."""

from torchseq.utils.naming import clear_session
from torchseq.utils.numerical_utils import normalize, to_categorical

__all__ = ["clear_session", "normalize", "to_categorical"]
