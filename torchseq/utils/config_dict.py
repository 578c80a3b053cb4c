"""``Config``: a dictionary of named settings that also reads and writes as attributes."""

from __future__ import annotations

import difflib
import json
from collections.abc import ItemsView, Iterator, KeysView, ValuesView
from typing import Any

__all__ = ["Config"]


class Config:
    """Named values reachable as ``config.name`` or ``config["name"]``, as ``keras.utils.Config``.

    A config can be frozen, after which every change raises ``ValueError``, and written
    as JSON. Iterating over it gives the names in sorted order (as Keras does);
    ``keys()``, ``values()`` and ``items()`` keep the order of insertion.

    Args:
        **values: The initial names and values.

    Example:
        >>> config = Config(learning_rate=0.1)
        >>> config.seed = 123
        >>> config["learning_rate"], config.seed
        (0.1, 123)
        >>> config.freeze()
        >>> config.seed = 1
        Traceback (most recent call last):
        ...
        ValueError: Config is frozen: cannot set 'seed'; call unfreeze() first
    """

    def __init__(self, **values: Any) -> None:
        object.__setattr__(self, "_values", dict(values))
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self) -> bool:
        """Whether changes are refused."""
        return self._frozen

    def freeze(self) -> None:
        """Refuse every change from now on."""
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self) -> None:
        """Allow changes again."""
        object.__setattr__(self, "_frozen", False)

    def as_dict(self) -> dict[str, Any]:
        """A shallow copy of the values as a plain dict."""
        return dict(self._values)

    def to_json(self) -> str:
        """The values as a JSON string."""
        return json.dumps(self._values)

    def keys(self) -> KeysView[str]:
        return self._values.keys()

    def values(self) -> ValuesView[Any]:
        return self._values.values()

    def items(self) -> ItemsView[str, Any]:
        return self._values.items()

    def get(self, name: str, default: Any = None) -> Any:
        return self._values.get(name, default)

    def pop(self, *args: Any) -> Any:
        self._refuse_if_frozen(f"pop {args[0]!r}" if args else "pop")
        return self._values.pop(*args)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._refuse_if_frozen("update")
        self._values.update(*args, **kwargs)

    def _refuse_if_frozen(self, action: str) -> None:
        if self._frozen:
            raise ValueError(f"Config is frozen: cannot {action}; call unfreeze() first")

    def __getattr__(self, name: str) -> Any:
        # Called only when normal lookup fails: the name is a value's, or unknown.
        values = self.__dict__.get("_values", {})
        if name in values:
            return values[name]
        hint = difflib.get_close_matches(name, list(values), n=1, cutoff=0.7)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        raise AttributeError(
            f"Config has no value named {name!r}, it holds {sorted(values)}{suggestion}"
        )

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or hasattr(type(self), name):
            object.__setattr__(self, name, value)
            return
        self[name] = value

    def __delattr__(self, name: str) -> None:
        if name in self._values:
            del self[name]
        else:
            object.__delattr__(self, name)

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __setitem__(self, name: str, value: Any) -> None:
        self._refuse_if_frozen(f"set {name!r}")
        self._values[name] = value

    def __delitem__(self, name: str) -> None:
        self._refuse_if_frozen(f"delete {name!r}")
        del self._values[name]

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._values))

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"<Config {self._values}>"
