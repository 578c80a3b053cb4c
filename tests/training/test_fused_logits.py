"""Softmax/sigmoid outputs trained from their logits: Keras's numbers, probabilities
everywhere outside the training step, and no fusion where it would change the model."""

import numpy as np
import pytest

import torchseq

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(0)
X = RNG.random((48, 6)).astype("float32")
LABELS = RNG.integers(0, 4, 48)

CASES = {
    "softmax_categorical": ("softmax", 4, "categorical_crossentropy", np.eye(4, dtype="float32")[LABELS]),
    "softmax_sparse": ("softmax", 4, "sparse_categorical_crossentropy", LABELS),
    "sigmoid_binary": ("sigmoid", 1, "binary_crossentropy", (LABELS % 2).astype("float32")[:, None]),
}


def build(k, activation, units, final_activation_layer=False):
    model = k.Sequential([k.Input((6,)), k.layers.Dense(8, activation="tanh")])
    if final_activation_layer:
        model.add(k.layers.Dense(units))
        model.add(k.layers.Activation(activation))
    else:
        model.add(k.layers.Dense(units, activation=activation))
    return model


@pytest.mark.parametrize("final_activation_layer", [False, True], ids=["dense", "activation_layer"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_training_from_logits_gives_keras_numbers(case, final_activation_layer):
    activation, units, loss, y = CASES[case]
    ours = build(torchseq, activation, units, final_activation_layer)
    theirs = build(keras, activation, units, final_activation_layer)
    ours.set_weights(theirs.get_weights())
    for model, k in ((ours, torchseq), (theirs, keras)):
        model.compile(optimizer=k.optimizers.SGD(0.5), loss=loss, metrics=["accuracy"])
    ours_history = ours.fit(X, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    theirs_history = theirs.fit(X, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    assert ours._compile_state.fused  # the step did train from the logits
    for mine, reference in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-6)
    for name in ("loss", "accuracy"):
        np.testing.assert_allclose(ours_history[name], theirs_history[name], rtol=1e-5)


def test_outside_the_step_the_model_gives_probabilities():
    model = build(torchseq, "softmax", 4)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    model.fit(X, np.eye(4, dtype="float32")[LABELS], epochs=1, verbose=0)
    for output in (model.predict(X, verbose=0), model(X, training=True).detach().numpy()):
        np.testing.assert_allclose(output.sum(axis=-1), 1.0, rtol=1e-5)
        assert (output >= 0).all()


def test_an_output_layer_used_elsewhere_in_the_graph_is_not_fused():
    inputs = torchseq.Input((6,))
    probabilities = torchseq.layers.Dense(4, activation="softmax")(inputs)
    doubled = torchseq.layers.Dense(4)(probabilities)  # a consumer of the probabilities
    model = torchseq.Model(inputs, [probabilities, doubled])
    model.compile(optimizer="sgd", loss=["categorical_crossentropy", "mse"])
    y = np.eye(4, dtype="float32")[LABELS]
    model.fit(X, [y, y], epochs=1, verbose=0)
    assert model._compile_state.fused == []


def test_jit_compiled_and_from_logits_models_are_left_as_they_are():
    model = build(torchseq, "softmax", 4)
    model.compile(optimizer="sgd", loss=torchseq.losses.CategoricalCrossentropy(from_logits=True))
    model.fit(X, np.eye(4, dtype="float32")[LABELS], epochs=1, verbose=0)
    assert model._compile_state.fused == []


@pytest.mark.parametrize(
    "metrics, softmax_for_metrics",
    [(["accuracy"], False), (["accuracy", "categorical_crossentropy", "auc"], True)],
    ids=["argmax_only", "probabilities"],
)
def test_metrics_get_probabilities_unless_they_only_take_the_argmax(metrics, softmax_for_metrics):
    _, units, loss, y = CASES["softmax_categorical"]
    ours, theirs = build(torchseq, "softmax", units), build(keras, "softmax", units)
    ours.set_weights(theirs.get_weights())
    for model, k in ((ours, torchseq), (theirs, keras)):
        model.compile(optimizer=k.optimizers.SGD(0.5), loss=loss, metrics=list(metrics))
    ours_history = ours.fit(X, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    theirs_history = theirs.fit(X, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    assert [output.for_metrics for output in ours._compile_state.fused] == [softmax_for_metrics]
    assert sorted(ours_history) == sorted(theirs_history)
    for name, values in theirs_history.items():
        np.testing.assert_allclose(ours_history[name], values, rtol=1e-5, err_msg=name)


def soft_targets():
    soft = RNG.random((48, 4)).astype("float32") + 0.1
    return soft / soft.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("targets", ["one_hot", "soft"])
def test_categorical_targets_take_class_indices_only_when_all_are_one_hot(targets):
    y = CASES["softmax_categorical"][3] if targets == "one_hot" else soft_targets()
    ours, theirs = build(torchseq, "softmax", 4), build(keras, "softmax", 4)
    ours.set_weights(theirs.get_weights())
    for model, k in ((ours, torchseq), (theirs, keras)):
        model.compile(optimizer=k.optimizers.SGD(0.5), loss="categorical_crossentropy")
    seen = []
    during = torchseq.callbacks.LambdaCallback(
        on_train_batch_begin=lambda batch, logs: seen.append(ours._compile_state.fused[0].one_hot)
    )
    ours_history = ours.fit(
        X, y, batch_size=16, epochs=2, shuffle=False, verbose=0, callbacks=[during]
    ).history
    theirs_history = theirs.fit(X, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    assert set(seen) == {targets == "one_hot"}
    assert ours._compile_state.fused[0].one_hot is False  # only while that fit runs
    np.testing.assert_allclose(ours_history["loss"], theirs_history["loss"], rtol=1e-5)
    for mine, reference in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-6)


def test_soft_targets_trained_on_a_batch_inside_a_one_hot_fit_keep_their_loss():
    model = build(torchseq, "softmax", 4)
    model.compile(optimizer=torchseq.optimizers.SGD(0.0), loss="categorical_crossentropy")
    soft = soft_targets()[:16]
    inside = []

    def train_soft(batch, logs):
        if batch == 1:
            inside.append(model.train_on_batch(X[:16], soft))
            inside.append(model._compile_state.fused[0].one_hot)

    model.fit(
        X, CASES["softmax_categorical"][3], batch_size=16, verbose=0,
        callbacks=[torchseq.callbacks.LambdaCallback(on_train_batch_end=train_soft)],
    )
    probabilities = model.predict(X[:16], verbose=0)  # learning rate 0: unchanged weights
    expected = -(soft * np.log(probabilities)).sum(axis=-1).mean()
    np.testing.assert_allclose(inside[0], expected, rtol=1e-5)
    assert inside[1] is True  # the fit's own steps went back to class indices


def test_one_soft_row_in_the_last_block_keeps_the_probability_targets(monkeypatch):
    from torchseq.training import fused_logits

    monkeypatch.setattr(fused_logits, "_ROWS_PER_CHECK", 16)  # 48 rows: three blocks
    y = CASES["softmax_categorical"][3].copy()
    y[-1] = [0.25, 0.25, 0.25, 0.25]
    model = build(torchseq, "softmax", 4)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    seen = []
    model.fit(
        X, y, batch_size=16, verbose=0,
        callbacks=[torchseq.callbacks.LambdaCallback(
            on_train_batch_begin=lambda batch, logs: seen.append(
                model._compile_state.fused[0].one_hot
            )
        )],
    )
    assert seen == [False, False, False]
