"""A single-device Keras program, run under torchrun by test_data_parallel.py.

Nothing here knows about processes except where it writes its results: ``fit`` finds the
torchrun environment itself.
"""

import json
import os
import sys

import numpy as np

import torchseq as keras


def data():
    rng = np.random.default_rng(0)
    return rng.random((64, 6), dtype=np.float32), rng.random((64, 2), dtype=np.float32)


def model():
    keras.utils.set_random_seed(1)
    network = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(2)]
    )
    network.compile(keras.optimizers.SGD(0.1), "mse", metrics=["mae"])
    return network


def main(out):
    keras.distribution.set_distribution(keras.distribution.DataParallel())  # optional
    x, y = data()
    result = {}
    plain = model()
    history = plain.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    result["plain"] = {"history": history.history, "weights": [w.tolist() for w in plain.get_weights()]}

    shuffled = model()
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=1),
        keras.callbacks.CSVLogger(os.path.join(out, "log.csv")),
        keras.callbacks.ModelCheckpoint(os.path.join(out, "best.keras"), save_best_only=True),
    ]
    history = shuffled.fit(
        x, y, batch_size=8, epochs=3, validation_data=(x[:16], y[:16]), callbacks=callbacks,
        verbose=2,  # one line per epoch, printed by rank 0 only
    )
    result["shuffled"] = {
        "history": history.history,
        "weights": [w.tolist() for w in shuffled.get_weights()],
        "evaluate": shuffled.evaluate(x, y, verbose=0),
        "predict": shuffled.predict(x[:10], verbose=0).tolist(),
    }
    uneven = model()  # 59 samples: the last global batch of 11 is shared 6 and 6
    history = uneven.fit(x[:59], y[:59], batch_size=8, epochs=1, verbose=0)
    result["uneven"] = {
        "history": history.history,
        "weights": [w.tolist() for w in uneven.get_weights()],
    }
    with open(os.path.join(out, f"rank{os.environ['RANK']}.json"), "w") as file:
        json.dump(result, file)


if __name__ == "__main__":
    main(sys.argv[1])
