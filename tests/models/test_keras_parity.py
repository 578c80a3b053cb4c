"""Whole models against Keras 3: the same code builds both, Keras's weights are copied in.

Each builder takes the framework module (torchseq or keras), so architecture, names and
layer order are identical by construction.
"""

import numpy as np
import pytest
import torch

import torchseq

keras = pytest.importorskip("keras")

# Keras 3 warns about the Keras-2 input_shape= spelling the seed guides use; torchseq accepts it.
pytestmark = pytest.mark.filterwarnings("ignore:Do not pass an `input_shape`:UserWarning")


def seed_mlp(k):
    model = k.Sequential()
    model.add(k.layers.Dense(64, activation="relu", input_shape=(20,)))
    model.add(k.layers.Dropout(0.5))
    model.add(k.layers.Dense(64, activation="relu"))
    model.add(k.layers.Dropout(0.5))
    model.add(k.layers.Dense(10, activation="softmax"))
    return model, [(8, 20)]


def seed_vgg_like(k):
    model = k.Sequential()
    model.add(k.layers.Conv2D(8, (3, 3), activation="relu", input_shape=(20, 20, 3)))
    model.add(k.layers.Conv2D(8, (3, 3), activation="relu"))
    model.add(k.layers.MaxPooling2D(pool_size=(2, 2)))
    model.add(k.layers.Dropout(0.25))
    model.add(k.layers.Conv2D(16, (3, 3), activation="relu"))
    model.add(k.layers.MaxPooling2D(pool_size=(2, 2)))
    model.add(k.layers.Flatten())  # channels_last order: weights must line up with Keras's
    model.add(k.layers.Dense(32, activation="relu"))
    model.add(k.layers.Dense(10, activation="softmax"))
    return model, [(4, 20, 20, 3)]


def seed_conv1d(k):
    model = k.Sequential()
    model.add(k.layers.Conv1D(16, 3, activation="relu", input_shape=(24, 10)))
    model.add(k.layers.Conv1D(16, 3, activation="relu"))
    model.add(k.layers.MaxPooling1D(3))
    model.add(k.layers.Conv1D(32, 3, activation="relu"))
    model.add(k.layers.GlobalAveragePooling1D())
    model.add(k.layers.Dense(1, activation="sigmoid"))
    return model, [(4, 24, 10)]


def batchnorm_convnet(k):
    model = k.Sequential(
        [
            k.Input(shape=(8, 8, 3)),
            k.layers.Conv2D(6, 3, padding="same", use_bias=False),
            k.layers.BatchNormalization(),
            k.layers.Activation("relu"),
            k.layers.AveragePooling2D(2),
            k.layers.Flatten(),
            k.layers.Dense(4),
            k.layers.LayerNormalization(),
        ]
    )
    return model, [(5, 8, 8, 3)]


def functional_multi_output(k):
    posts = k.Input(shape=(30,), dtype="int32", name="posts")
    x = k.layers.Embedding(50, 8)(posts)
    x = k.layers.Conv1D(16, 5, activation="relu")(x)
    x = k.layers.MaxPooling1D(5)(x)
    x = k.layers.GlobalMaxPooling1D()(x)
    x = k.layers.Dense(16, activation="relu")(x)
    age = k.layers.Dense(1, name="age")(x)
    income = k.layers.Dense(4, activation="softmax", name="income")(x)
    gender = k.layers.Dense(1, activation="sigmoid", name="gender")(x)
    return k.Model(posts, [age, income, gender]), [("int", 3, 30)]


def functional_residual_and_merge(k):
    a = k.Input(shape=(6,), name="a")
    b = k.Input(shape=(6,), name="b")
    shared = k.layers.Dense(6, activation="tanh")
    added = k.layers.add([a, shared(a), shared(b)])
    stacked = k.layers.concatenate([added, k.layers.multiply([a, b])])
    out = k.layers.Dense(3)(k.layers.Reshape((3, 4))(stacked))
    return k.Model([a, b], k.layers.Flatten()(out)), [(4, 6), (4, 6)]


def time_distributed_model(k):
    inner_in = k.Input(shape=(5,))
    inner = k.Model(inner_in, k.layers.Dense(3, activation="softmax")(inner_in))
    seq = k.Input(shape=(7, 5))
    return k.Model(seq, k.layers.TimeDistributed(inner)(seq)), [(2, 7, 5)]


BUILDERS = [
    seed_mlp,
    seed_vgg_like,
    seed_conv1d,
    batchnorm_convnet,
    functional_multi_output,
    functional_residual_and_merge,
    time_distributed_model,
]


def make_inputs(specs, seed=0):
    rng = np.random.default_rng(seed)
    arrays = []
    for spec in specs:
        if spec[0] == "int":
            arrays.append(rng.integers(0, 50, size=spec[1:]).astype("int32"))
        else:
            arrays.append(rng.standard_normal(spec).astype("float32"))
    return arrays[0] if len(arrays) == 1 else arrays


def as_numpy(outputs):
    if isinstance(outputs, (list, tuple)):
        return [as_numpy(o) for o in outputs]
    return outputs.detach().cpu().numpy()


def build_pair(builder):
    keras.utils.clear_session()
    reference, specs = builder(keras)
    ours, _ = builder(torchseq)
    ours.set_weights(reference.get_weights())
    return ours, reference, make_inputs(specs)


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_same_weights_give_the_same_outputs(builder):
    ours, reference, inputs = build_pair(builder)
    assert ours.count_params() == reference.count_params()
    assert [l.name for l in ours.layers] == [l.name for l in reference.layers]
    expected = as_numpy(reference(inputs, training=False))
    actual = as_numpy(ours(inputs))
    for a, e in zip(actual if isinstance(actual, list) else [actual],
                    expected if isinstance(expected, list) else [expected]):
        np.testing.assert_allclose(a, e, atol=2e-5, rtol=1e-4)


def test_training_mode_batch_statistics_match():
    ours, reference, inputs = build_pair(batchnorm_convnet)
    expected = as_numpy(reference(inputs, training=True))
    actual = as_numpy(ours(inputs, training=True))
    np.testing.assert_allclose(actual, expected, atol=2e-5, rtol=1e-4)
    for a, e in zip(ours.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, np.asarray(e), atol=1e-6, rtol=1e-5)


def test_weights_round_trip_back_into_keras():
    ours, reference, inputs = build_pair(seed_vgg_like)
    with torch.no_grad():
        for weight in ours.weights:
            weight.add_(0.01)
    reference.set_weights(ours.get_weights())
    np.testing.assert_allclose(
        as_numpy(ours(inputs)), as_numpy(reference(inputs, training=False)), atol=2e-5, rtol=1e-4
    )
