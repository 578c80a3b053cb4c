"""CSVLogger: the file's bytes are Keras's, for the same epochs."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import torch

from torchseq.callbacks import CSVLogger


@dataclasses.dataclass
class Case:
    name: str
    epochs: list[dict[str, Any]]
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    expected: str = ""

    def __str__(self) -> str:
        return self.name


CASES = [
    Case(
        "with_validation",
        [
            {"loss": 0.5, "accuracy": 0.25, "val_loss": 0.75},
            {"loss": 0.25, "accuracy": 0.5, "val_loss": 0.5},
        ],
        expected="epoch,accuracy,loss,val_loss\r\n0,0.25,0.5,0.75\r\n1,0.5,0.25,0.5\r\n",
    ),
    # Without validation at the first epoch Keras adds val_ columns, filled with NA.
    Case(
        "validation_later",
        [{"loss": 0.5}, {"loss": 0.25, "val_loss": 0.125}],
        expected="epoch,loss,val_loss\r\n0,0.5,NA\r\n1,0.25,0.125\r\n",
    ),
    Case(
        "separator",
        [{"loss": 0.5, "val_loss": 1.0}],
        {"separator": ";"},
        expected="epoch;loss;val_loss\r\n0;0.5;1.0\r\n",
    ),
    Case("float32_values", [{"loss": torch.tensor(0.1)}], expected=None),
    Case("array_value", [{"loss": 0.5, "val_loss": 0.5, "per_class": torch.tensor([1.0, 2.0])}]),
]


def run(factory, case, path, convert=lambda logs: logs, fits=1):
    for _ in range(fits):
        logger = factory(str(path), **case.kwargs)
        logger.on_train_begin()
        for epoch, logs in enumerate(case.epochs):
            logger.on_epoch_end(epoch, convert(dict(logs)))
        logger.on_train_end()
    return path.read_bytes()


def _as_keras_gets_them(logs):
    """Keras's CallbackList turns scalars into floats and leaves arrays as numpy arrays."""

    def convert(value):
        if not isinstance(value, torch.Tensor):
            return value
        return float(value) if value.numel() == 1 else value.numpy()

    return {key: convert(value) for key, value in logs.items()}


@pytest.mark.parametrize("case", [c for c in CASES if c.expected], ids=str)
def test_file_content(case, tmp_path):
    assert run(CSVLogger, case, tmp_path / "log.csv").decode() == case.expected


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("append", [False, True], ids=["overwrite", "append"])
def test_same_bytes_as_keras(case, append, tmp_path):
    keras = pytest.importorskip("keras")
    case = dataclasses.replace(case, kwargs={**case.kwargs, "append": append})
    ours = run(CSVLogger, case, tmp_path / "ours.csv", fits=2)
    theirs = run(
        keras.callbacks.CSVLogger, case, tmp_path / "keras.csv", _as_keras_gets_them, fits=2
    )
    assert ours == theirs


def test_append_writes_no_second_header(tmp_path):
    case = Case("x", [{"loss": 0.5}], {"append": True})
    text = run(CSVLogger, case, tmp_path / "log.csv", fits=2).decode()
    assert text == "epoch,loss,val_loss\r\n0,0.5,NA\r\n0,0.5,NA\r\n"


def test_the_file_is_closed_at_the_end(tmp_path):
    logger = CSVLogger(tmp_path / "log.csv")
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 1.0})
    logger.on_train_end()
    assert logger.csv_file.closed


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"filename": None}, TypeError, "filename must be a str or os.PathLike"),
        ({"filename": "a.csv", "separator": ", "}, ValueError, "single character"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        CSVLogger(**kwargs)
