"""MultiHeadAttention honours Keras's flash-attention switch: which torch kernels may run,
the errors Keras raises, and the same numbers as Keras on every path."""

from __future__ import annotations

from collections.abc import Iterator

import keras
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tests.layers.harness import to_numpy
from torchseq import config
from torchseq.layers import _query_value_key
from torchseq.layers.multi_head_attention import MultiHeadAttention

RNG = np.random.default_rng(3)
QUERY = RNG.standard_normal((2, 4, 6)).astype("float32")
VALUE = RNG.standard_normal((2, 5, 6)).astype("float32")


@pytest.fixture(autouse=True)
def _restore_switches() -> Iterator[None]:
    """Both libraries' global switches back to "flash where possible" after each test."""
    try:
        yield
    finally:
        config.enable_flash_attention()
        keras.config.enable_flash_attention()


@pytest.fixture
def kernels(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, bool]]:
    """Records, per fused call, which of torch's attention kernels were allowed to run."""
    calls: list[dict[str, bool]] = []
    original = F.scaled_dot_product_attention

    def recording(*args, **kwargs):
        calls.append(
            {
                "flash": torch.backends.cuda.flash_sdp_enabled(),
                "efficient": torch.backends.cuda.mem_efficient_sdp_enabled(),
                "math": torch.backends.cuda.math_sdp_enabled(),
            }
        )
        return original(*args, **kwargs)

    monkeypatch.setattr(F, "scaled_dot_product_attention", recording)
    return calls


def _keras_and_ours(**kwargs) -> tuple[keras.layers.MultiHeadAttention, MultiHeadAttention]:
    """A Keras layer and ours with the Keras layer's weights (ours built on our own)."""
    reference = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
    reference(QUERY, VALUE)
    layer = MultiHeadAttention(num_heads=2, key_dim=3, **kwargs)
    layer.build(QUERY.shape, VALUE.shape)
    layer.set_weights([to_numpy(w) for w in reference.get_weights()])
    return reference, layer


def _assert_matches(
    layer: MultiHeadAttention,
    reference: keras.layers.MultiHeadAttention,
    kernels: list[dict[str, bool]],
) -> None:
    """Same outputs as Keras; ``kernels`` then records our call alone."""
    expected = to_numpy(reference(QUERY, VALUE))
    kernels.clear()
    np.testing.assert_allclose(to_numpy(layer(QUERY, VALUE)), expected, rtol=1e-5, atol=1e-6)


def test_by_default_torch_chooses_among_all_kernels(kernels):
    reference, layer = _keras_and_ours()
    _assert_matches(layer, reference, kernels)
    assert kernels == [{"flash": True, "efficient": True, "math": True}]


def test_disable_flash_attention_keeps_new_layers_off_the_flash_kernel(kernels):
    config.disable_flash_attention()
    reference, layer = _keras_and_ours()
    config.enable_flash_attention()  # the switch is read when the layer is made, as in Keras
    _assert_matches(layer, reference, kernels)
    assert kernels == [{"flash": False, "efficient": True, "math": True}]
    assert torch.backends.cuda.flash_sdp_enabled()  # restored after the call


def test_flash_attention_false_keeps_the_layer_off_the_flash_kernel(kernels):
    reference, layer = _keras_and_ours(flash_attention=False)
    _assert_matches(layer, reference, kernels)
    assert kernels == [{"flash": False, "efficient": True, "math": True}]


def test_flash_attention_true_runs_the_flash_kernel_alone(kernels, monkeypatch):
    # CPU inputs never pass torch's CUDA flash check: pretend they do to see the kernel chosen.
    monkeypatch.setattr(_query_value_key, "_flash_attention_usable", lambda *args: True)
    config.disable_flash_attention()  # the layer's own argument wins over the switch
    reference, layer = _keras_and_ours(flash_attention=True)
    _assert_matches(layer, reference, kernels)
    assert kernels == [{"flash": True, "efficient": False, "math": False}]


def test_flash_attention_true_where_torch_cannot_run_it_raises_as_keras_does():
    reference = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, flash_attention=True)
    with pytest.raises(RuntimeError, match="Flash attention is not supported"):
        reference(QUERY, VALUE)
    layer = MultiHeadAttention(num_heads=2, key_dim=3, flash_attention=True)
    with pytest.raises(RuntimeError, match="torch cannot run flash attention on these inputs"):
        layer(QUERY, VALUE)


def test_flash_attention_is_not_required_where_keras_attends_explicitly(kernels):
    # Two attention axes: Keras computes the scores itself, so flash_attention=True is moot.
    query = RNG.standard_normal((2, 3, 4, 6)).astype("float32")
    reference = keras.layers.MultiHeadAttention(
        num_heads=2, key_dim=3, attention_axes=(1, 2), flash_attention=True
    )
    expected = to_numpy(reference(query, query))
    kernels.clear()
    layer = MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=(1, 2), flash_attention=True)
    layer.build(query.shape, query.shape)
    layer.set_weights([to_numpy(w) for w in reference.get_weights()])
    np.testing.assert_allclose(to_numpy(layer(query, query)), expected, rtol=1e-5, atol=1e-6)
    assert kernels == [{"flash": False, "efficient": True, "math": True}]


def test_required_flash_attention_refuses_dropout_as_keras_does():
    with pytest.raises(ValueError, match="Dropout is not supported when flash attention"):
        keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.1, flash_attention=True)
    message = "flash attention does not support dropout; expected dropout=0.0 .*dropout=0.1"
    with pytest.raises(ValueError, match=message):
        MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.1, flash_attention=True)


def test_flash_attention_false_allows_dropout_after_the_switch_is_disabled():
    config.disable_flash_attention()
    layer = MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.1)
    assert layer(QUERY, VALUE, training=True).shape == (2, 4, 6)


def test_required_flash_attention_refuses_to_return_scores():
    layer = MultiHeadAttention(num_heads=2, key_dim=3, flash_attention=True)
    with pytest.raises(ValueError, match="flash attention cannot return attention scores"):
        layer(QUERY, VALUE, return_attention_scores=True)
