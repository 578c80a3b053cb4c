"""Seed 002, "Sequential vs Functional models": its training code, run with torchseq.

Only the import lines differ, plus SMOKE=1 in the environment to shrink the data for the
test suite. The guide leaves the data of its three-output model to the reader; random
data stands in. (The question-answering model needs LSTM: it comes with the recurrent
layers.)
"""

import os

import numpy as np

import torchseq as keras
from torchseq import Input, layers
from torchseq.models import Model

SMOKE = os.environ.get("SMOKE") == "1"

# The Functional version of the 64 -> 32 -> 32 -> 10 classifier, trained.
input_tensor = Input(shape=(64,))
x = layers.Dense(32, activation='relu')(input_tensor)
x = layers.Dense(32, activation='relu')(x)
output_tensor = layers.Dense(10, activation='softmax')(x)
model = Model(input_tensor, output_tensor)
model.compile(optimizer='rmsprop', loss='categorical_crossentropy', metrics=['accuracy'])
data = np.random.random((1000, 64))
labels = keras.utils.to_categorical(np.random.randint(10, size=(1000, 1)), num_classes=10)
model.fit(data, labels)  # starts training
model.summary()

# A model with three outputs: age (regression), income (10 classes), gender (binary).
vocabulary_size = 500 if SMOKE else 50000
num_income_groups = 10
num_samples = 64 if SMOKE else 1000
max_length = 300

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

posts = np.random.randint(0, 256, size=(num_samples, max_length))
age_targets = np.random.random((num_samples, 1)) * 50
income_targets = keras.utils.to_categorical(
    np.random.randint(num_income_groups, size=(num_samples, 1)), num_income_groups
)
gender_targets = np.random.randint(2, size=(num_samples, 1))

model.compile(optimizer='rmsprop', loss=['mse', 'categorical_crossentropy', 'binary_crossentropy'])
# Equivalent (only possible because the output layers have names):
model.compile(optimizer='rmsprop',
              loss={'age': 'mse', 'income': 'categorical_crossentropy',
                    'gender': 'binary_crossentropy'})
model.compile(optimizer='rmsprop',
              loss=['mse', 'categorical_crossentropy', 'binary_crossentropy'],
              loss_weights=[0.25, 1., 10.])
# Equivalent:
model.compile(optimizer='rmsprop',
              loss={'age': 'mse', 'income': 'categorical_crossentropy',
                    'gender': 'binary_crossentropy'},
              loss_weights={'age': 0.25, 'income': 1., 'gender': 10.})

epochs = 1 if SMOKE else 10
model.fit(posts, [age_targets, income_targets, gender_targets], epochs=epochs, batch_size=64)
# Equivalent:
history = model.fit(posts, {'age': age_targets, 'income': income_targets,
                            'gender': gender_targets}, epochs=epochs, batch_size=64)
print(sorted(history.history))

# A model with two inputs: a text and a question, answered by one of 500 words.
text_vocabulary_size = 10000
question_vocabulary_size = 10000
answer_vocabulary_size = 500

# The text input is a variable-length sequence of integers; inputs can be named.
text_input = Input(shape=(None,), dtype='int32', name='text')
embedded_text = layers.Embedding(text_vocabulary_size, 64)(text_input)
encoded_text = layers.LSTM(32)(embedded_text)
question_input = Input(shape=(None,), dtype='int32', name='question')
embedded_question = layers.Embedding(question_vocabulary_size, 32)(question_input)
encoded_question = layers.LSTM(16)(embedded_question)
# Concatenate the encoded question and text
concatenated = layers.concatenate([encoded_text, encoded_question], axis=-1)
answer = layers.Dense(answer_vocabulary_size, activation='softmax')(concatenated)
# Two inputs and one output, given when the model is instantiated
model = Model([text_input, question_input], answer)
model.compile(optimizer='rmsprop', loss='categorical_crossentropy', metrics=['acc'])

num_samples = 100 if SMOKE else 1000
max_length = 100
text = np.random.randint(1, text_vocabulary_size, size=(num_samples, max_length))
question = np.random.randint(1, question_vocabulary_size, size=(num_samples, max_length))
answers = np.random.randint(answer_vocabulary_size, size=(num_samples))
answers = keras.utils.to_categorical(answers, answer_vocabulary_size)
model.fit([text, question], answers, epochs=epochs, batch_size=128)
# Fitting with a dict of inputs (possible because the inputs are named)
history = model.fit({'text': text, 'question': question}, answers, epochs=epochs, batch_size=128)
print("question answering:", sorted(history.history))
