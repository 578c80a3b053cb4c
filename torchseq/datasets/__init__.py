"""Small datasets shipped inside the package, in the style of ``keras.datasets``."""

from torchseq.datasets import digits

__all__ = ["digits"]
