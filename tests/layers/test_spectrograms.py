"""``STFTSpectrogram`` and ``MelSpectrogram`` against Keras on small random signals: shapes,
values (the same kernels for STFTSpectrogram), weights, configs and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.layers.harness import as_stored
from torchseq.layers.preprocessing.mel_spectrogram import MelSpectrogram
from torchseq.layers.preprocessing.stft_spectrogram import STFTSpectrogram

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(0)
SIGNALS = RNG.normal(size=(2, 40, 2)).astype("float32")  # (batch, time, channels)

STFT_OPTIONS = [
    {},
    {"padding": "same", "expand_dims": True},
    {"data_format": "channels_first", "window": "hamming", "periodic": True, "scaling": "spectrum"},
    {"data_format": "channels_first", "expand_dims": True, "frame_step": 3, "scaling": None},
    {"window": None, "fft_length": 32, "frame_step": 16},
]
MODES = ["log", "magnitude", "psd", "real", "imag", "angle", "stft"]


def _signals(options: dict) -> np.ndarray:
    if options.get("data_format") == "channels_first":
        return np.ascontiguousarray(SIGNALS.transpose(0, 2, 1))
    return SIGNALS


@pytest.mark.parametrize("options", STFT_OPTIONS, ids=str)
@pytest.mark.parametrize("mode", MODES)
def test_stft_spectrogram_matches_keras(mode, options):
    reference = keras.layers.STFTSpectrogram(mode=mode, frame_length=16, **options)
    signals = _signals(options)
    expected = keras.ops.convert_to_numpy(reference(signals))
    layer = STFTSpectrogram(mode=mode, frame_length=16, **options)
    before = layer(torch.from_numpy(signals)).detach().numpy()
    np.testing.assert_allclose(before, expected, atol=2e-5)  # the initial kernels agree
    assert [tuple(w.shape) for w in layer.get_weights()] == [
        tuple(w.shape) for w in reference.get_weights()
    ]
    layer.set_weights(reference.get_weights())
    np.testing.assert_allclose(
        layer(torch.from_numpy(signals)).detach().numpy(), expected, atol=1e-6
    )
    symbolic = (None, *signals.shape[1:])
    assert layer.compute_output_shape(symbolic) == reference.compute_output_shape(symbolic)


def test_stft_spectrogram_kernels_are_weights():
    layer = STFTSpectrogram(mode="magnitude", frame_length=16)
    layer(torch.from_numpy(SIGNALS))
    assert [w.path for w in layer.weights] == [
        "stft_spectrogram/real_kernel",
        "stft_spectrogram/imag_kernel",
    ]
    assert len(layer.trainable_weights) == 2
    frozen = STFTSpectrogram(mode="real", frame_length=16, trainable=False)
    frozen(torch.from_numpy(SIGNALS))
    assert [w.shape for w in frozen.get_weights()] == [(16, 1, 9)]
    assert frozen.trainable_weights == [] and len(frozen.non_trainable_weights) == 1


def test_stft_spectrogram_config_round_trip_and_keras_exchange():
    layer = STFTSpectrogram(mode="psd", frame_length=8, frame_step=4, window=np.ones(8))
    config = layer.get_config()
    assert config["window"] == [1.0] * 8
    assert STFTSpectrogram.from_config(as_stored(config)).get_config() == config
    reference = keras.layers.STFTSpectrogram(mode="angle", frame_length=8, padding="same")
    stored = as_stored(keras.saving.serialize_keras_object(reference))
    ours = STFTSpectrogram.from_config(stored["config"])
    assert ours.get_config() == stored["config"]


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"mode": "power"}, ValueError, r"mode to be one of \['log', .*received: mode='power'"),
        ({"scaling": "l2"}, ValueError, "received: scaling='l2'"),
        ({"padding": "causal"}, ValueError, "received: padding='causal'"),
        ({"frame_step": 17}, ValueError, "received: frame_step=17, frame_length=16"),
        ({"frame_step": 0}, ValueError, "received: frame_step=0"),
        ({"fft_length": 8}, ValueError, "received: fft_length=8, frame_length=16"),
        ({"window": "kaiser_bessel"}, ValueError, "received: window='kaiser_bessel'"),
    ],
)
def test_stft_spectrogram_rejects_bad_arguments(options, error, message):
    with pytest.raises(error, match=message):
        STFTSpectrogram(frame_length=16, **options)


def test_stft_spectrogram_rejects_integer_signals_and_warns_on_odd_fft_length():
    with pytest.raises(TypeError, match="expected float16, float32 or float64 inputs"):
        STFTSpectrogram(frame_length=16)(torch.ones(1, 40, 1, dtype=torch.int32))
    with pytest.warns(UserWarning, match="power of two, received: fft_length=20"):
        STFTSpectrogram(frame_length=16, fft_length=20)


MEL_CASES = [
    ((2, 1200), {}),
    (
        (700,),
        {
            "fft_length": 256,
            "sequence_stride": 64,
            "sequence_length": 200,
            "window": "hamming",
            "sampling_rate": 8000,
            "num_mel_bins": 20,
            "min_freq": 50.0,
            "max_freq": 3000.0,
            "top_db": 30.0,
            "mag_exp": 1.0,
            "ref_power": 2.0,
        },
    ),
    ((2, 600), {"fft_length": 128, "sequence_stride": 32, "power_to_db": False, "window": None}),
]


@pytest.mark.parametrize(("shape", "options"), MEL_CASES, ids=str)
def test_mel_spectrogram_matches_keras(shape, options):
    signals = RNG.normal(size=shape).astype("float32")
    reference = keras.layers.MelSpectrogram(**options)
    expected = keras.ops.convert_to_numpy(reference(signals))
    layer = MelSpectrogram(**options)
    actual = layer(torch.from_numpy(signals)).numpy()
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    assert layer.compute_output_shape(shape) == tuple(reference.compute_output_shape(shape))
    assert layer.get_weights() == []


def test_mel_weight_matrix_matches_keras():
    reference = keras.layers.MelSpectrogram()
    expected = keras.ops.convert_to_numpy(reference.linear_to_mel_weight_matrix())
    np.testing.assert_allclose(
        MelSpectrogram().linear_to_mel_weight_matrix().numpy(), expected, atol=1e-5
    )


def test_mel_spectrogram_config_round_trip_and_keras_exchange():
    layer = MelSpectrogram(fft_length=64, sequence_stride=16, num_mel_bins=8, top_db=40.0)
    config = layer.get_config()
    assert config["sequence_length"] == 64 and config["max_freq"] == 8000
    assert MelSpectrogram.from_config(as_stored(config)).get_config() == config
    reference = keras.layers.MelSpectrogram(fft_length=64, num_mel_bins=8, min_freq=30.0)
    stored = as_stored(keras.saving.serialize_keras_object(reference))
    assert MelSpectrogram.from_config(stored["config"]).get_config() == stored["config"]


def test_mel_spectrogram_rejects_a_frame_longer_than_the_fft():
    with pytest.raises(ValueError, match="received: fft_length=64, sequence_length=128"):
        MelSpectrogram(fft_length=64, sequence_length=128)
