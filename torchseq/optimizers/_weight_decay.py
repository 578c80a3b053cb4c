"""Which parameters weight decay applies to (Keras's ``exclude_from_weight_decay``)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import torch

__all__ = ["WeightDecayFilter"]


class WeightDecayFilter:
    """Parameters exempted by identity or by a pattern found in their ``path`` or ``name``.

    The answer per parameter is cached, so the training step pays one dict lookup.
    """

    def __init__(self) -> None:
        self._excluded: set[int] = set()
        self._pattern: re.Pattern[str] | None = None
        self._cache: dict[int, bool] = {}

    def exclude(
        self, var_list: Iterable[torch.Tensor] | None, var_names: Iterable[str] | None
    ) -> None:
        """Replace the exemptions: these parameters, and those whose label matches a name."""
        self._excluded = {id(p) for p in var_list or ()}
        names = list(var_names or ())
        self._pattern = re.compile("|".join(names)) if names else None
        self._cache.clear()

    def applies_to(self, param: torch.Tensor) -> bool:
        """Whether weight decay changes ``param``."""
        key = id(param)
        if key not in self._cache:
            label = getattr(param, "path", None) or getattr(param, "name", None) or ""
            matched = self._pattern is not None and self._pattern.search(str(label)) is not None
            self._cache[key] = key not in self._excluded and not matched
        return self._cache[key]

    def forget(self) -> None:
        """Drop the cached answers (parameters were replaced)."""
        self._cache.clear()
