"""SequentialModel: the seed guide's behaviours, bad input, and nn.Module citizenship."""

import numpy as np
import pytest
import torch
import torchinfo

import torchseq as keras
from torchseq import layers


def three_dense():
    return keras.Sequential(
        [
            layers.Dense(2, activation="relu"),
            layers.Dense(3, activation="relu"),
            layers.Dense(4),
        ]
    )


# ---------------------------------------------------------------------- the seed guide


def test_layers_are_listed_unbuilt_with_automatic_names():
    model = three_dense()
    assert repr(model.layers) == (
        "[<Dense name=dense, built=False>, <Dense name=dense_1, built=False>, "
        "<Dense name=dense_2, built=False>]"
    )
    assert model.name == "sequential"
    assert keras.Sequential is keras.SequentialModel


def test_add_and_pop_behave_like_a_list():
    model = keras.Sequential()
    model.add(layers.Dense(2, activation="relu"))
    model.add(layers.Dense(3, activation="relu"))
    model.add(layers.Dense(4))
    popped = model.pop()
    assert popped.name == "dense_2"
    assert len(model.layers) == 2


def test_name_argument():
    model = keras.Sequential(name="my_sequential")
    model.add(layers.Dense(2, activation="relu", name="layer1"))
    assert model.name == "my_sequential"
    assert model.get_layer("layer1") is model.layers[0]


def test_named_model_and_layers_do_not_consume_automatic_names():
    keras.Sequential(name="mine", layers=[layers.Dense(1, name="x")])
    assert keras.Sequential().name == "sequential"
    assert layers.Dense(1).name == "dense"


def test_each_build_takes_a_functional_name_as_in_keras():
    # Keras wraps every (re)build of a Sequential in a Functional model, which takes the next
    # automatic "functional" name: the Functional models made after it are numbered on.
    keras.Sequential([keras.Input((3,)), layers.Dense(2)])  # built once
    built_later = keras.Sequential([layers.Dense(2)])
    built_later.build((None, 3))  # once
    grown = keras.Sequential()
    grown.add(keras.Input((3,)))  # no layer yet: no build
    grown.add(layers.Dense(2))
    grown.add(layers.Dense(2))
    grown.pop()  # three builds
    keras.Sequential([layers.Dense(2)])  # never built
    inputs = keras.Input((3,))
    assert keras.Model(inputs, layers.Dense(1)(inputs)).name == "functional_5"


def test_weights_are_created_by_the_first_call():
    model = three_dense()
    with pytest.raises(ValueError, match="not been built yet.*model.build"):
        _ = model.weights
    with pytest.raises(ValueError, match="not been built yet"):
        model.summary()
    model(keras.ops.ones((1, 4)) if hasattr(keras, "ops") else torch.ones(1, 4))
    assert len(model.weights) == 6
    assert [tuple(w.shape) for w in model.weights] == [(4, 2), (2,), (2, 3), (3,), (3, 4), (4,)]
    assert model.weights[0].path == "dense/kernel"


def test_summary_after_a_call_shows_the_real_batch(capsys):
    model = three_dense()
    model(torch.ones(1, 4))
    model.summary()
    out = capsys.readouterr().out
    assert "│ dense (Dense)" in out and "│ (1, 2)" in out
    assert " Total params: 35 (140.00 B)" in out
    assert " Trainable params: 35 (140.00 B)" in out
    assert " Non-trainable params: 0 (0.00 B)" in out


def test_input_first_builds_at_once_and_is_not_a_layer(capsys):
    model = keras.Sequential()
    model.add(keras.Input(shape=(4,)))
    model.add(layers.Dense(2, activation="relu"))
    assert model.built and len(model.weights) == 2
    assert repr(model.layers) == "[<Dense name=dense, built=True>]"
    model.summary()
    out = capsys.readouterr().out
    assert "(None, 2)" in out and " Total params: 10 (40.00 B)" in out


@pytest.mark.parametrize(
    "first",
    [
        lambda: layers.Dense(2, input_shape=(4,)),
        lambda: layers.Dense(2, input_dim=4),
        lambda: layers.Dense(2, batch_input_shape=(None, 4)),
    ],
    ids=["input_shape", "input_dim", "batch_input_shape"],
)
def test_keras2_input_spellings_on_the_first_layer(first):
    model = keras.Sequential([first()])
    assert model.built
    assert model.output_shape == (None, 2)
    assert model.count_params() == 10


def test_batch_size_fixes_the_batch_axis():
    model = keras.Sequential([layers.Dense(2, input_shape=(6, 8), batch_size=32)])
    assert model.inputs[0].shape == (32, 6, 8)
    assert model.output_shape == (32, 6, 2)


def test_input_shape_as_an_int_is_accepted():
    model = keras.Sequential([keras.Input(shape=(784)), layers.Dense(10)])
    assert model.output_shape == (None, 10)


def test_build_with_a_shape():
    model = three_dense()
    model.build((None, 4))
    assert model.built and model.count_params() == 35
    assert model.layers[-1].output.shape == (None, 4)


def test_feature_extractor_from_layer_outputs():
    initial = keras.Sequential(
        [
            keras.Input(shape=(8,)),
            layers.Dense(5, activation="relu"),
            layers.Dense(4, activation="relu", name="my_intermediate_layer"),
            layers.Dense(3),
        ]
    )
    extractor = keras.Model(
        inputs=initial.inputs, outputs=[layer.output for layer in initial.layers]
    )
    features = extractor(torch.ones(2, 8))
    assert [tuple(f.shape) for f in features] == [(2, 5), (2, 4), (2, 3)]
    np.testing.assert_allclose(features[-1].detach(), initial(torch.ones(2, 8)).detach())
    single = keras.Model(
        inputs=initial.inputs, outputs=initial.get_layer(name="my_intermediate_layer").output
    )
    assert tuple(single(torch.ones(1, 8)).shape) == (1, 4)


def test_freezing_all_but_the_last_layer():
    model = keras.Sequential(
        [keras.Input(shape=(784,))] + [layers.Dense(32, activation="relu") for _ in range(3)]
        + [layers.Dense(10)]
    )
    for layer in model.layers[:-1]:
        layer.trainable = False
    assert len(model.trainable_weights) == 2
    assert len(model.non_trainable_weights) == 6
    assert all(not w.requires_grad for w in model.layers[0].weights)


def test_a_frozen_nested_model_acts_as_a_layer():
    base = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(4)], name="base")
    base.trainable = False
    model = keras.Sequential([keras.Input(shape=(6,)), base, layers.Dense(2)])
    assert model.output_shape == (None, 2)
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    base.trainable = True
    assert len(model.trainable_weights) == 4


def test_pop_rebuilds_the_outputs():
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(5), layers.Dense(2)])
    model.pop()
    assert model.output_shape == (None, 5)
    assert model.outputs[0] is model.layers[-1].output


# ---------------------------------------------------------------------- bad input


def test_adding_a_non_layer_is_a_type_error():
    model = keras.Sequential()
    with pytest.raises(TypeError, match="expects a Layer.*received: 3 of type int"):
        model.add(3)


def test_duplicate_names_are_rejected_without_change():
    model = keras.Sequential([layers.Dense(2, name="a")])
    with pytest.raises(ValueError, match="unique names.*'a'"):
        model.add(layers.Dense(3, name="a"))
    assert len(model.layers) == 1


def test_a_second_input_is_rejected():
    model = keras.Sequential([keras.Input(shape=(3,))])
    with pytest.raises(ValueError, match="already has an input"):
        model.add(keras.Input(shape=(3,)))
    model = keras.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="already has layers"):
        model.add(keras.Input(shape=(3,)))


def test_a_layer_that_does_not_fit_is_rejected_before_it_is_added():
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(4)])
    built_elsewhere = layers.Dense(2)
    built_elsewhere(torch.ones(1, 7))
    with pytest.raises(ValueError, match='layer "dense_1".*value 7.*\\(None, 4\\)'):
        model.add(built_elsewhere)
    assert len(model.layers) == 1 and model.output_shape == (None, 4)


def test_wrong_input_size_for_a_built_model():
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(4)])
    with pytest.raises(ValueError, match='layer "dense".*axis -1.*value 3.*\\(2, 5\\)'):
        model(torch.ones(2, 5))


def test_get_layer_errors():
    model = keras.Sequential([layers.Dense(2, name="a"), layers.Dense(1, name="b")])
    assert model.get_layer(index=1).name == "b"
    with pytest.raises(ValueError, match="no layer named 'c'.*\\['a', 'b'\\]"):
        model.get_layer("c")
    with pytest.raises(ValueError, match="index 5 is out of range.*2 layers"):
        model.get_layer(index=5)
    with pytest.raises(ValueError, match="exactly one of name= or index="):
        model.get_layer()


def test_pop_on_an_empty_model():
    with pytest.raises(TypeError, match="no layers.*to pop"):
        keras.Sequential().pop()


def test_set_weights_with_the_wrong_count_changes_nothing():
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
    before = model.get_weights()
    with pytest.raises(ValueError, match="expects 2 weight arrays.*received 1"):
        model.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"shape \(3, 2\), received an array of shape \(2, 3\)"):
        model.set_weights([np.zeros((2, 3)), np.zeros(2)])
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------- a torch module


def test_models_start_in_inference_mode_and_training_true_is_scoped():
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
    assert model.training is False and model.layers[0].training is False
    seen = []
    model.layers[0].register_forward_hook(lambda module, i, o: seen.append(module.training))
    model(torch.ones(1, 3), training=True)
    assert seen == [True]
    assert model.training is False and model.layers[0].training is False


def test_state_dict_keys_do_not_depend_on_automatic_names():
    first = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(4), layers.Dense(2)])
    second = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(4), layers.Dense(2)])
    assert first.layers[0].name != second.layers[0].name
    assert list(first.state_dict()) == [
        "layers.0.kernel", "layers.0.bias", "layers.1.kernel", "layers.1.bias"
    ]
    second.load_state_dict(first.state_dict())
    x = torch.randn(5, 3)
    torch.testing.assert_close(first(x), second(x))


def test_state_dict_loads_into_an_unbuilt_model():
    built = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(4), layers.Dense(2)])
    lazy = keras.Sequential([layers.Dense(4), layers.Dense(2)])
    lazy.load_state_dict(built.state_dict())
    x = torch.randn(5, 3)
    torch.testing.assert_close(lazy(x), built(x))


def test_moves_and_casts_like_any_module():
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
    model.to(torch.float64)
    assert model(torch.ones(1, 3, dtype=torch.float64)).dtype == torch.float64
    assert model.weights[0].path == "dense/kernel"


def test_torch_compile_gives_the_same_numbers():
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(8, activation="relu"),
                              layers.Dense(2)])
    x = torch.randn(4, 3)
    torch.testing.assert_close(torch.compile(model)(x), model(x))


def test_torchinfo_counts_the_same_parameters():
    model = keras.Sequential([keras.Input(shape=(20,)), layers.Dense(64), layers.Dense(10)])
    stats = torchinfo.summary(model, input_size=(1, 20), verbose=0)
    assert stats.total_params == model.count_params() == 20 * 64 + 64 + 64 * 10 + 10


def test_inside_a_larger_torch_model():
    class Head(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(4)])
            self.out = torch.nn.Linear(4, 1)

        def forward(self, x):
            return self.out(self.body(x))

    head = Head()
    loss = head(torch.randn(2, 3)).sum()
    loss.backward()
    assert head.body.layers[0].kernel.grad is not None
    assert len(list(head.parameters())) == 4


def test_numpy_input_is_accepted():
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
    out = model(np.ones((2, 3)))
    assert out.dtype == torch.float32 and tuple(out.shape) == (2, 2)


def test_config_round_trip_rebuilds_the_same_architecture():
    model = keras.Sequential(
        [keras.Input(shape=(8, 8, 3)), layers.Conv2D(4, 3, activation="relu"),
         layers.Flatten(), layers.Dense(2, name="head")],
        name="small",
    )
    config = model.get_config()
    assert [entry["class_name"] for entry in config["layers"]] == [
        "InputLayer", "Conv2D", "Flatten", "Dense"
    ]
    clone = keras.Sequential.from_config(config)
    assert clone.name == "small" and clone.output_shape == (None, 2)
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    clone.set_weights(model.get_weights())
    x = torch.randn(2, 8, 8, 3)
    torch.testing.assert_close(clone(x), model(x))


def test_a_plain_torch_module_stands_in_a_sequential_model():
    backbone = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
    )
    model = keras.Sequential([keras.Input(shape=(3, 16, 16)), backbone, layers.Dense(10)])
    assert model.output_shape == (None, 10)
    assert model.count_params() == (3 * 8 * 9 + 8) + (8 * 10 + 10)
    lines = []
    model.summary(print_fn=lines.append, expand_nested=True)
    assert "TorchModule(Sequential)" in lines[0] and "(None, 8)" in lines[0]
    assert "└ 0 (Conv2d)" in lines[0]
    backbone_layer = model.layers[0]
    backbone_layer.trainable = False
    assert len(model.trainable_weights) == 2
    assert tuple(model(torch.randn(2, 3, 16, 16)).shape) == (2, 10)


def _functional_names_after_sequential_builds(lib):
    """The automatic names of Functional models made after each way of building a
    Sequential (Keras makes an inner Functional model at every build)."""
    layers_ = lib.layers

    def next_name():
        inputs = lib.Input((3,))
        return lib.Model(inputs, inputs).name

    names = []
    lib.Sequential([layers_.Dense(2)])  # no input: not built
    names.append(next_name())
    lib.Sequential([lib.Input((3,)), layers_.Dense(2), layers_.Dense(2)])
    names.append(next_name())
    model = lib.Sequential()
    for layer in (lib.Input((3,)), layers_.Dense(2), layers_.Dense(2)):
        model.add(layer)
    names.append(next_name())
    model.pop()
    names.append(next_name())
    model = lib.Sequential([layers_.Dense(2)])
    model(np.zeros((1, 3), "float32"))
    names.append(next_name())
    model.add(layers_.Dense(1))
    names.append(next_name())
    lib.Sequential.from_config(model.get_config())
    names.append(next_name())
    return names


def test_building_takes_the_automatic_names_of_keras_inner_functional_models():
    # Keras's summaries of models made after a Sequential read "functional_1"
    # (keras.io's text classification transformer, with a Sequential feed-forward block).
    reference = pytest.importorskip("keras")
    reference.utils.clear_session()
    expected = _functional_names_after_sequential_builds(reference)
    assert _functional_names_after_sequential_builds(keras) == expected
    assert expected[:2] == ["functional", "functional_2"]


def test_a_stack_led_by_a_functional_model_is_built_for_its_input_as_in_keras():
    # keras.io's transfer learning: Sequential([base_model, GlobalAveragePooling2D(), Dense])
    # shows (None, ...) shapes, not the first batch's size.
    reference = pytest.importorskip("keras")
    shapes = []
    for lib in (keras, reference):
        inputs = lib.Input((4,))
        base = lib.Model(inputs, lib.layers.Dense(3)(inputs))
        model = lib.Sequential([base, lib.layers.Dense(2)])
        assert model.built
        model.compile("sgd", "mse")
        model.fit(np.ones((8, 4), "float32"), np.ones((8, 2), "float32"), verbose=0)
        shapes.append((tuple(model.input_shape), tuple(model.output_shape)))
    assert shapes[0] == shapes[1] == ((None, 4), (None, 2))
    inputs = keras.Input((4,))
    lone = keras.Sequential([keras.Model(inputs, keras.layers.Dense(3)(inputs))])
    assert not lone.built  # one layer: built by its first data, as in Keras
