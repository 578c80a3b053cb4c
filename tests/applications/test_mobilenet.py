"""MobileNet and MobileNetV2 against Keras 3's builders: layers, shapes, parameter counts and,
with the same weights, the same outputs."""

import keras
import numpy as np
import pytest

from tests.applications.parity import layer_signature
from torchseq import config, layers
from torchseq.applications import mobilenet, mobilenet_v2, mobilenet_v3
from torchseq.layers.input_layer import Input
from torchseq.utils import naming

# (Keras builder, torchseq builder, arguments); small inputs keep the builds cheap.
STRUCTURE_CASES = [
    (keras.applications.MobileNet, mobilenet.MobileNet,
     {"input_shape": (32, 32, 3)}),
    (keras.applications.MobileNet, mobilenet.MobileNet,
     {"input_shape": (33, 40, 3), "alpha": 0.5, "depth_multiplier": 2, "include_top": False}),
    (keras.applications.MobileNet, mobilenet.MobileNet,
     {"input_shape": (32, 32, 1), "alpha": 0.25, "include_top": False, "pooling": "max"}),
    (keras.applications.MobileNetV2, mobilenet_v2.MobileNetV2,
     {"input_shape": (32, 32, 3), "classes": 10}),
    (keras.applications.MobileNetV2, mobilenet_v2.MobileNetV2,
     {"input_shape": (35, 35, 3), "alpha": 1.4, "include_top": False, "pooling": "avg"}),
    (keras.applications.MobileNetV2, mobilenet_v2.MobileNetV2,
     {"alpha": 0.35, "include_top": False}),
    (keras.applications.MobileNetV3Small, mobilenet_v3.MobileNetV3Small,
     {"input_shape": (33, 40, 3), "minimalistic": True, "alpha": 0.75, "pooling": "avg"}),
    (keras.applications.MobileNetV3Large, mobilenet_v3.MobileNetV3Large,
     {"input_shape": (32, 32, 3), "alpha": 1.25, "classes": 5}),
    (keras.applications.MobileNetV3Large, mobilenet_v3.MobileNetV3Large,
     {"minimalistic": True, "include_top": False, "include_preprocessing": False}),
]


def build_pair(keras_builder, torchseq_builder, **kwargs):
    keras.backend.clear_session()
    naming.clear_session()
    return keras_builder(weights=None, **kwargs), torchseq_builder(weights=None, **kwargs)


def randomize_statistics(kmodel, seed=0):
    """Give Keras's batch norms non-trivial statistics, so that parity tests them too."""
    rng = np.random.default_rng(seed)
    for layer in kmodel.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            channels = layer.get_weights()[0].shape
            layer.set_weights([
                rng.uniform(0.5, 1.5, channels), rng.normal(0.0, 0.1, channels),
                rng.normal(0.0, 0.1, channels), rng.uniform(0.5, 1.5, channels),
            ])


@pytest.mark.parametrize(
    "keras_builder, torchseq_builder, kwargs", STRUCTURE_CASES,
    ids=lambda case: getattr(case, "__name__", None),
)
def test_structure_matches_keras(keras_builder, torchseq_builder, kwargs):
    kmodel, tmodel = build_pair(keras_builder, torchseq_builder, **kwargs)
    assert tmodel.name == kmodel.name
    assert layer_signature(tmodel) == layer_signature(kmodel)
    assert [tuple(layer.output.shape) for layer in tmodel.layers] == [
        tuple(layer.output.shape) for layer in kmodel.layers
    ]
    assert tmodel.count_params() == kmodel.count_params()


@pytest.mark.parametrize("include_top", [True, False])
@pytest.mark.parametrize(
    "keras_builder, torchseq_builder, alpha",
    [
        (keras.applications.MobileNet, mobilenet.MobileNet, 0.25),
        (keras.applications.MobileNetV2, mobilenet_v2.MobileNetV2, 0.35),
        (keras.applications.MobileNetV3Small, mobilenet_v3.MobileNetV3Small, 0.75),
    ],
)
def test_same_weights_same_outputs(keras_builder, torchseq_builder, alpha, include_top):
    kwargs = {"input_shape": (32, 32, 3), "alpha": alpha, "include_top": include_top}
    if include_top:
        kwargs.update(classes=7, classifier_activation=None)
    kmodel, tmodel = build_pair(keras_builder, torchseq_builder, **kwargs)
    randomize_statistics(kmodel)
    tmodel.set_weights(kmodel.get_weights())
    x = np.random.default_rng(1).uniform(-1.0, 1.0, (2, 32, 32, 3)).astype("float32")
    expected = keras.ops.convert_to_numpy(kmodel(x, training=False))
    np.testing.assert_allclose(tmodel.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("module, keras_module", [
    (mobilenet, keras.applications.mobilenet),
    (mobilenet_v2, keras.applications.mobilenet_v2),
    (mobilenet_v3, keras.applications.mobilenet_v3),
])
def test_preprocess_input_matches_keras(module, keras_module):
    x = np.random.default_rng(0).uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(
        module.preprocess_input(x.copy()), keras_module.preprocess_input(x.copy()), rtol=1e-6
    )


@pytest.mark.parametrize("builder", [mobilenet.MobileNet, mobilenet_v2.MobileNetV2])
def test_argument_errors(builder):
    with pytest.raises(ValueError, match="weights.*Received: weights='nowhere.h5'"):
        builder(weights="nowhere.h5")
    with pytest.raises(ValueError, match="classes.*1000.*Received: classes=10"):
        builder(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="at least 32x32"):
        builder(weights=None, include_top=False, input_shape=(31, 64, 3))
    with pytest.raises(ValueError, match=r"should be \(224, 224, 3\)"):
        builder(weights="imagenet", input_shape=(100, 100, 3))
    with pytest.raises(ValueError, match="3 channels"):
        builder(weights="imagenet", include_top=False, input_shape=(64, 64, 1))
    with pytest.raises(ValueError, match="pooling.*Received: pooling='mean'"):
        builder(weights=None, include_top=False, pooling="mean")
    with pytest.raises(ValueError, match="static `input_shape`"):
        builder(weights=None, input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="symbolic tensor"):
        builder(weights=None, input_tensor=np.zeros((1, 32, 32, 3)))


def test_mobilenet_imagenet_argument_errors():
    with pytest.raises(ValueError, match="depth_multiplier=2"):
        mobilenet.MobileNet(weights="imagenet", depth_multiplier=2)
    with pytest.raises(ValueError, match="alpha=0.3"):
        mobilenet.MobileNet(weights="imagenet", alpha=0.3)
    with pytest.raises(ValueError, match="classifier_activation='relu'"):
        mobilenet.MobileNet(weights="imagenet", classifier_activation="relu")


def test_mobilenet_v2_imagenet_argument_errors():
    with pytest.raises(ValueError, match="alpha=0.3"):
        mobilenet_v2.MobileNetV2(weights="imagenet", alpha=0.3)
    with pytest.raises(ValueError, match=r"input_tensor.shape\[2\] must equal input_shape\[1\]"):
        mobilenet_v2.MobileNetV2(
            weights=None, input_tensor=Input((32, 48, 3)), input_shape=(32, 32, 3)
        )


def test_mobilenet_v3_argument_errors():
    with pytest.raises(ValueError, match="alpha=0.75, minimalistic=True"):
        mobilenet_v3.MobileNetV3Small(weights="imagenet", alpha=0.75, minimalistic=True)
    with pytest.raises(ValueError, match=r"input_shape\[1\] must equal input_tensor.shape\[2\]"):
        mobilenet_v3.MobileNetV3Large(
            weights=None, input_tensor=Input((32, 48, 3)), input_shape=(32, 32, 3)
        )
    with pytest.raises(ValueError, match="at least 32x32"):
        mobilenet_v3.MobileNetV3Large(weights=None, input_tensor=Input((31, 48, 3)))
    with pytest.raises(ValueError, match="classes.*1000.*Received: classes=3"):
        mobilenet_v3.MobileNetV3Small(weights="imagenet", classes=3)
    with pytest.raises(ValueError, match="weights.*Received: weights='nowhere.h5'"):
        mobilenet_v3.MobileNetV3Small(weights="nowhere.h5")
    with pytest.raises(ValueError, match="3 channels"):
        mobilenet_v3.MobileNetV3Small(weights="imagenet", input_shape=(64, 64, 1))
    with pytest.raises(ValueError, match="pooling.*Received: pooling='mean'"):
        mobilenet_v3.MobileNetV3Small(weights=None, include_top=False, pooling="mean")
    with pytest.raises(ValueError, match="symbolic tensor"):
        mobilenet_v3.MobileNetV3Small(weights=None, input_tensor=np.zeros((1, 32, 32, 3)))


def test_channels_first_is_refused():
    config.set_image_data_format("channels_first")
    try:
        with pytest.raises(ValueError, match="channels-last"):
            mobilenet.MobileNet(weights=None, input_shape=(3, 32, 32), include_top=False)
    finally:
        config.set_image_data_format("channels_last")


def test_input_tensor_keeps_the_layers_before_it():
    keras.backend.clear_session()
    kinputs = keras.Input((64, 64, 3))
    kmodel = keras.applications.MobileNetV2(
        weights=None, input_tensor=keras.layers.Rescaling(1.0 / 127.5, offset=-1.0)(kinputs),
        include_top=False, alpha=0.35,
    )
    inputs = Input((64, 64, 3))
    model = mobilenet_v2.MobileNetV2(
        weights=None, input_tensor=layers.Rescaling(1.0 / 127.5, offset=-1.0)(inputs),
        include_top=False, alpha=0.35,
    )
    assert model.inputs == [inputs]
    assert model.name == kmodel.name == "mobilenetv2_0.35_None"
    assert layer_signature(model) == layer_signature(kmodel)
    assert tuple(model.output.shape) == tuple(kmodel.output.shape)


def test_weights_from_a_path(tmp_path):
    source = mobilenet.MobileNet(weights=None, input_shape=(32, 32, 3), alpha=0.25, classes=3)
    path = str(tmp_path / "mobilenet.weights.h5")
    source.save_weights(path)
    loaded = mobilenet.MobileNet(weights=path, input_shape=(32, 32, 3), alpha=0.25, classes=3)
    for expected, actual in zip(source.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(actual, expected)


def test_decode_predictions_checks_the_shape():
    with pytest.raises(ValueError, match=r"\(samples, 1000\)"):
        mobilenet.decode_predictions(np.zeros((2, 10)))


def test_a_keras_legacy_weights_file_loads_through_the_weights_argument(tmp_path):
    # Keras's published application weights are Keras 2 .h5 files; one written the same way.
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    arguments = {"alpha": 0.35, "input_shape": (32, 32, 3), "include_top": False}
    keras.backend.clear_session()
    reference = keras.applications.MobileNetV2(weights=None, **arguments)
    rng = np.random.default_rng(0)
    reference.set_weights(
        [rng.normal(size=w.shape).astype("float32") * 0.1 + ("variance" in w.path)
         for w in reference.weights]
    )
    path = tmp_path / "mobilenet_v2_notop.h5"
    with h5py.File(path, "w") as file:
        legacy_h5_format.save_weights_to_hdf5_group(file, reference)
    model = mobilenet_v2.MobileNetV2(weights=str(path), **arguments)
    images = rng.random((2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(
        model.predict(images, verbose=0), reference.predict(images, verbose=0), atol=1e-5
    )
