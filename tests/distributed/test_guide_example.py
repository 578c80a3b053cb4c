"""examples/distributed_training_with_torch.py: the keras.io guide's hand-made DDP loop
(2 CPU processes over gloo) trains a torchseq convnet in step and without DDP's warnings."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import numpy as np
import torch

import torchseq as keras
from torchseq.layers import convolutional

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
EXAMPLE = EXAMPLES / "distributed_training_with_torch.py"


def test_the_guide_trains_two_replicas_that_end_alike_without_stride_warnings(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-W", "default", str(EXAMPLE)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=EXAMPLE.parents[1],
        env={**os.environ, "SMOKE": "1", "PYTHONWARNINGS": "default", "DIGESTS": str(tmp_path)},
        check=False,
    )
    report = f"stdout:\n{completed.stdout[-3000:]}\nstderr:\n{completed.stderr[-3000:]}"
    assert completed.returncode == 0, report
    assert "Running on 2 processes (0 GPUs)" in completed.stdout, report
    # Each replica writes its weights' digest (the processes share one stdout pipe, whose
    # lines have been seen to go missing under the full suite).
    digests = {path.name: path.read_text() for path in sorted(tmp_path.glob("*.digest"))}
    assert sorted(digests) == ["replica0.digest", "replica1.digest"], report
    assert digests["replica0.digest"] == digests["replica1.digest"]  # DDP kept them equal
    assert "Grad strides do not match bucket view strides" not in completed.stderr
    assert "Warning" not in completed.stderr, report


def _kernel_gradient(layer: keras.layers.Layer, inputs: np.ndarray) -> tuple[tuple, tuple]:
    layer(torch.from_numpy(inputs)).sum().backward()
    return layer.kernel.stride(), layer.kernel.grad.stride()


def test_a_kernel_with_a_unit_axis_gets_its_gradient_in_its_own_strides():
    # The op hands back these gradients channels-last; DDP compares strides exactly.
    rng = np.random.default_rng(0)
    cases = [
        (keras.layers.Conv2D(4, 3), (2, 6, 6, 1)),  # one input channel
        (keras.layers.Conv2D(4, 1), (2, 6, 6, 3)),  # a 1x1 window
        (keras.layers.Conv1D(4, 1), (2, 6, 3)),
        (keras.layers.Conv3D(2, 1), (2, 3, 3, 3, 2)),
        (keras.layers.Conv2DTranspose(4, 1), (2, 6, 6, 3)),
    ]
    for layer, shape in cases:
        parameter, gradient = _kernel_gradient(layer, rng.random(shape, dtype=np.float32))
        assert gradient == parameter, type(layer).__name__
    separable = keras.layers.SeparableConv2D(3, 3)
    separable(torch.rand(2, 6, 6, 2)).sum().backward()
    assert separable.pointwise_kernel.grad.stride() == separable.pointwise_kernel.stride()


def test_the_flat_view_of_a_kernel_is_not_a_copy():
    kernel = torch.nn.Parameter(torch.zeros(4, 1, 3, 3))
    assert convolutional._torch_kernel(kernel, 2).data_ptr() == kernel.data_ptr()
    square = torch.nn.Parameter(torch.zeros(4, 2, 3, 3))
    assert convolutional._torch_kernel(square, 2) is square  # no unit axis: as stored
