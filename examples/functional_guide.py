"""Seed 002, "Sequential vs Functional models": its model-building code, run with torchseq.

Only the import lines differ. The training half (compile/fit, and the multi-input
question-answering model) is in functional_guide_training.py.
"""

import torchseq as keras
from torchseq import Input, layers
from torchseq.layers import Activation, Dense, TimeDistributed
from torchseq.models import Model, Sequential

# Sequential: the first layer needs the input shape; later layers infer theirs.
model = Sequential()
model.add(Dense(32, input_shape=(784,)))
model.add(Activation('relu'))
model.summary()

# A single-input model with 10 classes.
model = Sequential()
model.add(Dense(32, activation='relu', input_dim=100))
model.add(Dense(10, activation='softmax'))
model.summary()

# The same network as Sequential and as Functional.
seq_model = Sequential()
seq_model.add(layers.Dense(32, activation='relu', input_shape=(64,)))
seq_model.add(layers.Dense(32, activation='relu'))
seq_model.add(layers.Dense(10, activation='softmax'))

input_tensor = Input(shape=(64,))
x = layers.Dense(32, activation='relu')(input_tensor)
x = layers.Dense(32, activation='relu')(x)
output_tensor = layers.Dense(10, activation='softmax')(x)
model = Model(input_tensor, output_tensor)
model.summary()

# Every model is callable like a layer: apply the 64 -> 10 classifier to each of 20 steps.
input_sequences = Input(shape=(20, 64))
processed_sequences = TimeDistributed(model)(input_sequences)
print(processed_sequences.shape)  # (None, 20, 10)

# A model with three outputs, each named.
vocabulary_size = 50000
num_income_groups = 10
posts_input = Input(shape=(None,), dtype='int32', name='posts')
embedded_posts = layers.Embedding(256, vocabulary_size)(posts_input)
x = layers.Conv1D(128, 5, activation='relu')(embedded_posts)
x = layers.MaxPooling1D(5)(x)
x = layers.Conv1D(256, 5, activation='relu')(x)
x = layers.Conv1D(256, 5, activation='relu')(x)
x = layers.MaxPooling1D(5)(x)
x = layers.Conv1D(256, 5, activation='relu')(x)
x = layers.Conv1D(256, 5, activation='relu')(x)
x = layers.GlobalMaxPooling1D()(x)
x = layers.Dense(128, activation='relu')(x)
age_prediction = layers.Dense(1, name='age')(x)
income_prediction = layers.Dense(num_income_groups, activation='softmax', name='income')(x)
gender_prediction = layers.Dense(1, activation='sigmoid', name='gender')(x)
model = Model(posts_input, [age_prediction, income_prediction, gender_prediction])
print(model.output_names)  # ['age', 'income', 'gender']
model.summary()
print(keras.utils.to_categorical([0, 2], 3))
