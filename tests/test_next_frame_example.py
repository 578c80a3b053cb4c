"""keras.io's next-frame prediction program (ConvLSTM2D) runs after ``import torchseq as keras``:
the loss falls, the predicted frames have the frames' shape, and the model saves and reloads."""

import pathlib
import runpy

import numpy as np

import torchseq
from torchseq import saving

EXAMPLE = pathlib.Path(__file__).resolve().parent.parent / "examples" / "next_frame_prediction.py"


def test_next_frame_prediction_trains_and_predicts_frames(capsys, tmp_path):
    namespace = runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "Training Dataset Shapes: (14, 7, 16, 16, 1), (14, 7, 16, 16, 1)" in out
    losses = namespace["history"].history["loss"]
    assert len(losses) == 3 and losses[-1] < losses[0]
    predicted = namespace["predicted_frames"]
    assert predicted.shape == namespace["original_frames"].shape == (4, 16, 16, 1)
    assert ((predicted > 0) & (predicted < 1)).all()  # the sigmoid output's probabilities

    model = namespace["model"]
    assert isinstance(model, torchseq.Model)
    model.save(tmp_path / "next_frame.keras")
    loaded = saving.load_model(tmp_path / "next_frame.keras")
    frames = namespace["val_dataset"][:1, :3]
    np.testing.assert_allclose(
        loaded.predict(frames, verbose=0), model.predict(frames, verbose=0), rtol=1e-5, atol=1e-6
    )
