"""``Progbar``: Keras 3's progress bar, with the same text and the same timing rules.

``verbose=1`` draws ``25/25 ━━━━━━━━━━━━━━━━━━━━ 0s 3ms/step - loss: 0.3142``, redrawn at most
every ``interval`` seconds; ``verbose=2`` prints one line when the bar finishes:
``25/25 - 0s - 3ms/step - loss: 0.3142``. A terminal (or Jupyter) gets the line redrawn with
``\\r`` and Keras's colours; a file or pipe gets each drawing as a plain line, with no
``\\r``, ``\\b`` or escape codes. With ``config.disable_interactive_logging()`` each drawing
is a plain line logged to the ``"torchseq"`` logger (see ``io_utils.print_msg``).

Values may be 0-d tensors on the device: they are read (one transfer per device) only when
a line is drawn.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TextIO

import numpy as np

from torchseq import config
from torchseq.utils.io_utils import is_interactive, print_msg
from torchseq.utils.logs import pythonify_values

__all__ = ["Progbar"]

_DONE_CHAR = "━"
# Keras tells the rest of the bar apart by colour alone; plain text uses a lighter line.
_TODO_CHAR_PLAIN = "─"
_BOLD, _GREEN, _WHITE, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"


class Progbar:
    """Displays a progress bar, as ``keras.utils.Progbar``.

    Values named in neither list are averaged over the steps (``stateless``); pass
    ``stateful_metrics`` to show some as given, or ``stateless_metrics`` to show all
    values as given except those listed.

    Args:
        target: Total number of steps, or ``None`` when unknown.
        width: Width of the bar in characters. Defaults to ``20``.
        verbose: ``0`` (silent), ``1`` (live bar) or ``2`` (one line at the end).
            Defaults to ``1``.
        interval: Minimum time in seconds between two drawings. Defaults to ``0.05``.
        stateful_metrics: Names of values shown as given rather than averaged.
        stateless_metrics: Names of values that are averaged; all others are shown as
            given. Only one of the two lists may be given.
        unit_name: What a step is called (``"step"``, ``"sample"``). Defaults to ``"step"``.
        stream: Where to write (keyword-only, a torchseq addition); ``None`` means
            ``sys.stdout`` at the time of writing.
        time_fn: Clock in seconds (keyword-only, a torchseq addition, for tests).
            Defaults to ``time.time``.

    Example:
        >>> bar = Progbar(3, verbose=2)
        >>> for step in range(1, 4):
        ...     bar.update(step, [("loss", 0.5)])  # doctest: +SKIP
        3/3 - 0s - 1ms/step - loss: 0.5000
    """

    def __init__(
        self,
        target: int | None,
        width: int = 20,
        verbose: int = 1,
        interval: float = 0.05,
        stateful_metrics: Iterable[str] | None = None,
        stateless_metrics: Iterable[str] | None = None,
        unit_name: str = "step",
        *,
        stream: TextIO | None = None,
        time_fn: Callable[[], float] | None = None,
    ) -> None:
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Progbar accepts stateful_metrics or stateless_metrics, not both: "
                "stateful_metrics lists the values shown as given (all others are averaged), "
                "stateless_metrics lists the values averaged (all others are shown as given); "
                f"received stateful_metrics={stateful_metrics!r}, "
                f"stateless_metrics={stateless_metrics!r}"
            )
        if verbose not in (0, 1, 2):
            raise ValueError(f"verbose must be 0, 1 or 2, received: verbose={verbose!r}")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics or ()) if stateless_metrics is None else None
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)
        self._stream = stream
        self._time = time.time if time_fn is None else time_fn
        self._dynamic_display = is_interactive(sys.stdout if stream is None else stream)
        self._seen_so_far = 0
        self._values: dict[str, list[Any]] = {}
        self._start = self._time()
        self._last_update = 0.0
        self._time_after_first_step: float | None = None
        self._prev_total_width = 0

    def update(
        self,
        current: int,
        values: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        finalize: bool | None = None,
    ) -> None:
        """Move the bar to step ``current``.

        Args:
            current: The number of steps done.
            values: ``(name, value)`` pairs or a mapping, for the last step. Values may be
                device tensors; only a drawing reads them. When nothing is drawn and every
                value is shown as given, the mapping is not touched at all (so a mapping
                that computes its values on access costs nothing between drawings).
            finalize: Whether this is the last update; ``None`` means
                ``current >= target``.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        now = self._time()
        draw = self._should_draw(now, finalize)
        if draw or not self._all_stateful(values):
            self._record(current, values, finalize)
        self._seen_so_far = current
        time_per_unit = self._estimate_step_duration(current, now)
        if draw and self.verbose == 1:
            self._draw_line(current, now, time_per_unit, finalize)
        elif draw:
            self._write_summary_line(current, now, time_per_unit)
        if draw or self.verbose != 1:
            self._last_update = now

    def add(
        self, n: int, values: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None
    ) -> None:
        """Advance the bar by ``n`` steps."""
        self.update(self._seen_so_far + n, values)

    def _should_draw(self, now: float, finalize: bool) -> bool:
        if self.verbose == 1:
            return finalize or now - self._last_update >= self.interval
        if self.verbose == 2:
            return finalize and self.target is not None and self.target > 0
        return False

    def _is_stateless(self, name: str) -> bool:
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in self.stateless_metrics

    def _all_stateful(self, values: Any) -> bool:
        if self.stateless_metrics is not None and not self.stateless_metrics:
            # Everything is shown as given (ProgbarLogger): not even the names are needed.
            return True
        if not values:
            return True
        names = values.keys() if isinstance(values, Mapping) else (name for name, _ in values)
        return not any(self._is_stateless(name) for name in names)

    def _record(self, current: int, values: Any, finalize: bool) -> None:
        items = values.items() if isinstance(values, Mapping) else (values or ())
        for name, value in items:
            if not self._is_stateless(name) or finalize:
                # The last update of a bar shows the value it is given, averaged or not.
                self._values[name] = [value, 1]
                continue
            steps = max(current - self._seen_so_far, 1)
            entry = self._values.get(name)
            if entry is None:
                self._values[name] = [value * steps, steps]
            else:
                # Out of place: the first total may be the caller's own tensor.
                entry[0] = entry[0] + value * steps
                entry[1] += steps

    def _averages(self) -> list[tuple[str, Any]]:
        totals = pythonify_values([total for total, _ in self._values.values()])
        averages = []
        for (name, (_, count)), total in zip(self._values.items(), totals):
            if isinstance(total, np.ndarray):
                total = float(np.mean(total))
            if isinstance(total, float):
                averages.append((name, total / max(1, count)))
            else:
                averages.append((name, total))
        return averages

    def _draw_line(self, current: int, now: float, time_per_unit: float, finalize: bool) -> None:
        known_target = self.target is not None and self.target > 0
        # With interactive logging off every drawing is a whole line, as in a file.
        dynamic = self._dynamic_display and config.is_interactive_logging_enabled()
        if not dynamic and known_target and current >= self.target and not finalize:
            # A terminal shows this full bar until the final line replaces it; in a file the
            # final line follows anyway and would repeat it.
            return
        if known_target:
            count = self._count(current)
            filled = int(self.width * float(current) / self.target)
            done, todo = _DONE_CHAR * filled, max(self.width - filled, 0)
            plain_bar = f"{count} {done}{_TODO_CHAR_PLAIN * todo}"
            styled_bar = f"{_BOLD}{count}{_RESET} " + (
                f"{_GREEN}{done}{_RESET}" if filled > 0 else ""
            )
            styled_bar += f"{_WHITE}{_DONE_CHAR * todo}{_RESET}"
        else:
            plain_bar = styled_bar = f"{int(current):7d}/Unknown"
        if known_target and not finalize:
            clock = _format_eta(time_per_unit * (self.target - current))
        else:
            clock = f"{now - self._start:.0f}s"
        info = _format_time(time_per_unit, self.unit_name) + self._format_values(_above_1e3_abs)
        plain = f"{plain_bar} {clock}{info}"
        if not dynamic:
            print_msg(plain, stream=self._stream)
            return
        message = f"\r{styled_bar} {_BOLD}{clock}{_RESET}{info}"
        width = len(plain)
        if self._prev_total_width > width:
            message += " " * (self._prev_total_width - width)
        if finalize:
            message += "\n"
        print_msg(message, line_break=False, stream=self._stream)
        self._prev_total_width = width

    def _write_summary_line(self, current: int, now: float, time_per_unit: float) -> None:
        line = f"{self._count(current)} - {now - self._start:.0f}s -"
        line += _format_time(time_per_unit, self.unit_name) + self._format_values(_above_1e3)
        print_msg(line, stream=self._stream)

    def _count(self, current: int) -> str:
        digits = int(math.log10(self.target)) + 1
        return f"{int(current):{digits}d}/{int(self.target)}"

    def _format_values(self, fixed_point: Callable[[float], bool]) -> str:
        text = ""
        for name, value in self._averages():
            if isinstance(value, float):
                text += (
                    f" - {name}: {value:.4f}" if fixed_point(value) else f" - {name}: {value:.4e}"
                )
            else:
                text += f" - {name}: {value}"
        return text

    def _estimate_step_duration(self, current: int, now: float) -> float:
        """Seconds per step; the first step (often slow: warm-up) is left out once possible."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            time_per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            time_per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return time_per_unit


def _above_1e3_abs(value: float) -> bool:
    return abs(value) > 1e-3


def _above_1e3(value: float) -> bool:
    # Keras's one-line (verbose=2) format tests the signed value: -0.5 prints as -5.0000e-01.
    return value > 1e-3


def _format_eta(eta: float) -> str:
    if eta > 3600:
        return f"{int(eta // 3600)}:{int(eta % 3600 // 60):02d}:{int(eta % 60):02d}"
    if eta > 60:
        return f"{int(eta // 60)}:{int(eta % 60):02d}"
    return f"{int(eta)}s"


def _format_time(time_per_unit: float, unit_name: str) -> str:
    if time_per_unit >= 1 or time_per_unit == 0:
        return f" {time_per_unit:.0f}s/{unit_name}"
    if time_per_unit >= 1e-3:
        return f" {time_per_unit * 1000.0:.0f}ms/{unit_name}"
    return f" {time_per_unit * 1000000.0:.0f}us/{unit_name}"
