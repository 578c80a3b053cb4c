"""Tests for torchseq.training.data: every input kind, shuffling, weights, placement, errors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset, Sampler, TensorDataset

from torchseq import config
from torchseq.training import data
from torchseq.training.data import make_adapter, split_validation
from torchseq.utils.sequence import PyDataset, Sequence

N, FEATURES, BATCH = 10, 3, 4
SIZES = [4, 4, 2]


def features(n: int = N, dtype: str = "float32") -> np.ndarray:
    return np.arange(n * FEATURES, dtype=dtype).reshape(n, FEATURES)


def labels(n: int = N) -> np.ndarray:
    return np.arange(n, dtype="int64")


class Batches(PyDataset):
    """Batch i of ``x`` and ``y``; counts its epoch hooks."""

    def __init__(self, x, y, batch_size=BATCH, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
        self.begun = self.ended = 0

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index):
        window = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[window], self.y[window]

    def on_epoch_begin(self):
        self.begun += 1

    def on_epoch_end(self):
        self.ended += 1


class KerasTwoSequence(Sequence):
    """A Keras-2 style subclass: no super().__init__(), batches as lists."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return 3

    def __getitem__(self, index):
        window = slice(index * BATCH, (index + 1) * BATCH)
        return [self.x[window], self.y[window]]


class DictItems(Dataset):
    """Items are dicts of named inputs: the collated batch is x alone."""

    def __len__(self):
        return N

    def __getitem__(self, index):
        return {"a": torch.from_numpy(features()[index])}


def chunks(x, y, size=BATCH):
    for start in range(0, len(x), size):
        yield x[start : start + size], y[start : start + size]


def tensors():
    return torch.from_numpy(features()), torch.from_numpy(labels())


# name -> (make_adapter arguments, how to read the x rows back from a batch)
KINDS = {
    "numpy": (lambda: ((features(), labels()), {}), lambda x: x),
    "numpy_float64": (lambda: ((features(dtype="float64"), labels()), {}), lambda x: x),
    "tensor": (lambda: (tensors(), {}), lambda x: x),
    "list": (lambda: (([features(), features()], labels()), {}), lambda x: x[1]),
    "tuple": (lambda: (((features(), features()), labels()), {}), lambda x: x[0]),
    "dict": (lambda: (({"a": features(), "b": labels()}, labels()), {}), lambda x: x["a"]),
    "generator": (lambda: ((chunks(features(), labels()),), {}), lambda x: x),
    "iterator": (lambda: ((iter(list(chunks(*tensors()))),), {}), lambda x: x),
    "sequence": (lambda: ((Batches(features(), labels()),), {}), lambda x: x),
    "keras2_sequence": (lambda: ((KerasTwoSequence(features(), labels()),), {}), lambda x: x),
    "dataset": (lambda: ((TensorDataset(*tensors()),), {"batch_size": BATCH}), lambda x: x),
    "dataloader": (
        lambda: ((DataLoader(TensorDataset(*tensors()), batch_size=BATCH),), {}),
        lambda x: x,
    ),
}


def build(kind: str, **overrides):
    make_args, read_x = KINDS[kind]
    args, kwargs = make_args()
    kwargs = {"batch_size": BATCH, "shuffle": False, **kwargs, **overrides}
    return make_adapter(*args, **kwargs), read_x


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_yields_the_batches_in_order(kind):
    adapter, read_x = build(kind)
    batches = list(adapter.batches(0))
    assert [len(y) for _, y, _ in batches] == SIZES
    rows = torch.cat([read_x(x) for x, _, _ in batches])
    assert rows.dtype == torch.float32 and rows.device.type == "cpu"
    assert torch.equal(rows, torch.from_numpy(features()))
    targets = torch.cat([y for _, y, _ in batches])
    assert targets.dtype == torch.int64 and torch.equal(targets, torch.arange(N))
    assert all(weight is None for _, _, weight in batches)


@pytest.mark.parametrize("kind", ["list", "tuple", "dict"])
def test_structures_are_kept(kind):
    adapter, _ = build(kind)
    x, _, _ = next(adapter.batches(0))
    assert type(x) is {"list": list, "tuple": tuple, "dict": dict}[kind]
    if kind == "dict":
        assert list(x) == ["a", "b"] and x["b"].dtype == torch.int64


# kind -> (num_batches, num_samples, batch_size)
SIZES_BY_KIND = {
    "numpy": (3, N, BATCH),
    "generator": (None, None, None),
    "sequence": (3, None, None),
    "dataset": (3, N, BATCH),
    "dataloader": (3, N, BATCH),
}


@pytest.mark.parametrize("kind", SIZES_BY_KIND)
def test_reports_sizes(kind):
    adapter, _ = build(kind)
    assert (adapter.num_batches, adapter.num_samples, adapter.batch_size) == SIZES_BY_KIND[kind]
    assert build(kind, steps_per_epoch=2)[0].num_batches == 2


def test_dict_batches_from_a_dataloader_are_x_alone():
    adapter = make_adapter(DataLoader(DictItems(), batch_size=BATCH), input_names=["a"])
    x, y, weight = next(adapter.batches(0))
    assert list(x) == ["a"] and x["a"].shape == (BATCH, FEATURES) and y is None and weight is None


def test_generator_batches_may_be_x_alone_or_carry_sample_weights():
    weights = np.linspace(0.0, 1.0, N)
    alone = make_adapter(iter([features()[:4], features()[4:]]))
    assert [x.shape[0] for x, y, _ in alone.batches(0)] == [4, 6]
    weighted = make_adapter((x, y, w) for x, y, w in [(features(), labels(), weights)])
    _, _, weight = next(weighted.batches(0))
    assert weight.dtype == torch.float32 and torch.allclose(
        weight, torch.from_numpy(weights).float()
    )


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "float32", "bool"])
def test_dtypes_other_than_float64_are_kept(dtype):
    adapter = make_adapter(features(), labels().astype(dtype), batch_size=BATCH, shuffle=False)
    assert next(adapter.batches(0))[1].dtype == getattr(torch, dtype)


def test_float64_follows_floatx():
    try:
        config.set_floatx("float16")
        x, _, _ = make_adapter(features(dtype="float64"), shuffle=False).peek()
        assert x.dtype == torch.float16
        config.set_floatx("float64")
        x, _, _ = make_adapter(features(dtype="float64"), shuffle=False).peek()
        assert x.dtype == torch.float64
    finally:
        config.set_floatx("float32")


def test_float32_numpy_is_shared_not_copied():
    x = features()
    adapter = make_adapter(x, labels(), batch_size=BATCH, shuffle=False, device="cpu")
    for batch_x, _, _ in adapter.batches(0):
        assert np.shares_memory(batch_x.numpy(), x)
    shuffled = make_adapter(x, labels(), batch_size=BATCH, shuffle=True)
    assert shuffled._data[0].data_ptr() == x.ctypes.data


def test_read_only_arrays_are_shared_without_a_warning():
    x = features()
    x.flags.writeable = False
    batch_x, _, _ = make_adapter(x, shuffle=False).peek()
    assert np.shares_memory(batch_x.numpy(), x)


def test_float64_is_cast_once_not_per_batch_or_epoch():
    adapter = make_adapter(features(dtype="float64"), labels(), batch_size=BATCH, shuffle=False)
    storages = {
        x.untyped_storage().data_ptr() for epoch in range(2) for x, _, _ in adapter.batches(epoch)
    }
    assert len(storages) == 1 and adapter._data[0].dtype == torch.float32


def test_shuffle_gives_a_new_permutation_every_epoch():
    torch.manual_seed(0)
    adapter = make_adapter(features(100), labels(100), batch_size=8, shuffle=True)
    orders = [torch.cat([y for _, y, _ in adapter.batches(epoch)]) for epoch in range(2)]
    for order in orders:
        assert sorted(order.tolist()) == list(range(100)) and not torch.equal(
            order, torch.arange(100)
        )
    assert not torch.equal(orders[0], orders[1])
    x, y, _ = next(adapter.batches(2))
    assert torch.equal(x[:, 0], y.float() * FEATURES)  # rows stay with their labels


@pytest.mark.parametrize("kind", ["numpy", "dataset"])
def test_batch_shuffle_keeps_batches_contiguous(kind):
    torch.manual_seed(0)
    x, y = features(100), labels(100)
    source = (
        (x, y) if kind == "numpy" else (TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),)
    )
    adapter = make_adapter(*source, batch_size=10, shuffle="batch")
    starts = []
    for batch_x, batch_y, _ in adapter.batches(0):
        start = int(batch_y[0])
        assert torch.equal(batch_y, torch.arange(start, start + 10))
        assert torch.equal(batch_x[:, 0], batch_y.float() * FEATURES)
        starts.append(start)
    assert sorted(starts) == list(range(0, 100, 10)) and starts != sorted(starts)


def test_dataset_shuffle_is_a_permutation():
    torch.manual_seed(0)
    adapter = make_adapter(TensorDataset(torch.arange(50)), batch_size=8, shuffle=True)
    order = torch.cat([x for x, _, _ in adapter.batches(0)])
    assert sorted(order.tolist()) == list(range(50)) and not torch.equal(order, torch.arange(50))


def test_sequence_shuffle_permutes_batches_and_calls_the_epoch_hooks():
    torch.manual_seed(0)
    sequence = Batches(features(40), labels(40))
    adapter = make_adapter(sequence, shuffle=True)
    for epoch in range(2):
        firsts = [int(y[0]) for _, y, _ in adapter.batches(epoch)]
        assert sorted(firsts) == list(range(0, 40, BATCH))
        assert sequence.begun == sequence.ended == epoch + 1
    assert firsts != sorted(firsts)


# (steps_per_epoch, first y of each batch, per epoch) for 10 samples in batches of 4
STEPS_CASES = [
    (None, [[0, 4, 8], [0, 4, 8]]),
    (2, [[0, 4], [8], [0, 4]]),  # a pass runs on across epochs; its end ends the epoch
    (3, [[0, 4, 8], [0, 4, 8]]),
    (5, [[0, 4, 8], [0, 4, 8]]),
]


@pytest.mark.parametrize(("steps", "expected"), STEPS_CASES)
@pytest.mark.parametrize("kind", ["numpy", "sequence", "dataloader"])
def test_steps_per_epoch_on_sized_data(kind, steps, expected):
    adapter, _ = build(kind, steps_per_epoch=steps)
    seen = [[int(y[0]) for _, y, _ in adapter.batches(epoch)] for epoch in range(len(expected))]
    assert seen == expected


def test_steps_per_epoch_sets_the_batch_size_of_arrays():
    adapter = make_adapter(features(), labels(), steps_per_epoch=3, shuffle=False)
    assert adapter.batch_size == 4 and [len(y) for _, y, _ in adapter.batches(0)] == SIZES
    assert make_adapter(features(100)).batch_size == 32


def test_generators_run_on_across_epochs_until_they_end():
    endless = ((np.full((2, 1), step, "float32"),) for step in itertools.count())
    adapter = make_adapter(endless, steps_per_epoch=2)
    assert [[int(x[0]) for x, _, _ in adapter.batches(epoch)] for epoch in range(2)] == [
        [0, 1],
        [2, 3],
    ]
    finite, _ = build("generator")
    assert [len(list(finite.batches(epoch))) for epoch in range(2)] == [3, 0]


def test_peek_does_not_use_up_a_batch():
    for kind in ("numpy", "generator", "sequence", "dataloader"):
        adapter, _ = build(kind)
        _, first_y, _ = adapter.peek()
        assert torch.equal(first_y, torch.arange(BATCH))
        assert [len(y) for _, y, _ in adapter.batches(0)] == SIZES


def test_dataloader_samplers_get_the_epoch():
    class Recording(Sampler):
        def __init__(self):
            self.epochs = []

        def __len__(self):
            return N

        def __iter__(self):
            return iter(range(N))

        def set_epoch(self, epoch):
            self.epochs.append(epoch)

    sampler = Recording()
    adapter = make_adapter(DataLoader(TensorDataset(*tensors()), sampler=sampler, batch_size=4))
    for epoch in (3, 4):
        list(adapter.batches(epoch))
    assert sampler.epochs == [3, 4]


@pytest.mark.parametrize("streamed", [False, True], ids=["resident", "streamed"])
@pytest.mark.parametrize("shuffle", [False, True, "batch"])
def test_array_batches_arrive_on_the_device(monkeypatch, streamed, shuffle):
    monkeypatch.setattr(data, "_fits_on_device", lambda num_bytes, device: not streamed)
    adapter = make_adapter(
        {"a": features()}, labels(), np.ones(N), batch_size=BATCH, shuffle=shuffle, device="meta"
    )
    assert adapter._streamed is streamed
    assert all(t.device.type == ("cpu" if streamed else "meta") for t in adapter._data[1:])
    batches = list(adapter.batches(0))
    assert sorted(len(y) for _, y, _ in batches) == sorted(SIZES)
    for x, y, weight in batches:
        assert {x["a"].device.type, y.device.type, weight.device.type} == {"meta"}
        assert (x["a"].dtype, y.dtype, weight.dtype) == (torch.float32, torch.int64, torch.float32)


@pytest.mark.parametrize("kind", ["generator", "sequence", "dataset", "dataloader"])
def test_source_batches_arrive_on_the_device(kind):
    adapter, _ = build(kind, device="meta")
    x, y, _ = next(adapter.batches(0))
    assert (x.device.type, y.device.type) == ("meta", "meta")


def test_pandas_objects_are_converted():
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"a": np.arange(N, dtype="float64"), "b": np.arange(N)})
    adapter = make_adapter(frame, pandas.Series(labels()), batch_size=BATCH, shuffle=False)
    x, y, _ = next(adapter.batches(0))
    assert x.shape == (BATCH, 2) and x.dtype == torch.float32 and y.dtype == torch.int64
    train, held_out = split_validation(frame, pandas.Series(labels()), None, 0.2)
    assert train[0].shape == (8, 2) and held_out[1].tolist() == [8, 9]


# (labels, class_weight, sample_weight, expected weights)
CLASS_WEIGHT_CASES = {
    "indices": ([0, 1, 2, 1], {0: 1.0, 1: 2.0}, None, [1, 2, 1, 2]),
    "column": ([[0.0], [1.0], [1.0], [2.0]], {1: 3.0, 2: 0.5}, None, [1, 3, 3, 0.5]),
    "one_hot": ([[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 1]], {2: 4.0}, None, [1, 4, 1, 4]),
    "unlisted_and_negative": ([-1, 5, 7, 0], {-1: 2.0, 7: 3.0}, None, [2, 1, 3, 1]),
    "times_sample_weight": ([0, 1, 0, 1], {1: 2.0}, [1.0, 1.0, 0.5, 0.5], [1, 2, 0.5, 1]),
    "temporal_sample_weight": (
        [0, 1],
        {1: 2.0},
        [[1.0, 0.0], [1.0, 0.5]],
        [[1, 0], [2, 1]],
    ),
    "empty": ([0, 1], {}, None, [1, 1]),
}


@pytest.mark.parametrize("case", CLASS_WEIGHT_CASES.values(), ids=CLASS_WEIGHT_CASES)
def test_class_weight_becomes_sample_weight(case):
    y, class_weight, sample_weight, expected = case
    y = np.asarray(y)
    x = np.zeros((len(y), 1), "float32")
    sample_weight = None if sample_weight is None else np.asarray(sample_weight)
    adapter = make_adapter(x, y, sample_weight, class_weight=class_weight, shuffle=False)
    _, _, weight = adapter.peek()
    assert weight.dtype == torch.float32
    assert torch.equal(weight, torch.tensor(expected, dtype=torch.float32))


def test_class_weight_applies_per_batch_to_a_sequence():
    adapter = make_adapter(Batches(features(), labels() % 2), class_weight={1: 5.0}, shuffle=False)
    weights = torch.cat([weight for _, _, weight in adapter.batches(0)])
    assert torch.equal(weights, torch.tensor([1.0, 5.0] * 5))


@pytest.mark.parametrize("fraction", [0.2, 0.25, 0.5])
def test_validation_split_holds_out_the_last_fraction(fraction):
    x, y, weights = features(), labels(), np.ones(N)
    (train_x, train_y, train_w), (val_x, val_y, val_w) = split_validation(x, y, weights, fraction)
    split_at = int(N * (1 - fraction))
    assert train_y.tolist() == list(range(split_at)) and val_y.tolist() == list(range(split_at, N))
    assert np.shares_memory(train_x, x) and np.shares_memory(val_x, x)
    assert len(train_w) == split_at and len(val_w) == N - split_at


def test_validation_split_keeps_structures_and_tensors():
    x = {"a": torch.from_numpy(features()), "b": [features(), features()]}
    (train_x, _, train_w), (val_x, _, val_w) = split_validation(x, labels(), None, 0.3)
    assert train_x["a"].shape == (7, FEATURES) and isinstance(val_x["a"], torch.Tensor)
    assert val_x["b"][1].shape == (3, FEATURES) and train_w is None and val_w is None
    y = labels()
    (same_x, same_y, _), held_out = split_validation(x, y, None, 0.0)
    assert same_x is x and same_y is y and held_out is None


def generator():
    return chunks(features(), labels())


# (call, exception, message pattern)
ERROR_CASES = {
    "lengths": (
        lambda: make_adapter(features(), labels(9)),
        ValueError,
        "x has 10 samples, y has 9 samples",
    ),
    "lengths_in_x": (
        lambda: make_adapter([features(), features(8)], labels()),
        ValueError,
        r"x has \[10, 8\] samples, y has 10 samples",
    ),
    "sample_weight_length": (
        lambda: make_adapter(features(), labels(), np.ones(3)),
        ValueError,
        "sample_weight has 3 samples",
    ),
    "batch_size_zero": (lambda: make_adapter(features(), batch_size=0), ValueError, "batch_size=0"),
    "batch_size_negative": (
        lambda: make_adapter(features(), batch_size=-2),
        ValueError,
        "positive int",
    ),
    "batch_size_float": (
        lambda: make_adapter(features(), batch_size=2.5),
        TypeError,
        "batch_size=2.5",
    ),
    "steps_zero": (
        lambda: make_adapter(features(), steps_per_epoch=0),
        ValueError,
        "steps_per_epoch=0",
    ),
    "shuffle_name": (
        lambda: make_adapter(features(), shuffle="batches"),
        ValueError,
        r"shuffle must be one of \[True, False, 'batch'\], received: shuffle='batches'",
    ),
    "shuffle_type": (
        lambda: make_adapter(features(), shuffle=2),
        TypeError,
        "shuffle must be one of",
    ),
    "unknown_input_key": (
        lambda: make_adapter({"a": features(), "c": features()}, input_names=["a", "b"]),
        ValueError,
        r"x has keys \['c'\] that name no model input; expected keys among \['a', 'b'\]",
    ),
    "unknown_output_key": (
        lambda: make_adapter(features(), {"out": labels()}, output_names=["dense"]),
        ValueError,
        r"y has keys \['out'\] that name no model output; expected keys among \['dense'\]",
    ),
    "unknown_key_in_a_batch": (
        lambda: make_adapter(iter([({"c": features()}, labels())]), input_names=["a"]).peek(),
        ValueError,
        r"x has keys \['c'\]",
    ),
    "class_weight_dataloader": (
        lambda: make_adapter(DataLoader(TensorDataset(*tensors())), class_weight={0: 1.0}),
        ValueError,
        r"class_weight is only supported with arrays .* received x: a DataLoader;",
    ),
    "class_weight_dataset": (
        lambda: make_adapter(TensorDataset(*tensors()), class_weight={0: 1.0}),
        ValueError,
        r"class_weight is only supported with arrays .* received x: a Dataset \(TensorDataset\);",
    ),
    "class_weight_generator": (
        lambda: make_adapter(generator(), class_weight={0: 1.0}),
        ValueError,
        "class_weight is only supported with arrays .* received x: a generator;",
    ),
    "class_weight_type": (
        lambda: make_adapter(features(), labels(), class_weight=[1.0, 2.0]),
        TypeError,
        "class_weight must be a dict",
    ),
    "class_weight_key": (
        lambda: make_adapter(features(), labels(), class_weight={"cat": 1.0}),
        TypeError,
        "class_weight keys must be integer class indices, received key 'cat'",
    ),
    "class_weight_value": (
        lambda: make_adapter(features(), labels(), class_weight={0: "x"}),
        TypeError,
        "class_weight values must be numbers",
    ),
    "class_weight_two_outputs": (
        lambda: make_adapter(features(), [labels(), labels()], class_weight={0: 2.0}),
        ValueError,
        "class_weight needs a single target array",
    ),
    "class_weight_no_y": (
        lambda: make_adapter(features(), class_weight={0: 2.0}),
        ValueError,
        "received 0 target arrays",
    ),
    "class_weight_per_output_weights": (
        lambda: make_adapter(features(), labels(), [np.ones(N)], class_weight={0: 2.0}),
        ValueError,
        "a single sample_weight array, received sample_weight of type list",
    ),
    "y_with_generator": (
        lambda: make_adapter(generator(), labels()),
        ValueError,
        "y must not be given when x is a generator: the batches",
    ),
    "sample_weight_with_dataloader": (
        lambda: make_adapter(DataLoader(TensorDataset(*tensors())), None, np.ones(N)),
        ValueError,
        "sample_weight must not be given when x is a DataLoader: the batches",
    ),
    "x_none": (lambda: make_adapter(None), TypeError, "received: x=None"),
    "x_string": (
        lambda: make_adapter("data.csv"),
        TypeError,
        "x must be numpy arrays.*received: str",
    ),
    "x_numbers_list": (lambda: make_adapter([1, 2, 3]), TypeError, "received: int"),
    "object_array": (
        # strings are data for a model fed strings; other objects are refused
        lambda: make_adapter(np.array([{}, {}], dtype=object)),
        TypeError,
        "x must hold numbers .* dtype object",
    ),
    "scalar": (lambda: make_adapter(np.array(1.0)), ValueError, "x must have a first"),
    "empty": (lambda: make_adapter(np.zeros((0, 3))), ValueError, "x has 0 samples"),
    "batch_of_four": (
        lambda: make_adapter(iter([(features(), labels(), None, None)])).peek(),
        ValueError,
        r"\(x, y, sample_weight\), received a tuple of 4 items",
    ),
    "empty_generator": (lambda: make_adapter(iter([])).peek(), ValueError, "yielded no batch"),
    "split_one": (
        lambda: split_validation(features(), labels(), None, 1.0),
        ValueError,
        r"validation_split must be in \[0, 1\) .* received: validation_split=1.0",
    ),
    "split_negative": (
        lambda: split_validation(features(), labels(), None, -0.1),
        ValueError,
        "validation_split=-0.1",
    ),
    "split_string": (
        lambda: split_validation(features(), labels(), None, "0.2"),
        TypeError,
        "validation_split must be a float",
    ),
    "split_generator": (
        lambda: split_validation(generator(), None, None, 0.2),
        ValueError,
        "validation_split is only supported for arrays .* received x: a generator; pass validation_data",
    ),
    "split_dataloader": (
        lambda: split_validation(DataLoader(TensorDataset(*tensors())), None, None, 0.2),
        ValueError,
        "validation_split is only supported for arrays .* received x: a DataLoader;",
    ),
    "split_too_few": (
        lambda: split_validation(features(1), labels(1), None, 0.5),
        ValueError,
        "validation_split=0.5 of 1 samples leaves 0 for training and 1 for validation",
    ),
    "split_rounding": (  # 10 * (1 - 0.9) is just under 1: Keras refuses this split too
        lambda: split_validation(features(), labels(), None, 0.9),
        ValueError,
        "leaves 0 for training",
    ),
    "split_lengths": (
        lambda: split_validation(features(), labels(9), None, 0.2),
        ValueError,
        "x has 10 samples, y has 9 samples",
    ),
}


@pytest.mark.parametrize("case", ERROR_CASES.values(), ids=ERROR_CASES)
def test_errors(case):
    call, error, pattern = case
    with pytest.raises(error, match=pattern):
        call()


@pytest.fixture(scope="module")
def keras_adapters():
    pytest.importorskip("keras")
    from keras.src.trainers.data_adapters import (
        array_data_adapter,
        array_slicing,
        data_adapter_utils,
    )

    return array_data_adapter, array_slicing, data_adapter_utils


@pytest.mark.parametrize(
    ("num_samples", "batch_size", "steps"),
    [(10, 4, None), (64, 32, None), (10, None, 3), (7, None, None)],
)
def test_unshuffled_batches_match_keras(keras_adapters, num_samples, batch_size, steps):
    array_data_adapter, _, _ = keras_adapters
    x, y = features(num_samples, "float64"), labels(num_samples)
    reference = array_data_adapter.ArrayDataAdapter(
        x, y, batch_size=batch_size, steps=steps, shuffle=False
    )
    ours = make_adapter(x, y, batch_size=batch_size, steps_per_epoch=steps, shuffle=False)
    assert ours.batch_size == reference.batch_size
    pairs = list(zip(reference.get_numpy_iterator(), ours.batches(0), strict=True))
    for (keras_x, keras_y), (x_batch, y_batch, _) in pairs:
        np.testing.assert_array_equal(x_batch.numpy(), keras_x.astype("float32"))
        np.testing.assert_array_equal(y_batch.numpy(), keras_y)


# Keras 3 refuses class_weight together with sample_weight (we multiply them, as Keras 2 did)
KERAS_CLASS_WEIGHT_CASES = {
    name: case for name, case in CLASS_WEIGHT_CASES.items() if case[2] is None
}


@pytest.mark.parametrize("case", KERAS_CLASS_WEIGHT_CASES.values(), ids=KERAS_CLASS_WEIGHT_CASES)
def test_class_weights_match_keras(keras_adapters, case):
    _, _, data_adapter_utils = keras_adapters
    y, class_weight, _, _ = case
    y = np.asarray(y)
    expected = data_adapter_utils.class_weight_to_sample_weights(y, class_weight)
    adapter = make_adapter(np.zeros((len(y), 1)), y, class_weight=class_weight, shuffle=False)
    np.testing.assert_array_equal(adapter.peek()[2].numpy(), expected)


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.33, 0.5, 0.8])
def test_validation_split_matches_keras(keras_adapters, fraction):
    _, array_slicing, _ = keras_adapters
    x, y = features(), labels()
    (keras_train, keras_val) = array_slicing.train_validation_split((x, y), fraction)
    train, held_out = split_validation(x, y, None, fraction)
    np.testing.assert_array_equal(train[1], keras_train[1])
    np.testing.assert_array_equal(held_out[0], keras_val[0])
