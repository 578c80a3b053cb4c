"""Regenerate docs/images/model.png and docs/images/history.png.

Run: python scripts/make_doc_images.py   (needs pydot, matplotlib and Graphviz's `dot`)
"""

import pathlib

import torchseq as keras
from torchseq import layers

IMAGES = pathlib.Path(__file__).resolve().parent.parent / "docs" / "images"


def draw_convnet() -> None:
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(16, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(32, 3, activation="relu"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(10, activation="softmax"),
        ],
        name="convnet",
    )
    keras.utils.plot_model(model, to_file=IMAGES / "model.png", show_shapes=True)


def draw_quickstart_history() -> None:
    keras.utils.set_random_seed(0)
    (x_train, y_train), _ = keras.datasets.digits.load_data()
    x_train = x_train.astype("float32") / 16.0
    model = keras.Sequential(
        [
            keras.Input(shape=(8, 8)),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=32, epochs=15, validation_split=0.1, verbose=0)
    keras.utils.plot_history(history, to_file=IMAGES / "history.png")


if __name__ == "__main__":
    IMAGES.mkdir(parents=True, exist_ok=True)
    draw_convnet()
    draw_quickstart_history()
