"""keras.io's PyTorch training guides run unchanged: the loop written from scratch, and the
GAN whose ``train_step`` replaces fit's (examples/training_loop_from_scratch.py and
examples/custom_fit_gan.py).

Both read gradients as the guides do, ``[v.value.grad for v in trainable_weights]``, and
hand them to ``optimizer.apply``; that idiom is also checked against Keras on conv weights,
which torchseq stores in torch's layout.
"""

import math
import pathlib
import re
import runpy

import keras
import numpy as np
import pytest
import torch

import torchseq

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def run_program(name, capsys):
    torch.manual_seed(0)  # the DataLoader's shuffling and the initial weights
    namespace = runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    return namespace, capsys.readouterr().out


def printed(label, out):
    return [float(value) for value in re.findall(rf"{label}: (\S+)\n", out)]


def test_training_loop_from_scratch(capsys):
    namespace, out = run_program("training_loop_from_scratch.py", capsys)
    # Four loops (torch optimizer and loss; Keras's; with metrics; with model.losses) of
    # three epochs, each logging its first batch's loss.
    losses = printed(r"Training loss \(for 1 batch\) at step 0", out)
    assert len(losses) == 12 and all(math.isfinite(loss) for loss in losses)
    for first, *_, last in (losses[i : i + 3] for i in range(0, 12, 3)):
        assert last < first / 5
    assert out.count("\nStart of epoch ") == 9 and "Seen so far: 32 samples" in out
    train_acc, val_acc = printed("Training acc over epoch", out), printed("Validation acc", out)
    assert len(train_acc) == len(val_acc) == 6
    assert train_acc[2] > 0.6 and val_acc[2] > 0.6  # the metrics loop learns the patterns
    assert all(0 <= acc <= 1 for acc in train_acc + val_acc)
    # The last loop's model adds its activity regularization loss to model.losses.
    model = namespace["model"]
    assert isinstance(model.layers[2], namespace["ActivityRegularizationLayer"])
    batch = torch.from_numpy(namespace["x_val"][:4])
    model(batch)
    (added,) = model.losses
    hidden = torch.relu(batch @ model.layers[1].kernel + model.layers[1].bias)
    torch.testing.assert_close(added, 1e-2 * torch.sum(hidden))


@pytest.mark.filterwarnings("ignore:To copy construct from a tensor:UserWarning")  # the guide's
def test_custom_fit_gan(capsys):
    # The discriminator's conv kernels change only if `v.value.grad` reaches them.
    namespace, out = run_program("custom_fit_gan.py", capsys)
    gan, discriminator = namespace["gan"], namespace["discriminator"]
    history = gan.history.history
    assert sorted(history) == ["d_loss", "g_loss"]
    assert all(math.isfinite(value) and value > 0 for values in history.values() for value in values)
    assert "4/4" in out and " - d_loss: " in out and " - g_loss: " in out
    assert gan.d_optimizer.iterations.numpy() == 4 == gan.g_optimizer.iterations.numpy()
    for model, optimizer in ((discriminator, gan.d_optimizer), (gan.generator, gan.g_optimizer)):
        for weight in model.trainable_weights:  # each got gradients, conv kernels included
            assert optimizer.state[weight]["momentum"].abs().sum() > 0, weight.path

def test_value_grad_applies_as_in_keras():
    """The guides' step on a conv model gives Keras's weights, from the same weights."""
    rng = np.random.default_rng(0)
    x = rng.random((2, 5, 5, 2), dtype=np.float32)
    y = rng.random((2, 1), dtype=np.float32)

    def model_of(api):
        return api.Sequential(
            [
                api.Input((5, 5, 2)),
                api.layers.Conv2D(3, 3),
                api.layers.GlobalAveragePooling2D(),
                api.layers.Dense(1),
            ]
        )

    theirs, ours = model_of(keras), model_of(torchseq)
    ours.set_weights(theirs.get_weights())
    for api, model in ((keras, theirs), (torchseq, ours)):
        optimizer = api.optimizers.Adam(learning_rate=0.1)
        loss_fn = api.losses.MeanSquaredError()
        for _ in range(2):
            loss = loss_fn(torch.from_numpy(y), model(torch.from_numpy(x)))
            model.zero_grad()
            trainable_weights = [v for v in model.trainable_weights]
            loss.backward()
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                optimizer.apply(gradients, trainable_weights)
    kernel = ours.layers[0].kernel
    assert tuple(kernel.value.grad.shape) == (3, 3, 2, 3) != tuple(kernel.grad.shape)
    for mine, reference in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-6)
