"""Utilities mirroring ``keras.utils``."""

from torchseq.utils.naming import clear_session
from torchseq.utils.numerical_utils import normalize, to_categorical
from torchseq.utils.progbar import Progbar
from torchseq.utils.random import set_random_seed
from torchseq.utils.sequence import PyDataset, Sequence

__all__ = ["Progbar", "PyDataset", "Sequence", "clear_session", "normalize", "set_random_seed", "to_categorical"]
