"""Every public name of Keras 3's modules exists in torchseq, or is listed with a reason.

The names come from ``dir()`` of the installed Keras modules. A name torchseq lacks must be
in ``EXCLUDED`` (left out on purpose: ``torchseq/_excluded.py``, which also gives the
``AttributeError`` its reason) or in ``PENDING`` (being added now).
"""

from __future__ import annotations

import importlib

import pytest

from torchseq._excluded import EXCLUDED

MODULES = [
    "",
    "applications",
    "layers",
    "losses",
    "metrics",
    "optimizers",
    "optimizers.schedules",
    "callbacks",
    "ops",
    "ops.nn",
    "ops.numpy",
    "ops.linalg",
    "ops.image",
    "activations",
    "initializers",
    "regularizers",
    "constraints",
    "utils",
    "models",
    "saving",
    "random",
    "tree",
    "config",
    "datasets",
    "preprocessing",
    "preprocessing.image",
    "preprocessing.sequence",
    "backend",
    "mixed_precision",
    "dtype_policies",
    "distribution",
]

# Names being added by work in progress (none now); remove each when it lands
PENDING: dict[str, dict[str, str]] = {}

# Modules whose __getattr__ gives an excluded name's reason (see torchseq/_excluded.py).
EXPLAINED_MODULES = ["", "layers", "optimizers", "callbacks", "utils", "saving"]


def import_pair(module: str):
    suffix = f".{module}" if module else ""
    return importlib.import_module(f"keras{suffix}"), f"torchseq{suffix}"


def listed(module: str, name: str) -> bool:
    return name in EXCLUDED.get(module, {}) or name in PENDING.get(module, {})


@pytest.mark.parametrize("module", MODULES, ids=lambda module: module or "keras")
def test_keras_public_names_exist_or_are_listed(module):
    keras_module, torchseq_name = import_pair(module)
    try:
        ours = importlib.import_module(torchseq_name)
    except ModuleNotFoundError:
        parent, _, leaf = module.rpartition(".")
        assert listed(parent, leaf), f"{torchseq_name} is missing and not EXCLUDED or PENDING"
        return
    missing = [
        name
        for name in dir(keras_module)
        if not name.startswith("_") and not hasattr(ours, name) and not listed(module, name)
    ]
    assert not missing, f"{torchseq_name} lacks Keras names {missing}"


@pytest.mark.parametrize(
    ("module", "name"),
    [(module, name) for table in (EXCLUDED, PENDING) for module in table for name in table[module]],
)
def test_listed_names_are_keras_names_torchseq_lacks(module, name):
    keras_module, torchseq_name = import_pair(module)
    assert name in dir(keras_module), f"keras.{module} has no {name!r}: drop it from the lists"
    try:
        ours = importlib.import_module(torchseq_name)
    except ModuleNotFoundError:
        return  # the whole module is missing; its own entry covers it
    where = "PENDING" if name in PENDING.get(module, {}) else "EXCLUDED"
    assert not hasattr(ours, name), f"{torchseq_name}.{name} has landed: remove it from {where}"


def test_every_exclusion_has_a_one_line_reason():
    for module, names in EXCLUDED.items():
        for name, reason in names.items():
            assert reason.strip() and "\n" not in reason, (module, name)


@pytest.mark.parametrize(
    ("module", "name"),
    [(module, name) for module in EXPLAINED_MODULES for name in EXCLUDED[module]],
)
def test_excluded_name_access_says_why(module, name):
    _, torchseq_name = import_pair(module)
    ours = importlib.import_module(torchseq_name)
    reason = EXCLUDED[module][name]
    with pytest.raises(AttributeError) as error:
        getattr(ours, name)
    keras_name = f"keras.{module}.{name}" if module else f"keras.{name}"
    assert f"torchseq leaves out {keras_name} ({reason})" in str(error.value)

