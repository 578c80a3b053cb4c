"""fit under torchrun with 2 CPU processes (gloo): global batches, global logs, rank 0 writes."""

from __future__ import annotations

import csv
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import torch

import torchseq
from tests.distributed import train_worker

WORKER = pathlib.Path(train_worker.__file__)


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
        str(WORKER), str(out),
    ]
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=300, cwd=WORKER.parents[2], check=False
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    results = [json.loads((out / f"rank{rank}.json").read_text()) for rank in (0, 1)]
    return out, results, completed.stdout


def test_two_processes_at_batch_8_train_as_one_at_batch_16(ranks):
    _, results, _ = ranks
    x, y = train_worker.data()
    single = train_worker.model()
    history = single.fit(
        x, y, batch_size=16, epochs=2, shuffle=False, validation_data=(x[:21], y[:21]), verbose=0
    )
    assert set(history.history) == {"loss", "mae", "val_loss", "val_mae"}
    for result in results:
        for ours, reference in zip(result["plain"]["weights"], single.get_weights()):
            np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-6)
        for key, values in history.history.items():  # the logs are the global ones
            np.testing.assert_allclose(result["plain"]["history"][key], values, rtol=1e-5)


@pytest.mark.parametrize("name", ["GuideStep", "OwnLoss"])
def test_a_train_step_of_yours_trains_as_one_process_at_the_global_batch(ranks, name):
    _, results, _ = ranks
    x, y = train_worker.data()
    single = train_worker.custom(getattr(train_worker, name))
    history = single.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    figures = single.evaluate(x[:59], y[:59], batch_size=16, verbose=0)
    for result in results:
        ours = result["custom"][name]
        for got, expected in zip(ours["weights"], single.get_weights()):
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        assert ours["history"].keys() == history.history.keys()
        for key, values in history.history.items():  # the metrics' results are global
            np.testing.assert_allclose(ours["history"][key], values, rtol=1e-5)
        np.testing.assert_allclose(ours["evaluate"], figures, rtol=1e-5)
        assert len(result["custom"]["torch_optim_warnings"]) == 1


def test_the_averaging_hook_averages_each_update_once():
    # What fit installs for a train_step of yours under torchrun, with a stand-in for the
    # all-reduce: every torchseq optimizer's apply/step (a LossScaleOptimizer's included,
    # before it decides to skip) averages once.
    calls = []

    def averager(gradients):
        calls.append(len(gradients))
        return [None if g is None else g * 0.5 for g in gradients]

    for make in (
        lambda: torchseq.optimizers.SGD(1.0),
        lambda: torchseq.optimizers.LossScaleOptimizer(torchseq.optimizers.SGD(1.0), 1.0),
    ):
        for method in ("apply", "step"):
            weight = torch.nn.Parameter(torch.ones(3))
            optimizer = make()
            optimizer.build([weight])
            calls.clear()
            torchseq.optimizers.Optimizer._gradient_averager = averager
            try:
                if method == "apply":
                    optimizer.apply([torch.full((3,), 2.0)], [weight])
                else:
                    weight.grad = torch.full((3,), 2.0)
                    optimizer.step()
            finally:
                torchseq.optimizers.Optimizer._gradient_averager = None
            assert calls == [1], (type(optimizer).__name__, method)
            torch.testing.assert_close(weight.detach(), torch.zeros(3))  # 1 - 1.0 * (2 / 2)


def test_jit_compile_averages_the_compiled_gradients_over_the_ranks(ranks):
    _, results, _ = ranks
    x, y = train_worker.data()
    single = train_worker.model()
    history = single.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    for result in results:
        assert result["compiled"]["graphs"] >= 1  # the gradients came from a compiled graph
        assert result["compiled"]["warnings"] == []  # ... which did not fall back to eager
        for ours, reference in zip(result["compiled"]["weights"], single.get_weights()):
            np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(
            result["compiled"]["history"]["loss"], history.history["loss"], rtol=1e-5
        )


def _with_weights(make, weights):
    network = make()
    network.set_weights([np.asarray(w, "float32") for w in weights])
    return network


def test_evaluate_and_predict_run_each_rank_on_its_own_share(ranks):
    _, (first, second), _ = ranks
    # batch_size=8 per process: global batches of 16, the last ones of 59 and 17 samples
    # (11 and 1) split without padding, the first rank taking the odd sample.
    shares = [[8, 8, 8, 6, 8, 1], [8, 8, 8, 5, 8]]
    for result, expected in zip((first, second), shares):
        assert result["plain"]["evaluated_sizes"] == expected
        assert result["plain"]["predicted_sizes"] == expected


@pytest.mark.parametrize("name", ["plain", "two_outputs"])
def test_evaluate_returns_the_figures_of_all_the_data_on_every_rank(ranks, name):
    _, results, _ = ranks
    make = train_worker.model if name == "plain" else train_worker.two_outputs
    x, y = train_worker.data()
    y = y if name == "plain" else train_worker.targets(x[:, :2])
    single = _with_weights(make, results[0][name]["weights"])
    reference = train_worker.evaluated(single, x, y)  # 59 and 17 samples, weighted
    for result in results:
        assert result[name]["evaluate"].keys() == reference.keys()
        for n, figures in reference.items():
            assert result[name]["evaluate"][n].keys() == figures.keys()
            for key, value in figures.items():
                np.testing.assert_allclose(result[name]["evaluate"][n][key], value, rtol=1e-5)


@pytest.mark.parametrize("name", ["plain", "two_outputs"])
def test_predict_returns_every_prediction_in_input_order_on_every_rank(ranks, name):
    _, results, _ = ranks
    make = train_worker.model if name == "plain" else train_worker.two_outputs
    x, _ = train_worker.data()
    single = _with_weights(make, results[0][name]["weights"])
    for n in (59, 17):
        reference = single.predict(x[:n], batch_size=8, verbose=0)
        for result in results:
            ours = result[name]["predict"][str(n)]
            if name == "plain":
                np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-6)
                continue
            assert sorted(ours) == ["a", "b"]
            for key in ours:
                np.testing.assert_allclose(ours[key], reference[key], rtol=1e-5, atol=1e-6)


def test_a_dataset_and_a_loader_load_each_rank_its_own_batches(ranks):
    _, results, _ = ranks
    x, y = train_worker.data()
    single = train_worker.model()
    single.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    for result in results:  # a Dataset at batch_size=8 per process trains as 16 in one
        for ours, reference in zip(result["loaders"]["dataset_weights"], single.get_weights()):
            np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-6)
    # The loader's collate_fn ran on each rank for its own 4 batches of 8 per epoch, in an
    # order shuffled alike on both ranks: together they cover every sample once an epoch.
    loaded = [result["loaders"]["loaded"] for result in results]
    for batches in loaded:
        assert [len(batch) for batch in batches] == [8] * 8
    everything = sorted(x[:, 0].tolist())
    for epoch in (0, 1):
        shares = [np.concatenate(batches[epoch * 4 : (epoch + 1) * 4]) for batches in loaded]
        np.testing.assert_allclose(np.sort(np.concatenate(shares)), everything, rtol=1e-6)
    assert loaded[0][:4] != loaded[0][4:]  # a new order each epoch
    assert np.concatenate(loaded[0][:4]).tolist() != x[0:64:2, 0].tolist()  # shuffled


def test_every_rank_logs_and_decides_alike(ranks):
    _, (first, second), _ = ranks
    assert first["shuffled"]["history"] == second["shuffled"]["history"]
    for a, b in zip(first["shuffled"]["weights"], second["shuffled"]["weights"]):
        np.testing.assert_array_equal(a, b)
    assert first["shuffled"]["evaluate"] == pytest.approx(second["shuffled"]["evaluate"])
    predictions = np.asarray(first["shuffled"]["predict"])
    assert predictions.shape == (10, 2)
    np.testing.assert_allclose(predictions, second["shuffled"]["predict"], rtol=1e-6)
    assert set(first["shuffled"]["history"]) == {"loss", "mae", "val_loss", "val_mae"}
    # An uneven last batch is topped up, so both ranks take the same number of steps.
    assert first["uneven"]["history"] == second["uneven"]["history"]
    for a, b in zip(first["uneven"]["weights"], second["uneven"]["weights"]):
        np.testing.assert_array_equal(a, b)
        assert np.isfinite(a).all()


def test_rank_0_writes_the_files(ranks):
    out, (first, _), stdout = ranks
    epochs_run = len(first["shuffled"]["history"]["loss"])
    assert stdout.count("Epoch 1/3") == 1  # the progress bar prints on rank 0 only
    assert stdout.count("val_loss:") == epochs_run
    with open(out / "log.csv") as file:
        rows = list(csv.DictReader(file))
    epochs = len(first["shuffled"]["history"]["loss"])
    assert [int(row["epoch"]) for row in rows] == list(range(epochs))  # one writer, no repeats
    np.testing.assert_allclose(
        [float(row["loss"]) for row in rows], first["shuffled"]["history"]["loss"], rtol=1e-6
    )
    restored = torchseq.saving.load_model(out / "best.keras")
    assert restored.predict(np.zeros((1, 6), "float32"), verbose=0).shape == (1, 2)


def test_a_single_process_is_not_distributed():
    from torchseq.training import distributed

    assert not torch.distributed.is_initialized()
    assert distributed.context() is None


def test_keras_distribution_names_in_one_process():
    from torchseq import distribution

    assert distribution.list_devices("cpu") == ["cpu:0"]
    assert distribution.get_device_count() == len(distribution.list_devices())
    parallel = distribution.DataParallel()
    distribution.set_distribution(parallel)  # one process: nothing to initialise
    try:
        assert distribution.distribution() is parallel
        assert not torch.distributed.is_initialized()
    finally:
        distribution.set_distribution(None)
    with pytest.raises(TypeError, match="DataParallel or None"):
        distribution.set_distribution("data_parallel")
    with pytest.raises(ValueError, match="auto_shard_dataset=False"):
        distribution.DataParallel(auto_shard_dataset=False)
    with pytest.raises(ValueError, match="device_type None, 'cpu', 'gpu' or 'cuda'"):
        distribution.list_devices("tpu")


def _own_rows(sizes, rank):
    """``rank``'s rows of batches of ``sizes`` split without padding (2 processes)."""
    rows, offset = [], 0
    for size in sizes:
        first = -(-size // 2)
        start, stop = (offset, offset + first) if rank == 0 else (offset + first, offset + size)
        rows += range(start, stop)
        offset += size
    return rows


def test_a_dataset_is_evaluated_and_predicted_from_each_rank_own_samples(ranks):
    _, results, _ = ranks
    x, y = train_worker.data()
    single = train_worker.model()
    figures = single.evaluate(x[:59], y[:59], batch_size=16, verbose=0, return_dict=True)
    predictions = single.predict(x[:59], batch_size=16, verbose=0)
    history = single.fit(
        x, y, batch_size=16, epochs=1, shuffle=False, validation_data=(x[:21], y[:21]), verbose=0
    )
    for rank, result in enumerate(results):
        ours = result["datasets"]
        assert ours["evaluate"] == pytest.approx(figures, rel=1e-5)
        np.testing.assert_allclose(ours["predict"], predictions, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ours["val_loss"], history.history["val_loss"], rtol=1e-5)
        for got, expected in zip(ours["weights"], single.get_weights()):
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        # Each pass loaded this rank's rows of every global batch of 16 and no others; the
        # trainer peeks at the first global batch of evaluate's data beforehand.
        loaded = ours["loaded"]
        assert loaded["predict"] == _own_rows([16, 16, 16, 11], rank)
        for name, sizes in (("evaluate", [16, 16, 16, 11]), ("validation", [16, 5])):
            own = _own_rows(sizes, rank)
            assert loaded[name][-len(own):] == own
            assert set(loaded[name][: -len(own)]) <= set(range(16))


def _assert_typed(ours, expected):
    """``ours`` (``train_worker.typed``) holds ``expected``'s arrays exactly, dtypes too."""
    if isinstance(expected, dict):
        assert list(ours) == list(expected)
        for key, value in expected.items():
            _assert_typed(ours[key], value)
    elif isinstance(expected, (list, tuple)):
        assert len(ours) == len(expected)
        for got, value in zip(ours, expected):
            _assert_typed(got, value)
    else:
        assert ours["dtype"] == str(expected.dtype)
        np.testing.assert_allclose(np.asarray(ours["values"]), expected, rtol=1e-5, atol=1e-6)


def test_predictions_are_gathered_as_tensors_in_input_order_with_their_dtypes(ranks):
    _, results, _ = ranks
    x, _ = train_worker.data()
    two = _with_weights(train_worker.two_outputs, results[0]["two_outputs"]["weights"])
    labeller = _with_weights(
        lambda: train_worker.custom(train_worker.Labeller),
        results[0]["gathered"]["labeller_weights"],
    )
    expected = {
        "dict": two.predict(x[:17], batch_size=8, verbose=0),
        "labels59": labeller.predict(x[:59], batch_size=8, verbose=0),
        "labels17": labeller.predict(x[:17], batch_size=8, verbose=0),
        "labels1": labeller.predict(x[:1], batch_size=8, verbose=0),
    }
    assert [str(a.dtype) for a in expected["labels59"]] == ["int64", "bool", "float32"]
    for result in results:
        for name, reference in expected.items():
            _assert_typed(result["gathered"][name], reference)
        # Per predict: one exchange of shapes and dtypes (no array pickled), then the
        # predictions' bytes in one all_gather.
        assert result["gathered"]["calls"] == [
            ["all_gather_object", False], ["all_gather", "torch.uint8"]
        ] * 4


def test_arrays_of_python_objects_are_gathered_pickled(ranks):
    _, results, _ = ranks
    x, _ = train_worker.data()
    for result in results:
        assert result["gathered"]["objects"] == {
            "names": [f"{v:.4f}" for v in x[:17, 0]], "dtype": "object"
        }
        assert result["gathered"]["object_calls"] == [
            ["all_gather_object", False], ["all_gather_object", True]
        ]
