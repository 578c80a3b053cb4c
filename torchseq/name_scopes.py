"""``name_scope``: a stack of names that Keras joins into the path of variables.

``with keras.name_scope("encoder"):`` pushes ``"encoder"``; :func:`current_path` joins the
open scopes with ``/`` (``"encoder/block"``). The stack is per thread.

A weight takes the scopes open when it is made into its ``path``: a ``Dense`` built inside
``name_scope("encoder")`` has the kernel ``"encoder/dense/kernel"``, as in Keras. Keras also
opens a scope per layer while it builds, so a layer built inside another layer's ``build``
(a Sequential's layers, an RNN's cell) has the outer layer's name in its path there; torchseq
does not (``"lstm_cell/kernel"`` where Keras gives ``"lstm/lstm_cell/kernel"``).
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # typing.Self is Python 3.11+; annotations are strings here
    from typing import Self

__all__ = ["current_path", "name_scope"]

_local = threading.local()


def _stack() -> list[name_scope]:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


class name_scope:
    """Opens a named scope for variable paths, as ``keras.name_scope``.

    Args:
        name: The scope's name; a non-empty string without ``/``.
        caller: The object opening the scope (a layer), or ``None``.
        deduplicate: When ``caller`` opens a scope of the same name as the innermost
            one, which the same caller opened, do not open it again (a layer calling
            itself). Defaults to ``True``.
        override_parent: A path that replaces the enclosing scopes (an absolute
            path, ``"model/block"``), or ``None``. When ``None``, ``deduplicate`` is on
            and ``caller`` has a ``_parent_path``, that path is used.

    Example:
        >>> with name_scope("encoder"):
        ...     with name_scope("block"):
        ...         current_path()
        'encoder/block'
    """

    def __init__(
        self,
        name: str,
        caller: Any = None,
        deduplicate: bool = True,
        override_parent: str | None = None,
    ) -> None:
        if not isinstance(name, str) or not name or "/" in name:
            raise ValueError(
                f"name_scope expected a non-empty string without '/', received: name={name!r}"
            )
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        if override_parent is None and deduplicate:
            override_parent = getattr(caller, "_parent_path", None)
        self.override_parent = override_parent
        self._pushed = False

    def __enter__(self) -> Self:
        stack = _stack()
        if self.deduplicate and self.caller is not None and stack:
            innermost = stack[-1]
            if innermost.caller is self.caller and innermost.name == self.name:
                return self
        stack.append(self)
        self._pushed = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._pushed:
            stack = _stack()
            if stack and stack[-1] is self:
                stack.pop()
            self._pushed = False


def current_path() -> str:
    """The open scopes joined with ``/`` (``""`` outside every scope)."""
    parts: list[str] = []
    for scope in _stack():
        if scope.override_parent is not None:
            parts = [part for part in scope.override_parent.split("/") if part]
        parts.append(scope.name)
    return "/".join(parts)
