"""``keras.preprocessing.text``: empty, as in Keras 3.

Keras 3 dropped Keras 2's ``Tokenizer``, ``one_hot``, ``hashing_trick`` and
``text_to_word_sequence`` (and ships no ``keras.preprocessing.text`` module at all). The module
exists here so that ``from torchseq.preprocessing import text`` does not fail; for text, use
``layers.TextVectorization`` and ``utils.text_dataset_from_directory``
(also ``preprocessing.text_dataset_from_directory``).
"""

from __future__ import annotations

__all__: list[str] = []
