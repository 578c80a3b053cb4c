"""Public ``states`` of recurrent layers, ``reset_states(states=...)``, and Keras 2's
``input_length=`` / ``input_dim=`` on recurrent layers."""

import numpy as np
import pytest
import torch

import torchseq
from torchseq import layers

keras = pytest.importorskip("keras")


def stateful_lstm(batch_size=2):
    layer = layers.LSTM(3, stateful=True)
    model = torchseq.Sequential([torchseq.Input((4, 5), batch_size=batch_size), layer])
    return model, layer


def test_states_are_none_unless_stateful_and_built():
    assert layers.LSTM(3).states is None
    assert layers.LSTM(3, stateful=True).states is None  # not built: batch size unknown
    layer = layers.LSTM(3)
    layer(torch.ones(2, 4, 5))
    assert layer.states is None


def test_the_states_start_at_zero_and_follow_the_batches_as_in_keras():
    keras.utils.clear_session()
    reference = keras.Sequential(
        [keras.Input((4, 5), batch_size=2), keras.layers.LSTM(3, stateful=True)]
    )
    model, layer = stateful_lstm()
    assert [tuple(state.shape) for state in layer.states] == [(2, 3), (2, 3)]
    assert all(not state.any() for state in layer.states)
    model.set_weights(reference.get_weights())
    batch = np.random.default_rng(0).standard_normal((2, 4, 5)).astype("float32")
    reference(batch)
    model(batch)
    for actual, expected in zip(layer.states, reference.layers[0].states):
        np.testing.assert_allclose(actual.numpy(), keras.ops.convert_to_numpy(expected), atol=1e-6)


def test_reset_states_sets_the_given_values():
    model, layer = stateful_lstm()
    batch = torch.ones(2, 4, 5)
    hidden, carry = np.full((2, 3), 0.5, "float32"), np.full((2, 3), -0.25, "float32")
    layer.reset_states(states=[hidden, carry])
    np.testing.assert_array_equal(layer.states[0].numpy(), hidden)
    np.testing.assert_array_equal(layer.states[1].numpy(), carry)
    from_given = model(batch)
    layer.reset_states([hidden, carry])
    np.testing.assert_array_equal(model(batch).detach().numpy(), from_given.detach().numpy())
    layer.reset_states()
    assert not np.array_equal(model(batch).detach().numpy(), from_given.detach().numpy())


def test_the_states_are_assignable_and_change_in_place():
    _, layer = stateful_lstm()
    layer.states[0].fill_(1.0)
    assert layer.states[0].eq(1.0).all()
    layer.states = [torch.zeros(2, 3), torch.ones(2, 3)]
    assert layer.states[1].eq(1.0).all()


def test_reset_states_checks_the_values():
    _, layer = stateful_lstm()
    with pytest.raises(ValueError, match=r'layer "lstm.*": expected shape \(2, 3\), received shape \(3, 3\)'):
        layer.reset_states([np.zeros((3, 3)), np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"expects 2 state value\(s\), received 1"):
        layer.reset_states(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="is not stateful"):
        layers.GRU(3).reset_states([np.zeros((2, 3))])
    with pytest.raises(ValueError, match="is not built yet"):
        layers.GRU(3, stateful=True).reset_states([np.zeros((2, 3))])


def test_a_single_state_takes_a_single_array():
    layer = layers.GRU(3, stateful=True)
    torchseq.Sequential([torchseq.Input((4, 5), batch_size=2), layer])
    layer.reset_states(np.ones((2, 3)))
    np.testing.assert_array_equal(layer.states[0].numpy(), np.ones((2, 3)))


@pytest.mark.parametrize("layer_class", [layers.SimpleRNN, layers.LSTM, layers.GRU])
def test_input_length_and_input_dim_give_the_input_shape(layer_class):
    model = torchseq.Sequential([layer_class(4, input_length=7, input_dim=3)])
    assert model.built and tuple(model.input_shape) == (None, 7, 3)
    assert tuple(layer_class(4, input_dim=3)._batch_input_shape) == (None, None, 3)
    explicit = layer_class(4, input_shape=(5, 2), input_length=7)
    assert tuple(explicit._batch_input_shape) == (None, 5, 2)
