"""A single-device Keras program, run under torchrun by test_data_parallel.py.

Nothing here knows about processes except where it writes its results: ``fit`` finds the
torchrun environment itself.
"""

import contextlib
import json
import os
import sys
import warnings

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset, default_collate

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


def two_outputs():
    """Two named outputs, one after a BatchNormalization (whose statistics each rank
    updates on its own batches)."""
    keras.utils.set_random_seed(2)
    inputs = keras.Input((6,))
    hidden = keras.layers.BatchNormalization()(keras.layers.Dense(4)(inputs))
    outputs = {
        "a": keras.layers.Dense(2, name="a")(hidden),
        "b": keras.layers.Dense(1, activation="sigmoid", name="b")(inputs),
    }
    network = keras.Model(inputs, outputs)
    network.compile(
        keras.optimizers.SGD(0.1),
        {"a": "mse", "b": "binary_crossentropy"},
        metrics={"a": ["mae"], "b": ["accuracy"]},
    )
    return network


class GuideStep(keras.Model):
    """The train_step of keras.io's "Customizing what happens in fit() with PyTorch"."""

    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        trainable_weights = list(self.trainable_weights)
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


class OwnLoss(keras.Model):
    """Keras's default step through a compute_loss of the user's."""

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return keras.ops.mean(keras.ops.abs(y - y_pred))


def custom(cls):
    keras.utils.set_random_seed(1)
    inputs = keras.Input((6,))
    outputs = keras.layers.Dense(2)(keras.layers.Dense(8, activation="tanh")(inputs))
    network = cls(inputs, outputs)
    network.compile(keras.optimizers.SGD(0.1), "mse", metrics=["mae"])
    return network


def targets(y):
    return {"a": y, "b": (y[:, :1] > 0.5).astype("float32")}


class CountingDataset(torch.utils.data.Dataset):
    """``(x, y)`` samples of arrays, remembering which ones this process loaded."""

    def __init__(self, x, y=None):
        self.x, self.y, self.loaded = x, y, []

    def __len__(self):
        return len(self.x)

    def __getitem__(self, index):
        self.loaded.append(index)
        return self.x[index] if self.y is None else (self.x[index], self.y[index])


def from_datasets(network, x, y):
    """evaluate, predict and fit's validation on 59 samples of a Dataset (8 per process),
    and the indices this rank loaded for each."""
    evaluated_set, predicted_set = CountingDataset(x[:59], y[:59]), CountingDataset(x[:59])
    figures = network.evaluate(evaluated_set, batch_size=8, verbose=0, return_dict=True)
    predictions = network.predict(predicted_set, batch_size=8, verbose=0)
    validation_set = CountingDataset(x[:21], y[:21])
    validation = DataLoader(validation_set, batch_size=16)  # the loader's batches are global
    history = network.fit(
        x, y, batch_size=8, epochs=1, shuffle=False, validation_data=validation, verbose=0
    )
    return {
        "evaluate": figures,
        "predict": predictions.tolist(),
        "val_loss": history.history["val_loss"],
        "weights": [w.tolist() for w in network.get_weights()],
        "loaded": {
            "evaluate": evaluated_set.loaded,
            "predict": predicted_set.loaded,
            "validation": validation_set.loaded,
        },
    }


def weights():
    return np.linspace(0.5, 2.0, 64, dtype=np.float32)


def listed(values):
    return {key: value.tolist() for key, value in values.items()}


def evaluated(network, x, y, sizes=None):
    """evaluate's figures on 59 samples (the last global batch of 11 split 6 and 5) and on
    17 (the last of 1: rank 1 has no share of it); ``sizes`` gets the batches it ran."""
    with batch_sizes(network, sizes):
        return {
            str(n): network.evaluate(
                x[:n], y[:n] if not isinstance(y, dict) else {k: v[:n] for k, v in y.items()},
                sample_weight=weights()[:n], batch_size=8, verbose=0, return_dict=True,
            )
            for n in (59, 17)
        }


def predicted(network, x, sizes=None):
    with batch_sizes(network, sizes):
        outputs = {str(n): network.predict(x[:n], batch_size=8, verbose=0) for n in (59, 17)}
    return {
        n: listed(value) if isinstance(value, dict) else value.tolist()
        for n, value in outputs.items()
    }


@contextlib.contextmanager
def batch_sizes(network, sizes):
    """Record the size of every batch the model runs on into ``sizes`` (if a list)."""
    if sizes is None:
        yield
        return
    hook = network.register_forward_hook(lambda _, inputs, __: sizes.append(len(inputs[0])))
    try:
        yield
    finally:
        hook.remove()


class Labeller(keras.Model):
    """A predict_step of the user's giving integer and boolean outputs besides the scores."""

    def predict_step(self, data):
        scores = self(data, training=False)
        return keras.ops.argmax(scores, axis=-1), scores > 0.0, scores


def typed(values):
    """Predictions with their dtypes (which JSON would lose)."""
    if isinstance(values, dict):
        return {key: typed(value) for key, value in values.items()}
    if isinstance(values, (list, tuple)):
        return [typed(value) for value in values]
    return {"values": values.tolist(), "dtype": str(values.dtype)}


def holds_array(value):
    if isinstance(value, np.ndarray):
        return True
    if isinstance(value, dict):
        value = list(value.values())
    return isinstance(value, (list, tuple)) and any(holds_array(item) for item in value)


@contextlib.contextmanager
def collectives(calls):
    """Note every all_gather_object (and whether it pickled an array) and all_gather."""
    dist = torch.distributed
    all_gather_object, all_gather = dist.all_gather_object, dist.all_gather

    def counted_object(gathered, value, *args, **kwargs):
        calls.append(["all_gather_object", holds_array(value)])
        return all_gather_object(gathered, value, *args, **kwargs)

    def counted(gathered, tensor, *args, **kwargs):
        calls.append(["all_gather", str(tensor.dtype)])
        return all_gather(gathered, tensor, *args, **kwargs)

    dist.all_gather_object, dist.all_gather = counted_object, counted
    try:
        yield
    finally:
        dist.all_gather_object, dist.all_gather = all_gather_object, all_gather


def gathered(two, x):
    """predict's outputs of a dict model and of a predict_step giving int64 and bool arrays
    (59 samples: shares 6 and 5 of the last batch; 17: rank 1 has none of it; 1: none at
    all for rank 1), the collectives they ran, and ShardedAdapter.gather of arrays of
    Python objects."""
    from torchseq.training import distributed
    from torchseq.training.data import make_adapter

    labeller = custom(Labeller)
    result = {"labeller_weights": [w.tolist() for w in labeller.get_weights()]}
    calls = []
    with collectives(calls):
        result["dict"] = typed(two.predict(x[:17], batch_size=8, verbose=0))
        for n in (59, 17, 1):  # 1: rank 1 has no rows at all
            result[f"labels{n}"] = typed(labeller.predict(x[:n], batch_size=8, verbose=0))
    result["calls"], calls = calls, []
    sharded = distributed.ShardedAdapter(
        make_adapter(x[:17], batch_size=16, shuffle=False), distributed.context(), even=False
    )
    rows = [bx.numpy() for bx, _, _ in sharded.batches(0)]
    with collectives(calls):
        names = sharded.gather(
            {"names": np.array([f"{v:.4f}" for v in np.concatenate(rows)[:, 0]], dtype=object)}
        )
    result["objects"] = {"names": names["names"].tolist(), "dtype": str(names["names"].dtype)}
    result["object_calls"] = calls
    return result


def main(out):
    keras.distribution.set_distribution(keras.distribution.DataParallel())  # optional
    x, y = data()
    result = {}
    plain = model()
    history = plain.fit(
        x, y, batch_size=8, epochs=2, shuffle=False, validation_data=(x[:21], y[:21]), verbose=0
    )
    result["plain"] = {
        "history": history.history,
        "weights": [w.tolist() for w in plain.get_weights()],
        "evaluate": evaluated(plain, x, y, evaluated_sizes := []),
        "predict": predicted(plain, x, predicted_sizes := []),
        "evaluated_sizes": evaluated_sizes,
        "predicted_sizes": predicted_sizes,
    }

    two = two_outputs()
    two.fit(x, targets(x[:, :2]), batch_size=8, epochs=1, verbose=0)
    result["two_outputs"] = {
        "weights": [w.tolist() for w in two.get_weights()],  # rank 0's, as every rank uses
        "evaluate": evaluated(two, x, targets(x[:, :2])),
        "predict": predicted(two, x),
    }

    result["gathered"] = gathered(two, x)

    # A torch Dataset and a DataLoader: each rank loads its own batches of 8.
    from_dataset = model()
    from_dataset.fit(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=8,
                     epochs=2, shuffle=False, verbose=0)
    loaded = []

    def collate(samples):
        loaded.append([float(sample[0][0]) for sample in samples])
        return default_collate(samples)

    loader = DataLoader(
        TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
        batch_size=8, shuffle=True, collate_fn=collate,
    )
    from_loader = model()
    from_loader.fit(loader, epochs=2, verbose=0)
    result["loaders"] = {
        "dataset_weights": [w.tolist() for w in from_dataset.get_weights()],
        "loader_weights": [w.tolist() for w in from_loader.get_weights()],
        "loaded": loaded,
    }

    result["datasets"] = from_datasets(model(), x, y)

    result["custom"] = {}
    for cls in (GuideStep, OwnLoss):  # steps of the user's: the optimizer averages
        network = custom(cls)
        history = network.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        result["custom"][cls.__name__] = {
            "history": history.history,
            "weights": [w.tolist() for w in network.get_weights()],
            "evaluate": network.evaluate(x[:59], y[:59], batch_size=8, verbose=0),
        }
    network = custom(OwnLoss)
    network.compile(torch.optim.SGD(network.parameters(), lr=0.1), "mse")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        network.fit(x, y, batch_size=8, epochs=1, verbose=0)
    result["custom"]["torch_optim_warnings"] = [
        str(w.message) for w in caught if "does not average" in str(w.message)
    ]

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
    compiled = model()  # jit_compile=True: the compiled gradients, averaged over the ranks
    compiled.compile(keras.optimizers.SGD(0.1), "mse", metrics=["mae"], jit_compile=True)
    graphs = torch._dynamo.utils.counters["stats"]["unique_graphs"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = compiled.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    result["compiled"] = {
        "history": history.history,
        "weights": [w.tolist() for w in compiled.get_weights()],
        "graphs": torch._dynamo.utils.counters["stats"]["unique_graphs"] - graphs,
        "warnings": [str(w.message) for w in caught if "jit_compile" in str(w.message)],
    }
    with open(os.path.join(out, f"rank{os.environ['RANK']}.json"), "w") as file:
        json.dump(result, file)


if __name__ == "__main__":
    main(sys.argv[1])
