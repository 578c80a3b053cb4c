"""Image classification with data augmentation (keras.io, Keras 3), on torchseq.

Run: python examples/image_augmentation.py

keras.io's "Image classification from scratch" reads a folder of cat and dog pictures with
``image_dataset_from_directory`` and puts the augmentation layers (``RandomFlip``,
``RandomRotation``) first in the model, where they transform each training batch on the
model's device and do nothing at inference. The code below is that program after
``import torchseq as keras``; only the data and the sizes are smaller, so that it runs in
seconds: 48 generated 16x16 PNG images in a temporary folder, "circles" (a bright disc)
and "squares" (a bright frame) at random places on noise, and a small convnet.
"""

import os
import tempfile

import numpy as np

import torchseq as keras
from torchseq import layers

keras.utils.set_random_seed(0)


def write_images(root, per_class=24, size=16, seed=0):
    """``root/circles/*.png`` and ``root/squares/*.png``: one bright shape on dim noise each."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[:size, :size]
    for name in ("circles", "squares"):
        os.makedirs(os.path.join(root, name))
        for i in range(per_class):
            image = rng.integers(0, 60, (size, size, 3))
            row, col = rng.integers(5, size - 5, 2)
            if name == "circles":
                shape = (rows - row) ** 2 + (cols - col) ** 2 <= 9
            else:
                box = (abs(rows - row) <= 3) & (abs(cols - col) <= 3)
                shape = box & ~((abs(rows - row) <= 2) & (abs(cols - col) <= 2))
            image[shape] = 255
            keras.utils.save_img(os.path.join(root, name, f"{i}.png"), image, scale=False)


workdir = tempfile.mkdtemp()
write_images(os.path.join(workdir, "shapes"))

image_size = (16, 16)
train_ds, val_ds = keras.utils.image_dataset_from_directory(
    os.path.join(workdir, "shapes"),
    validation_split=0.25,
    subset="both",
    seed=1337,
    image_size=image_size,
    batch_size=8,
)
print("Classes:", train_ds.class_names)
images, labels = train_ds[0]
print("A batch of images:", tuple(images.shape), "labels:", tuple(labels.shape))

# Augmentation: active while training, the identity at inference.
data_augmentation = keras.Sequential(
    [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)], name="augmentation"
)
augmented = data_augmentation(images, training=True)
print("Augmented batch:", tuple(augmented.shape))


def make_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = data_augmentation(inputs)
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = layers.GlobalMaxPooling2D()(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


model = make_model(input_shape=(*image_size, 3), num_classes=2)
model.compile(
    optimizer=keras.optimizers.Adam(0.01),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(train_ds, epochs=2, validation_data=val_ds, verbose=2)
loss, accuracy = model.evaluate(val_ds, verbose=0)
print(f"Validation accuracy: {accuracy:.4f}")

path = os.path.join(workdir, "shapes.keras")
model.save(path)
reloaded = keras.saving.load_model(path)
same = np.allclose(reloaded.predict(val_ds, verbose=0), model.predict(val_ds, verbose=0))
print("Reloaded model predicts the same:", same)
