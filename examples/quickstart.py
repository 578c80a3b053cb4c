"""torchseq in one minute: build with Keras's API, use the result as a torch module.

Run: python examples/quickstart.py
"""

import torch

import torchseq as keras
from torchseq import layers

# 1. Build a model the Keras way; with a known input shape it has weights at once.
model = keras.Sequential(
    [
        keras.Input(shape=(20,)),
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ]
)
model.summary()

# 2. The Functional API: two inputs, a shared layer, a residual connection.
left = keras.Input(shape=(8,), name="left")
right = keras.Input(shape=(8,), name="right")
shared = layers.Dense(8, activation="relu")
merged = layers.add([left, shared(left), shared(right)])
scores = layers.Dense(3, activation="softmax", name="scores")(merged)
functional = keras.Model([left, right], scores)
functional.summary()

# 3. It is an ordinary torch.nn.Module: train it with a plain PyTorch loop.
torch.manual_seed(0)
x = torch.randn(512, 20)
y = (x[:, :10].argmax(dim=1))  # a learnable rule
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
model.train()  # layers start in inference mode, as Keras models do
for step in range(200):
    optimizer.zero_grad()
    probabilities = model(x)
    loss = torch.nn.functional.nll_loss(torch.log(probabilities + 1e-7), y)
    loss.backward()
    optimizer.step()
model.eval()
accuracy = (model(x).argmax(dim=1) == y).float().mean().item()
print(f"loss {loss.item():.4f}, training accuracy {accuracy:.3f}")

# 4. State dicts do not depend on automatic layer names: a second copy loads it.
copy = keras.Sequential(
    [keras.Input(shape=(20,)), layers.Dense(64, activation="relu"), layers.Dropout(0.5),
     layers.Dense(64, activation="relu"), layers.Dropout(0.5), layers.Dense(10, activation="softmax")]
)
copy.load_state_dict(model.state_dict())
print("copy agrees:", torch.allclose(copy(x), model(x)))
print("state dict keys:", list(model.state_dict())[:4], "...")
