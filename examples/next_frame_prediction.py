"""Next-frame video prediction with convolutional LSTMs (keras.io, Keras 3), on torchseq.

Run: python examples/next_frame_prediction.py

keras.io's program trains a stack of ``ConvLSTM2D`` layers with ``BatchNormalization`` and a
``Conv3D`` sigmoid output to predict each frame of Moving MNIST from the frames before it,
then extends a sequence frame by frame. The code below is that program after
``import torchseq as keras``; only the data and the sizes are smaller, so that it runs in
seconds on a CPU: 16 generated sequences of 8 frames of 16x16 pixels, each a bright square
moving in a straight line and bouncing off the borders, 4 filters instead of 64, and 3 epochs.
"""

import numpy as np

import torchseq as keras
from torchseq import layers

keras.utils.set_random_seed(0)


def moving_squares(sequences=16, frames=8, size=16, side=3, seed=0):
    """Binary frames ``(sequences, frames, size, size)`` of one square moving per sequence."""
    rng = np.random.default_rng(seed)
    data = np.zeros((sequences, frames, size, size), dtype="float32")
    for sequence in data:
        position = rng.integers(0, size - side, 2)
        velocity = rng.choice([-1, 1], 2) * rng.integers(1, 3, 2)
        for frame in sequence:
            frame[position[0] : position[0] + side, position[1] : position[1] + side] = 1.0
            for axis in range(2):
                if not 0 <= position[axis] + velocity[axis] <= size - side:
                    velocity[axis] = -velocity[axis]
            position = position + velocity
    return data


# The dataset: one channel per frame, 90% for training, 10% for validation.
dataset = np.expand_dims(moving_squares(), axis=-1)
indexes = np.arange(dataset.shape[0])
np.random.default_rng(1).shuffle(indexes)
train_index = indexes[: int(0.9 * dataset.shape[0])]
val_index = indexes[int(0.9 * dataset.shape[0]) :]
train_dataset = dataset[train_index]
val_dataset = dataset[val_index]


def create_shifted_frames(data):
    """Inputs are frames 0..n-2, targets frames 1..n-1: each frame predicts the next."""
    x = data[:, 0 : data.shape[1] - 1, :, :]
    y = data[:, 1 : data.shape[1], :, :]
    return x, y


x_train, y_train = create_shifted_frames(train_dataset)
x_val, y_val = create_shifted_frames(val_dataset)
print("Training Dataset Shapes: " + str(x_train.shape) + ", " + str(y_train.shape))
print("Validation Dataset Shapes: " + str(x_val.shape) + ", " + str(y_val.shape))

# The model: three ConvLSTM2D layers with batch normalization, then a Conv3D that maps the
# sequence of feature maps to a sequence of frames.
inp = layers.Input(shape=(None, *x_train.shape[2:]))
x = layers.ConvLSTM2D(
    filters=4,
    kernel_size=(5, 5),
    padding="same",
    return_sequences=True,
    activation="relu",
)(inp)
x = layers.BatchNormalization()(x)
x = layers.ConvLSTM2D(
    filters=4,
    kernel_size=(3, 3),
    padding="same",
    return_sequences=True,
    activation="relu",
)(x)
x = layers.BatchNormalization()(x)
x = layers.ConvLSTM2D(
    filters=4,
    kernel_size=(1, 1),
    padding="same",
    return_sequences=True,
    activation="relu",
)(x)
x = layers.Conv3D(filters=1, kernel_size=(3, 3, 3), activation="sigmoid", padding="same")(x)

model = keras.models.Model(inp, x)
model.compile(
    loss=keras.losses.binary_crossentropy,
    optimizer=keras.optimizers.Adam(),
)

early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10)
reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=5)

epochs = 3
batch_size = 5

history = model.fit(
    x_train,
    y_train,
    batch_size=batch_size,
    epochs=epochs,
    validation_data=(x_val, y_val),
    callbacks=[early_stopping, reduce_lr],
    verbose=2,
)

# Frame prediction: from the first half of a validation sequence, predict the second half
# one frame at a time, each prediction appended to the frames the next one sees.
example = val_dataset[np.random.default_rng(2).choice(range(len(val_dataset)), size=1)[0]]
half = example.shape[0] // 2
frames = example[:half, ...]
original_frames = example[half:, ...]

for _ in range(half):
    new_prediction = model.predict(np.expand_dims(frames, axis=0), verbose=0)
    new_prediction = np.squeeze(new_prediction, axis=0)
    predicted_frame = np.expand_dims(new_prediction[-1, ...], axis=0)
    frames = np.concatenate((frames, predicted_frame), axis=0)

predicted_frames = frames[half:, ...]
print("Predicted frames: " + str(predicted_frames.shape))
error = np.abs(predicted_frames - original_frames).mean()
print(f"Mean absolute error of the predicted frames: {error:.4f}")
