"""keras.config's switches and limits: every name Keras lists, defaults, validation, and the
interactive-logging switch routing the progress bar and messages to Python logging."""

from __future__ import annotations

import io
import logging
import sys

import keras
import pytest

import torchseq
from torchseq import config
from torchseq.utils import io_utils
from torchseq.utils.progbar import Progbar

# Keras names with no meaning for torchseq, none today: list them here with a reason.
_EXCLUDED: dict[str, str] = {}


def _public(module: object) -> set[str]:
    return {name for name in dir(module) if not name.startswith("_")}


@pytest.fixture
def restore_config():
    saved = (
        config.is_interactive_logging_enabled(),
        config.is_traceback_filtering_enabled(),
        config.is_flash_attention_enabled(),
        config.max_epochs(),
        config.max_steps_per_epoch(),
    )
    try:
        yield
    finally:
        logging_on, filtering_on, flash, epochs, steps = saved
        (config.enable_interactive_logging if logging_on else config.disable_interactive_logging)()
        (
            config.enable_traceback_filtering
            if filtering_on
            else config.disable_traceback_filtering
        )()
        (config.disable_flash_attention if flash is False else config.enable_flash_attention)()
        config.set_max_epochs(epochs)
        config.set_max_steps_per_epoch(steps)
        config.set_dtype_policy(None)


def test_every_keras_config_name_exists():
    missing = _public(keras.config) - _public(torchseq.config) - set(_EXCLUDED)
    assert not missing


@pytest.mark.parametrize(
    "name",
    [
        "is_keras_tensor",
        "get_source_inputs",
        "standardize_dtype",
        "Config",
        "enable_interactive_logging",
        "disable_interactive_logging",
        "is_interactive_logging_enabled",
    ],
)
def test_keras_utils_names_exist(name):
    assert hasattr(keras.utils, name)
    assert name in torchseq.utils.__all__
    assert getattr(torchseq.utils, name) is not None


def test_defaults_match_keras():
    assert config.backend() == keras.config.backend() == "torch"
    assert config.is_nnx_enabled() is keras.config.is_nnx_enabled() is False
    assert config.is_interactive_logging_enabled() is keras.config.is_interactive_logging_enabled()
    assert config.is_traceback_filtering_enabled() is keras.config.is_traceback_filtering_enabled()
    assert config.is_flash_attention_enabled() is keras.config.is_flash_attention_enabled() is None
    assert config.max_epochs() is keras.config.max_epochs() is None
    assert config.max_steps_per_epoch() is keras.config.max_steps_per_epoch() is None
    assert config.dtype_policy().name == keras.config.dtype_policy().name == "float32"


def test_set_backend_accepts_only_torch():
    config.set_backend("torch")
    with pytest.raises(ValueError, match="PyTorch only.*received: backend='jax'"):
        config.set_backend("jax")


@pytest.mark.usefixtures("restore_config")
def test_switches_follow_keras():
    for ours, theirs in ((config, keras.config),):
        ours.disable_flash_attention()
        theirs.disable_flash_attention()
        assert ours.is_flash_attention_enabled() is theirs.is_flash_attention_enabled() is False
        ours.enable_flash_attention()
        theirs.enable_flash_attention()
        assert ours.is_flash_attention_enabled() is theirs.is_flash_attention_enabled() is None
    config.disable_traceback_filtering()
    assert config.is_traceback_filtering_enabled() is False
    config.enable_traceback_filtering()
    assert config.is_traceback_filtering_enabled() is True


@pytest.mark.usefixtures("restore_config")
def test_max_epochs_and_steps_round_trip():
    config.set_max_epochs(3)
    config.set_max_steps_per_epoch(5)
    assert (config.max_epochs(), config.max_steps_per_epoch()) == (3, 5)
    config.set_max_epochs(None)
    assert config.max_epochs() is None


@pytest.mark.usefixtures("restore_config")
@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (0, ValueError, r"max_epochs must be a positive int or None, received: max_epochs=0"),
        (2.5, TypeError, r"received: max_epochs=2.5 of type float"),
        (True, TypeError, r"received: max_epochs=True of type bool"),
    ],
)
def test_max_epochs_refuses_bad_values(value, error, message):
    with pytest.raises(error, match=message):
        config.set_max_epochs(value)


def test_limits_are_read_from_keras_environment_variables(monkeypatch):
    # What the module runs at import, called again (reloading it would reset every setting).
    monkeypatch.setenv("KERAS_MAX_EPOCHS", "2")
    monkeypatch.setenv("KERAS_MAX_STEPS_PER_EPOCH", "0")  # Keras: 0 means no limit
    assert config._limit_from_environment("KERAS_MAX_EPOCHS") == 2
    assert config._limit_from_environment("KERAS_MAX_STEPS_PER_EPOCH") is None
    monkeypatch.setenv("KERAS_MAX_EPOCHS", "two")
    with pytest.raises(ValueError, match="KERAS_MAX_EPOCHS must be a positive integer"):
        config._limit_from_environment("KERAS_MAX_EPOCHS")
    monkeypatch.delenv("KERAS_MAX_EPOCHS")
    assert config._limit_from_environment("KERAS_MAX_EPOCHS") is None


@pytest.mark.usefixtures("restore_config")
def test_dtype_policy_by_name_or_keras_policy():
    config.set_dtype_policy("float64")
    assert config.dtype_policy().name == "float64"
    config.set_dtype_policy(keras.DTypePolicy("bfloat16"))
    assert config.dtype_policy().name == "bfloat16"
    config.set_dtype_policy(keras.DTypePolicy("mixed_bfloat16"))
    assert config.dtype_policy().compute_dtype == "bfloat16"
    assert config.dtype_policy().variable_dtype == "float32"
    config.set_dtype_policy(None)
    assert config.dtype_policy().name == config.floatx()
    for bad in ("int8", "mixed_int8"):
        with pytest.raises(ValueError, match=f"mixed_bfloat16'.*received: '{bad}'"):
            config.set_dtype_policy(bad)
    assert config.dtype_policy().name == config.floatx()  # unchanged by the failures


# ------------------------------------------------------------------ interactive logging


@pytest.mark.usefixtures("restore_config")
def test_disabled_interactive_logging_sends_messages_to_logging(caplog, capsys):
    config.disable_interactive_logging()
    assert torchseq.utils.is_interactive_logging_enabled() is False
    stream = io.StringIO()
    with caplog.at_level(logging.INFO, logger="torchseq"):
        io_utils.print_msg("\nEpoch 1: saving model", stream=stream)
    assert stream.getvalue() == ""
    assert capsys.readouterr().out == ""
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("torchseq", logging.INFO, "Epoch 1: saving model")
    ]


@pytest.mark.usefixtures("restore_config")
def test_progbar_logs_whole_lines_when_interactive_logging_is_off(caplog, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    clock = iter([0.0, 1.0, 2.0])
    bar = Progbar(2, verbose=1, interval=0.0, time_fn=lambda: next(clock))
    config.disable_interactive_logging()
    with caplog.at_level(logging.INFO, logger="torchseq"):
        bar.update(1, {"loss": 0.5})
        bar.update(2, {"loss": 0.25})
    assert terminal.getvalue() == ""
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        "1/2 ━━━━━━━━━━────────── 1s 1s/step - loss: 0.5000",
        "2/2 ━━━━━━━━━━━━━━━━━━━━ 2s 1s/step - loss: 0.2500",
    ]


@pytest.mark.usefixtures("restore_config")
def test_enabled_interactive_logging_writes_to_stdout(caplog, capsys):
    config.disable_interactive_logging()
    config.enable_interactive_logging()
    with caplog.at_level(logging.INFO, logger="torchseq"):
        io_utils.print_msg("hello")
    assert capsys.readouterr().out == "hello\n"
    assert not caplog.records


def test_the_global_dtype_policy_reaches_new_layers():
    import numpy as np
    import torch

    torchseq.config.set_dtype_policy("float64")
    try:
        layer = torchseq.layers.Dense(2)
        assert layer.dtype == "float64"
        assert layer(np.ones((1, 3))).dtype == torch.float64
    finally:
        torchseq.config.set_dtype_policy(None)
    assert torchseq.layers.Dense(2).dtype == "float32"
