"""The Keras guide "The Sequential model" (seeds 000, 001, 003), run with torchseq.

Only the import lines differ from the guide. Where the guide elides code (`...`), or
downloads pretrained weights (Xception), a small stand-in is used and marked as such.
"""

import os
import tempfile

import numpy as np

import torchseq as keras
from torchseq import layers, ops

# Define Sequential model with 3 layers
model = keras.Sequential(
    [
        layers.Dense(2, activation="relu", name="layer1"),
        layers.Dense(3, activation="relu", name="layer2"),
        layers.Dense(4, name="layer3"),
    ]
)
# Call model on a test input
x = ops.ones((3, 3))
y = model(x)

# Create 3 layers
layer1 = layers.Dense(2, activation="relu", name="layer1")
layer2 = layers.Dense(3, activation="relu", name="layer2")
layer3 = layers.Dense(4, name="layer3")
# Call layers on a test input
x = ops.ones((3, 3))
y = layer3(layer2(layer1(x)))

model = keras.Sequential(
    [
        layers.Dense(2, activation="relu"),
        layers.Dense(3, activation="relu"),
        layers.Dense(4),
    ]
)
print(model.layers)

model = keras.Sequential()
model.add(layers.Dense(2, activation="relu"))
model.add(layers.Dense(3, activation="relu"))
model.add(layers.Dense(4))
model.pop()
print(len(model.layers))  # 2

model = keras.Sequential(name="my_sequential")
model.add(layers.Dense(2, activation="relu", name="layer1"))
model.add(layers.Dense(3, activation="relu", name="layer2"))
model.add(layers.Dense(4, name="layer3"))

layer = layers.Dense(3)
print(layer.weights)  # Empty

# Call layer on a test input
x = ops.ones((1, 4))
y = layer(x)
print(layer.weights)  # Now it has weights, of shape (4, 3) and (3,)
print([(tuple(w.shape), w.path) for w in layer.weights])

model = keras.Sequential(
    [
        layers.Dense(2, activation="relu"),
        layers.Dense(3, activation="relu"),
        layers.Dense(4),
    ]
)  # No weights at this stage!

# At this point, you can't do this:
# model.weights

# You also can't do this:
# model.summary()

# Call the model on a test input
x = ops.ones((1, 4))
y = model(x)
print("Number of weights after calling the model:", len(model.weights))  # 6
model.summary()

model = keras.Sequential()
model.add(keras.Input(shape=(4,)))
model.add(layers.Dense(2, activation="relu"))
model.summary()
print(model.layers)

# The tf.keras editions (001, 003): input_shape= on the first layer.
model = keras.Sequential()
model.add(layers.Dense(2, activation="relu", input_shape=(4,)))
model.summary()

model = keras.Sequential()
model.add(keras.Input(shape=(250, 250, 3)))  # 250x250 RGB images
model.add(layers.Conv2D(32, 5, strides=2, activation="relu"))
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.MaxPooling2D(3))

# Can you guess what the current output shape is at this point? Probably not.
# Let's just print it:
model.summary()

# The answer was: (40, 40, 32), so we can keep downsampling...

model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.MaxPooling2D(3))
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.MaxPooling2D(2))

# And now?
model.summary()

# Now that we have 4x4 feature maps, time to apply global max pooling.
model.add(layers.GlobalMaxPooling2D())

# Finally, we add a classification layer.
model.add(layers.Dense(10))

initial_model = keras.Sequential(
    [
        keras.Input(shape=(250, 250, 3)),
        layers.Conv2D(32, 5, strides=2, activation="relu"),
        layers.Conv2D(32, 3, activation="relu"),
        layers.Conv2D(32, 3, activation="relu"),
    ]
)
feature_extractor = keras.Model(
    inputs=initial_model.inputs,
    outputs=[layer.output for layer in initial_model.layers],
)

# Call feature extractor on test input.
x = ops.ones((1, 250, 250, 3))
features = feature_extractor(x)
print([tuple(f.shape) for f in features])

initial_model = keras.Sequential(
    [
        keras.Input(shape=(250, 250, 3)),
        layers.Conv2D(32, 5, strides=2, activation="relu"),
        layers.Conv2D(32, 3, activation="relu", name="my_intermediate_layer"),
        layers.Conv2D(32, 3, activation="relu"),
    ]
)
feature_extractor = keras.Model(
    inputs=initial_model.inputs,
    outputs=initial_model.get_layer(name="my_intermediate_layer").output,
)
# Call feature extractor on test input.
x = ops.ones((1, 250, 250, 3))
features = feature_extractor(x)
print(tuple(features.shape))

model = keras.Sequential([
    keras.Input(shape=(784)),
    layers.Dense(32, activation='relu'),
    layers.Dense(32, activation='relu'),
    layers.Dense(32, activation='relu'),
    layers.Dense(10),
])

# (Stand-in for the pre-trained weights the guide elides: a twin model's, saved to a file.)
pretrained = keras.models.clone_model(model)
pretrained_path = os.path.join(tempfile.mkdtemp(), "pretrained.weights.h5")
pretrained.save_weights(pretrained_path)

# Presumably you would want to first load pre-trained weights.
model.load_weights(pretrained_path)
print("pre-trained weights loaded:", all(
    np.array_equal(a, b) for a, b in zip(model.get_weights(), pretrained.get_weights())
))

# Freeze all layers except the last one.
for layer in model.layers[:-1]:
    layer.trainable = False
print("trainable weights:", len(model.trainable_weights))  # 2

# Recompile and train (this will only update the weights of the last layer).
# (The guide elides the arguments and the data; small stand-ins here.)
frozen_before = [w.copy() for w in model.get_weights()[:-2]]
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(np.random.random((64, 784)), np.random.randint(10, size=64), epochs=1, verbose=0)
frozen_after = model.get_weights()[:-2]
print("frozen layers unchanged:", all(np.array_equal(a, b) for a, b in zip(frozen_before, frozen_after)))

# Load a convolutional base with pre-trained weights.
# (keras.applications.Xception downloads ImageNet weights; a small stand-in base here.)
base_model = keras.Sequential(
    [
        keras.Input(shape=(64, 64, 3)),
        layers.Conv2D(16, 3, activation="relu"),
        layers.GlobalAveragePooling2D(),
    ],
    name="base_model",
)

# Freeze the base model
base_model.trainable = False

# Use a Sequential model to add a trainable classifier on top
model = keras.Sequential([
    base_model,
    layers.Dense(1000),
])
print(tuple(model(ops.ones((2, 64, 64, 3))).shape))
print("trainable weights:", len(model.trainable_weights))  # 2: the new Dense only

# Compile & train (stand-in arguments and data for the guide's `...`)
base_before = [w.copy() for w in base_model.get_weights()]
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.random((16, 64, 64, 3)), np.random.random((16, 1000)), epochs=1, verbose=0)
base_after = base_model.get_weights()
print("base model unchanged:", all(np.array_equal(a, b) for a, b in zip(base_before, base_after)))
