"""torchseq in one minute: train a Keras-style model on handwritten digits, offline.

Run: python examples/quickstart.py

The UCI digits (1,797 8x8 images) ship inside the package, so nothing is downloaded.
The model is an ordinary torch.nn.Module: the last lines use it from plain PyTorch.
"""

import os
import tempfile

import torch

import torchseq as keras
from torchseq import layers

keras.utils.set_random_seed(0)
(x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
x_train = x_train.astype("float32") / 16.0  # pixel values are 0..16
x_test = x_test.astype("float32") / 16.0

model = keras.Sequential(
    [
        keras.Input(shape=(8, 8)),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(10, activation="softmax"),
    ]
)
model.summary()

model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=32, epochs=30, validation_split=0.1)

loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"Test loss: {loss:.4f}")
print(f"Test accuracy: {accuracy:.4f}")

# The trained model is a torch module: call it on a tensor, read its state dict.
with torch.no_grad():
    probabilities = model(torch.from_numpy(x_test[:5]))
print("Predicted digits:", probabilities.argmax(dim=1).tolist(), "true:", y_test[:5].tolist())
print("State dict keys:", list(model.state_dict()))

# Save it in Keras 3's own format (Keras itself can load this file), then load it back:
# architecture, weights, and the optimizer, which trains on where it stopped.
path = os.path.join(tempfile.mkdtemp(), "digits.keras")
model.save(path)
restored = keras.saving.load_model(path)
_, restored_accuracy = restored.evaluate(x_test, y_test, verbose=0)
print(f"Reloaded from {os.path.basename(path)}: test accuracy {restored_accuracy:.4f}")
