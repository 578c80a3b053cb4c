"""utils.Progbar: golden output to a file-like stream, Keras's text, terminal redraws.

Each case is a script of updates under a fake clock. Golden files live in tests/utils/golden/;
regenerate them on purpose with ``TORCHSEQ_REGEN_GOLDEN=1 pytest tests/utils/test_progbar.py``.
"""

from __future__ import annotations

import dataclasses
import io
import os
import pathlib
from collections.abc import Mapping
from typing import Any

import pytest
import torch

from tests.utils.progbar_harness import (
    GOLDEN_ENV,
    FakeClock,
    FakeTerminal,
    keras_as_plain_lines,
    keras_progbar_in_plain_mode,
)
from torchseq.utils.progbar import Progbar

GOLDEN = pathlib.Path(__file__).parent / "golden"


@dataclasses.dataclass
class Case:
    """A progress bar and the updates it receives: ``(seconds since last, current, values, finalize)``."""

    name: str
    target: int | None
    updates: list[tuple[float, int, list[tuple[str, float]], bool | None]]
    verbose: int = 1
    options: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __str__(self) -> str:
        return self.name


def _steady(target: int, seconds: float, first: float | None = None) -> list:
    """``target`` steps of ``seconds`` each (the first takes ``first``), with falling loss."""
    return [
        (first if step == 1 and first is not None else seconds, step,
         [("accuracy", 0.05 * step), ("loss", 2.0 / step)], None)
        for step in range(1, target + 1)
    ]  # fmt: skip


CASES = [
    Case("verbose1_averaged", 10, _steady(10, 0.02, first=0.5)),
    Case("verbose2_averaged", 10, _steady(10, 0.02, first=0.5), verbose=2),
    Case(
        "verbose1_shown_as_given",
        4,
        _steady(4, 0.06),
        options={"stateless_metrics": set()},
    ),
    Case("verbose1_stateful_names", 4, _steady(4, 0.06), options={"stateful_metrics": ["loss"]}),
    Case(
        "verbose1_unknown_target",
        None,
        [(0.1, step, [("loss", 1.0 / step)], None) for step in range(1, 4)]
        + [(0.1, 3, [("loss", 0.25)], True)],
    ),
    Case("verbose1_eta_hours", 100000, [(0.1, 1, [], None), (0.1, 2, [], None)]),
    Case("verbose1_eta_minutes", 1000, [(0.1, 1, [], None), (0.1, 2, [], None)]),
    Case("verbose1_seconds_per_step", 3, _steady(3, 2.0)),
    Case("verbose1_microseconds_per_step", 3, _steady(3, 2e-5)),
    Case(
        "small_and_negative_values_verbose1",
        2,
        [(0.1, 1, [("a", 1e-4), ("b", -0.5), ("c", 0.0)], None), (0.1, 2, [], None)],
    ),
    Case(
        "small_and_negative_values_verbose2",
        2,
        [(0.1, 1, [("a", 1e-4), ("b", -0.5), ("c", 0.0)], None), (0.1, 2, [], None)],
        verbose=2,
    ),
    Case(
        "final_value_replaces_average",
        3,
        [(0.1, 1, [("loss", 3.0)], None), (0.1, 2, [("loss", 1.0)], None)]
        + [(0.1, 3, [("loss", 0.5)], True)],
    ),
    Case("silent", 3, _steady(3, 0.1), verbose=0),
]


def run_torchseq(case: Case, values_as: Any = list) -> str:
    clock = FakeClock()
    stream = io.StringIO()
    bar = Progbar(case.target, verbose=case.verbose, stream=stream, time_fn=clock, **case.options)
    for seconds, current, values, finalize in case.updates:
        clock.advance(seconds)
        bar.update(current, values_as(values), finalize=finalize)
    return stream.getvalue()


def run_keras(case: Case, monkeypatch: pytest.MonkeyPatch) -> str:
    keras = pytest.importorskip("keras")
    clock = FakeClock()
    with keras_progbar_in_plain_mode(monkeypatch, clock) as printed:
        bar = keras.utils.Progbar(case.target, verbose=case.verbose, **case.options)
        for seconds, current, values, finalize in case.updates:
            clock.advance(seconds)
            bar.update(current, values, finalize=finalize)
    return keras_as_plain_lines(printed.getvalue())


@pytest.mark.parametrize("case", CASES, ids=str)
def test_output_matches_golden_file(case):
    text = run_torchseq(case)
    golden = GOLDEN / f"progbar_{case.name}.txt"
    if os.environ.get(GOLDEN_ENV):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_output_says_what_keras_says(case, monkeypatch):
    assert run_torchseq(case) == run_keras(case, monkeypatch)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_file_gets_plain_lines(case):
    text = run_torchseq(case)
    assert not set(text) & {"\r", "\b", "\x1b"}
    assert text == "" or (text.endswith("\n") and "\n\n" not in text)


def test_a_full_bar_before_the_final_line_is_left_out_of_a_file():
    clock = FakeClock()
    stream = io.StringIO()
    bar = Progbar(2, verbose=1, stream=stream, time_fn=clock)
    clock.advance(0.1)
    bar.update(2, [("loss", 1.0)], finalize=False)
    assert stream.getvalue() == ""
    bar.update(2, [("loss", 0.5)], finalize=True)
    assert stream.getvalue().count("2/2") == 1


@pytest.mark.parametrize("case", CASES[:4], ids=str)
def test_device_tensors_print_as_floats(case):
    def as_tensors(values):
        return {name: torch.tensor(value, dtype=torch.float64) for name, value in values}

    assert run_torchseq(case, as_tensors) == run_torchseq(case)


def test_terminal_gets_one_line_redrawn_in_colour():
    clock = FakeClock()
    terminal = FakeTerminal()
    bar = Progbar(4, stream=terminal, time_fn=clock)
    for step, loss in ((1, 10.0), (2, 10.0), (4, 1.0)):
        clock.advance(0.1)
        bar.update(step, [("loss", loss)], finalize=step == 4)
    bold, green, white, reset = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"
    assert terminal.getvalue() == (
        f"\r{bold}1/4{reset} {green}━━━━━{reset}{white}━━━━━━━━━━━━━━━{reset} "
        f"{bold}0s{reset} 100ms/step - loss: 10.0000"
        f"\r{bold}2/4{reset} {green}━━━━━━━━━━{reset}{white}━━━━━━━━━━{reset} "
        f"{bold}0s{reset} 100ms/step - loss: 10.0000"
        f"\r{bold}4/4{reset} {green}━━━━━━━━━━━━━━━━━━━━{reset}{white}{reset} "
        f"{bold}0s{reset} 67ms/step - loss: 1.0000  \n"
    )


def test_a_terminal_line_that_shrinks_is_padded_over():
    clock = FakeClock()
    terminal = FakeTerminal()
    bar = Progbar(None, stream=terminal, time_fn=clock, stateless_metrics=set())
    clock.advance(0.1)
    bar.update(1, [("loss", 1000.0)])
    clock.advance(0.1)
    bar.update(2, [("loss", 1.0)])
    first, second = terminal.getvalue().split("\r")[1:]
    visible = len(first.replace("\x1b[1m", "").replace("\x1b[0m", ""))
    assert len(second.replace("\x1b[1m", "").replace("\x1b[0m", "")) == visible
    assert second.endswith("1.0000   ")


class _Untouchable(Mapping):
    """Logs that must not be touched at all (a lazy mapping computes even its names)."""

    def __getitem__(self, key):
        raise AssertionError("a value was read although nothing was drawn")

    def __iter__(self):
        raise AssertionError("the names were read although nothing was drawn")

    def __len__(self):
        raise AssertionError("the logs were sized although nothing was drawn")


def test_values_shown_as_given_are_not_touched_between_drawings():
    clock = FakeClock()
    stream = io.StringIO()
    bar = Progbar(10, stream=stream, time_fn=clock, stateless_metrics=set())
    clock.advance(1.0)
    bar.update(1, {"loss": 0.5})
    clock.advance(0.01)  # within the 0.05 s interval: no drawing
    bar.update(2, _Untouchable())
    clock.advance(0.1)
    bar.update(3, {"loss": 0.25})
    assert stream.getvalue().splitlines()[-1].endswith("loss: 0.2500")


def test_values_to_average_are_recorded_between_drawings():
    clock = FakeClock()
    stream = io.StringIO()
    bar = Progbar(4, stream=stream, time_fn=clock)
    for step, loss in ((1, 3.0), (2, 2.0), (3, 1.0)):
        clock.advance(0.01 if step == 2 else 0.1)
        bar.update(step, {"loss": loss}, finalize=False)
    assert [line[-6:] for line in stream.getvalue().splitlines()] == ["3.0000", "2.0000"]


def test_add_advances_from_the_steps_seen():
    clock = FakeClock()
    stream = io.StringIO()
    bar = Progbar(4, verbose=2, stream=stream, time_fn=clock)
    clock.advance(0.1)
    bar.add(2, [("loss", 1.0)])
    clock.advance(0.1)
    bar.add(2, [("loss", 3.0)])
    assert stream.getvalue() == "4/4 - 0s - 50ms/step - loss: 3.0000\n"


def test_writes_to_sys_stdout_by_default(capsys):
    bar = Progbar(1, verbose=2)
    bar.update(1, [("loss", 0.5)])
    assert capsys.readouterr().out.startswith("1/1 - 0s - ")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"stateful_metrics": ["a"], "stateless_metrics": ["b"]}, "not both"),
        ({"verbose": 3}, r"verbose must be 0, 1 or 2, received: verbose=3"),
    ],
)
def test_bad_arguments(options, message):
    with pytest.raises(ValueError, match=message):
        Progbar(3, **options)
