"""Text classification from scratch (keras.io, Keras 3), on torchseq.

Run: python examples/text_classification.py

keras.io's program classifies IMDB movie reviews as positive or negative: the reviews are
read with ``text_dataset_from_directory``, a ``TextVectorization`` layer adapted on the
training texts turns them into token indices, a 1-D convnet learns from the indices, and an
end-to-end model that takes raw strings (``Input(dtype="string")`` first into the
vectorizer) is evaluated, saved and reloaded. The code below is that program after
``import torchseq as keras``; only the data are smaller, so that it runs in seconds: 240
made-up reviews written to a temporary folder, positive ones using more praise words and
negative ones more complaints, with a shared pool of neutral words, and a learning rate of
0.01 for the few steps.
"""

import os
import tempfile

import numpy as np

import torchseq as keras
from torchseq import layers

keras.utils.set_random_seed(0)

PRAISE = ["great", "wonderful", "superb", "moving", "brilliant", "delightful", "charming"]
COMPLAINTS = ["awful", "boring", "dull", "terrible", "clumsy", "tedious", "disappointing"]
NEUTRAL = ["the", "film", "movie", "plot", "actor", "scene", "story", "music", "ending"]


def write_reviews(root, per_class=120, seed=0):
    """``root/pos/*.txt`` and ``root/neg/*.txt``: one made-up review per file."""
    rng = np.random.default_rng(seed)
    for label, (own, other) in {"pos": (PRAISE, COMPLAINTS), "neg": (COMPLAINTS, PRAISE)}.items():
        os.makedirs(os.path.join(root, label))
        for i in range(per_class):
            words = [*rng.choice(own, 3), *rng.choice(other, 1), *rng.choice(NEUTRAL, 6)]
            rng.shuffle(words)
            with open(os.path.join(root, label, f"{i}.txt"), "w") as file:
                file.write("<br />".join([" ".join(words[:5]).capitalize(), " ".join(words[5:])]))


workdir = tempfile.mkdtemp()
write_reviews(os.path.join(workdir, "reviews"))

# The data: raw strings and binary labels, 80% for training and 20% for validation.
batch_size = 32
raw_train_ds, raw_val_ds = keras.utils.text_dataset_from_directory(
    os.path.join(workdir, "reviews"),
    batch_size=batch_size,
    label_mode="binary",
    validation_split=0.2,
    subset="both",
    seed=1337,
)
texts, labels = raw_train_ds[0]
print("A review:", texts[0])
print("Its label:", labels[0].tolist())


def custom_standardization(input_data):
    """Lowercase and replace the HTML line breaks by spaces (keras.io strips them too);
    elementwise, as ``tf.strings`` functions are, on a numpy array of ``str``."""
    return np.char.replace(np.char.lower(input_data), "<br />", " ")


max_features = 200
embedding_dim = 16
sequence_length = 24

vectorize_layer = layers.TextVectorization(
    standardize=custom_standardization,
    max_tokens=max_features,
    output_mode="int",
    output_sequence_length=sequence_length,
)
vectorize_layer.adapt(raw_train_ds.map(lambda x, y: x))
print("Vocabulary size:", vectorize_layer.vocabulary_size())


def vectorize_text(text, label):
    return vectorize_layer(text), label


# Vectorize in the data pipeline to train: the model itself sees token indices.
train_ds = raw_train_ds.map(vectorize_text)
val_ds = raw_val_ds.map(vectorize_text)

inputs = keras.Input(shape=(None,), dtype="int64")
x = layers.Embedding(max_features, embedding_dim)(inputs)
x = layers.Dropout(0.5)(x)
x = layers.Conv1D(32, 5, padding="valid", activation="relu", strides=2)(x)
x = layers.GlobalMaxPooling1D()(x)
x = layers.Dense(32, activation="relu")(x)
x = layers.Dropout(0.5)(x)
predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)
model = keras.Model(inputs, predictions)
model.compile(
    loss="binary_crossentropy", optimizer=keras.optimizers.Adam(0.01), metrics=["accuracy"]
)
model.fit(train_ds, validation_data=val_ds, epochs=5, verbose=2)

# The end-to-end model takes raw strings: the vectorizer is its first layer.
string_inputs = keras.Input(shape=(1,), dtype="string")
indices = vectorize_layer(string_inputs)
outputs = model(indices)
end_to_end_model = keras.Model(string_inputs, outputs)
end_to_end_model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
loss, accuracy = end_to_end_model.evaluate(raw_val_ds, verbose=0)
print(f"End-to-end validation accuracy: {accuracy:.4f}")

reviews = np.array([["A superb and moving film, brilliant actor"], ["Boring plot, awful ending"]])
print("Scores of two new reviews:", end_to_end_model.predict(reviews, verbose=0).ravel().round(3))

path = os.path.join(workdir, "text_classifier.keras")
end_to_end_model.save(path)
reloaded = keras.saving.load_model(path, custom_objects={
    "custom_standardization": custom_standardization,
})
same = np.allclose(reloaded.predict(reviews, verbose=0), end_to_end_model.predict(reviews, verbose=0))
print("Reloaded end-to-end model predicts the same:", same)
