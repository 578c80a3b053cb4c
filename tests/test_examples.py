"""The seed documents' programs in examples/ run, and print what the guides say."""

import pathlib
import runpy

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def run_example(name, capsys):
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    return capsys.readouterr().out


def test_sequential_guide(capsys):
    out = run_example("sequential_guide.py", capsys)
    assert "[<Dense name=dense, built=False>, <Dense name=dense_1, built=False>" in out
    assert "\n2\n" in out  # len(model.layers) after pop()
    assert "\n[]\n" in out  # an unbuilt layer has no weights
    assert "[((4, 3), 'dense_6/kernel'), ((3,), 'dense_6/bias')]" in out
    assert "Number of weights after calling the model: 6" in out
    assert 'Model: "sequential_3"' in out and "dense_7 (Dense)" in out
    assert " Total params: 35 (140.00 B)" in out
    assert "[<Dense name=dense_10, built=True>]" in out
    assert "(None, 123, 123, 32)" in out and "(None, 40, 40, 32)" in out
    assert " Total params: 11,680 (45.62 KB)" in out
    assert " Total params: 48,672 (190.12 KB)" in out
    assert "[(1, 123, 123, 32), (1, 121, 121, 32), (1, 119, 119, 32)]" in out
    assert "(1, 121, 121, 32)\n" in out
    assert "trainable weights: 2" in out
    assert "frozen layers unchanged: True" in out  # seed 000's fine-tuning recipe trains
    assert "(2, 1000)" in out
    assert "base model unchanged: True" in out  # and so does its frozen-base recipe


def test_functional_guide(capsys):
    out = run_example("functional_guide.py", capsys)
    assert "(None, 20, 10)" in out
    assert "['age', 'income', 'gender']" in out


def test_keras2_guide_models(capsys):
    out = run_example("keras2_guide_models.py", capsys)
    assert "(None, 32)" in out
    assert "conv1d" in out


def test_quickstart(capsys):
    out = run_example("quickstart.py", capsys)
    assert 'Model: "sequential"' in out and "Epoch 30/30" in out
    assert "val_accuracy:" in out and "\r" not in out
    accuracy = float(out.split("Test accuracy: ")[1].split()[0])
    assert accuracy >= 0.95
    assert "State dict keys: ['layers.1.kernel', 'layers.1.bias'" in out


@pytest.mark.filterwarnings("ignore:SGD\\(decay=...\\) is Keras 2:DeprecationWarning")
def test_keras2_guide_training(capsys, monkeypatch):
    monkeypatch.setenv("SMOKE", "1")
    out = run_example("keras2_guide_training.py", capsys)
    for name in ("mlp score:", "binary score:", "vgg score:", "conv1d score:"):
        assert name in out
    assert "['loss', 'accuracy']" in out
    assert "Epoch 2/2" in out and "\r" not in out
    keys = "['accuracy', 'loss', 'val_accuracy', 'val_loss']"
    assert f"stacked lstm: {keys}" in out and f"stateful lstm: {keys}" in out


def test_functional_guide_training(capsys, monkeypatch):
    monkeypatch.setenv("SMOKE", "1")
    out = run_example("functional_guide_training.py", capsys)
    assert "['age_loss', 'gender_loss', 'income_loss', 'loss']" in out
    assert "question answering: ['acc', 'loss']" in out
    assert "val_" not in out
