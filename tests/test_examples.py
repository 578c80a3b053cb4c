"""The seed documents' programs in examples/ run, and print what the guides say.

Every model an example leaves behind is also saved as a ``.keras`` file, loaded back, and
must predict the same.
"""

import pathlib
import runpy

import numpy as np
import pytest

import torchseq
from torchseq import saving

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def run_example(capsys, tmp_path):
    def run(name):
        namespace = runpy.run_path(str(EXAMPLES / name), run_name="__main__")
        out = capsys.readouterr().out
        models = [v for v in namespace.values() if isinstance(v, torchseq.Model) and v.built]
        assert models, f"{name} leaves no built model behind"
        # The example's own layer and model classes load through custom_objects.
        custom_objects = {
            key: value
            for key, value in namespace.items()
            if isinstance(value, type) and issubclass(value, torchseq.Layer)
        }
        for index, model in enumerate(models):
            if has_symbolic_inputs(model):  # to sample data from
                assert_reloads(model, tmp_path / f"{index}.keras", custom_objects)
        return out

    return run


def has_symbolic_inputs(model):
    try:
        return bool(model.inputs)
    except ValueError:  # a subclassed model called on data has none
        return False


def assert_reloads(model, path, custom_objects=None):
    """``model.save`` then ``load_model`` gives a model with the same predictions."""
    model.save(path)
    loaded = saving.load_model(path, custom_objects=custom_objects)
    assert type(loaded) is type(model) and loaded.name == model.name
    inputs = sample_inputs(model)
    model.reset_states()  # a stateful RNN's states are not saved (as in Keras)
    expected, actual = model.predict(inputs, verbose=0), loaded.predict(inputs, verbose=0)
    for ours, theirs in zip(torchseq.utils.tree.flatten(actual), torchseq.utils.tree.flatten(expected)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def sample_inputs(model):
    rng = np.random.default_rng(0)

    def one(tensor):
        # Unknown lengths: token sequences long enough for the guides' conv stacks.
        length = 64 if tensor.dtype.startswith("float") else 320
        shape = (tensor.shape[0] or 2, *(length if dim is None else dim for dim in tensor.shape[1:]))
        if tensor.dtype.startswith("float"):
            return rng.random(shape, dtype=np.float32)
        return rng.integers(0, 5, shape).astype("int32")

    inputs = model.inputs
    if isinstance(inputs, dict):
        return {name: one(tensor) for name, tensor in inputs.items()}
    return [one(tensor) for tensor in inputs] if len(inputs) > 1 else one(inputs[0])


def test_sequential_guide(run_example):
    out = run_example("sequential_guide.py")
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
    assert "pre-trained weights loaded: True" in out  # seed 000's model.load_weights(...)
    assert "trainable weights: 2" in out
    assert "frozen layers unchanged: True" in out  # seed 000's fine-tuning recipe trains
    assert "(2, 1000)" in out
    assert "base model unchanged: True" in out  # and so does its frozen-base recipe


def test_functional_guide(run_example):
    out = run_example("functional_guide.py")
    assert "(None, 20, 10)" in out
    assert "['age', 'income', 'gender']" in out


def test_keras2_guide_models(run_example):
    out = run_example("keras2_guide_models.py")
    assert "(None, 32)" in out
    assert "conv1d" in out


def test_quickstart(run_example):
    out = run_example("quickstart.py")
    assert 'Model: "sequential"' in out and "Epoch 30/30" in out
    assert "val_accuracy:" in out and "\r" not in out
    accuracy = float(out.split("Test accuracy: ")[1].split()[0])
    assert accuracy >= 0.95
    assert "State dict keys: ['layers.1.kernel', 'layers.1.bias'" in out
    assert f"Reloaded from digits.keras: test accuracy {accuracy:.4f}" in out


@pytest.mark.filterwarnings("ignore:SGD\\(decay=...\\) is Keras 2:DeprecationWarning")
def test_keras2_guide_training(run_example, monkeypatch):
    monkeypatch.setenv("SMOKE", "1")
    out = run_example("keras2_guide_training.py")
    for name in ("mlp score:", "binary score:", "vgg score:", "conv1d score:"):
        assert name in out
    assert "['loss', 'accuracy']" in out
    assert "Epoch 2/2" in out and "\r" not in out
    keys = "['accuracy', 'loss', 'val_accuracy', 'val_loss']"
    assert f"stacked lstm: {keys}" in out and f"stateful lstm: {keys}" in out


def test_functional_guide_training(run_example, monkeypatch):
    monkeypatch.setenv("SMOKE", "1")
    out = run_example("functional_guide_training.py")
    assert "['age_loss', 'gender_loss', 'income_loss', 'loss']" in out
    assert "question answering: ['acc', 'loss']" in out
    assert "val_" not in out


def test_masking_guide(run_example):
    out = run_example("masking_guide.py")
    assert "[[ 711  632   71    0    0    0]" in out  # pad_sequences(padding="post")
    masks = out.count("tensor([[ True,  True,  True, False, False, False],")
    assert masks == 2  # Embedding(mask_zero=True) and Masking attach the same mask
    assert "tensor([[False, False, False],\n        [ True,  True, False]," in out  # split mask
    assert "Mask found: <KerasTensor shape=(None, None), dtype=bool>" in out


@pytest.mark.filterwarnings("ignore:Model .* has no trainable weights:UserWarning")  # as Keras
def test_subclassing_guide(run_example, monkeypatch):
    rng = np.random.default_rng(0)
    digits = rng.integers(0, 256, (60000, 28, 28), dtype=np.uint8)  # MNIST's shapes, offline
    monkeypatch.setattr(
        torchseq.datasets.mnist, "load_data", lambda: ((digits, None), (None, None))
    )
    out = run_example("subclassing_guide.py")
    assert "[2. 2.]\n[4. 4.]\n" in out  # a non-trainable weight updated with assign_add
    assert "weights: 1\nnon-trainable weights: 1\ntrainable_weights: []" in out
    assert "weights: 6\ntrainable weights: 6" in out  # sub-layers tracked from attributes
    assert "{'units': 64}" in out and "'name': 'linear_" in out
    assert "Epoch 2/2" in out and "nan" not in out


def test_custom_fit_guide(run_example):
    out = run_example("custom_fit_guide.py")
    assert out.count("Epoch 3/3") == 2 and "Epoch 5/5" in out
    # every model logs the loss and the mae its train_step (or test_step) returns
    finals = [line for line in out.replace("\r", "\n").splitlines() if line.startswith("32/32")]
    assert finals and all(" - loss: " in line and " - mae: " in line for line in finals)
