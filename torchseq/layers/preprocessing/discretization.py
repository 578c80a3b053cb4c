"""``Discretization``: continuous features bucketed by bin boundaries (given or adapted)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchseq.layers.preprocessing import _encoding
from torchseq.layers.preprocessing._data_layer import DataLayer
from torchseq.layers.preprocessing.index_lookup import _is_batch_iterable
from torchseq.utils.integers import int_or_none

__all__ = ["Discretization"]


class Discretization(DataLayer):
    """Buckets values by boundaries; mirrors ``keras.layers.Discretization``.

    Bucket ``i`` holds ``boundaries[i-1] <= x < boundaries[i]`` (``np.digitize``). With
    ``num_bins``, ``adapt`` finds the boundaries as approximate quantiles of the data, with
    Keras's summary (weighted samples every ``epsilon`` of the sorted data, merged batch by
    batch), so adapting on the same data gives Keras's boundaries. Runs batched on the
    input's device.

    Args:
        bin_boundaries: Sorted list of boundaries (``len + 1`` buckets).
        num_bins: Number of buckets to learn with ``adapt`` (instead of bin_boundaries).
        epsilon: Error tolerance of the quantiles; smaller is more exact. Default ``0.01``.
        output_mode: ``"int"`` (default, int32 bucket indices), ``"one_hot"``,
            ``"multi_hot"`` or ``"count"``.
        sparse: Only ``False``.

    Input shape: any. Output shape: the input's for ``"int"``; otherwise see
    ``CategoryEncoding``.

    Example:
        >>> Discretization(bin_boundaries=[0.0, 1.0, 2.0])(torch.tensor([[-1.5, 1.0, 3.4]]))
        tensor([[0, 2, 3]], dtype=torch.int32)
    """

    def __init__(
        self,
        bin_boundaries: Any = None,
        num_bins: int | None = None,
        epsilon: float = 0.01,
        output_mode: str = "int",
        sparse: bool = False,
        dtype: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        output_mode = _encoding.normalize_output_mode(
            "Discretization", output_mode, ("int", "one_hot", "multi_hot", "count")
        )
        if sparse:
            raise ValueError(
                "Discretization: torch has no sparse outputs here; expected sparse=False, "
                "received: sparse=True"
            )
        if num_bins is not None and num_bins < 0:
            raise ValueError(
                f"Discretization: num_bins must be >= 0, received: num_bins={num_bins}"
            )
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                "Discretization: give bin_boundaries or num_bins, not both; received: "
                f"bin_boundaries={bin_boundaries}, num_bins={num_bins}"
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError(
                "Discretization: expected bin_boundaries or num_bins, received neither"
            )
        super().__init__(dtype=dtype, name=name, **kwargs)
        self.bin_boundaries = None if bin_boundaries is None else _float_list(bin_boundaries)
        self.num_bins = int_or_none(num_bins)
        self.epsilon = float(epsilon)
        self.output_mode = output_mode
        self.sparse = False
        self.summary = None if self.bin_boundaries is not None else _empty_summary()

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Learn ``num_bins`` quantile boundaries from ``data``.

        Args:
            data: An array, list or tensor, or an iterable of batches.
            steps: With an iterable, the number of batches to read (default: all).
        """
        if self.num_bins is None:
            raise ValueError(
                "Discretization: adapt() needs a layer made with num_bins, but this one was "
                "made with bin_boundaries"
            )
        self.reset_state()
        if _is_batch_iterable(data):
            for step, batch in enumerate(data):
                if steps is not None and step >= steps:
                    break
                self.update_state(batch)
        else:
            self.update_state(data)
        self.finalize_state()

    def update_state(self, data: Any) -> None:
        """Merge one batch into the quantile summary."""
        if torch.is_tensor(data):
            data = data.detach().cpu().numpy()
        values = np.asarray(data).astype("float32")
        self.summary = _merge(_summarize(values, self.epsilon), self.summary, self.epsilon)

    def finalize_state(self) -> None:
        """Turn the summary into ``bin_boundaries``."""
        if self.num_bins is None:
            return
        self.bin_boundaries = _compress(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def reset_state(self) -> None:
        """Forget the summary gathered by ``update_state``."""
        if self.num_bins is not None:
            self.summary = _empty_summary()

    def call(self, inputs: Any) -> torch.Tensor:
        if self.bin_boundaries is None:
            raise ValueError(
                f'Discretization "{self.name}": pass bin_boundaries= or call adapt() before '
                "calling the layer"
            )
        values = inputs if torch.is_tensor(inputs) else torch.as_tensor(np.asarray(inputs))
        if not values.is_floating_point():
            values = values.to(self._dtype)
        boundaries = torch.tensor(self.bin_boundaries, dtype=values.dtype, device=values.device)
        buckets = torch.bucketize(values, boundaries, right=True)
        return _encoding.encode(
            buckets, self.output_mode, len(self.bin_boundaries) + 1, self._output_dtype()
        )

    def compute_output_shape(self, input_shape: Any) -> tuple:
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        return _encoding.encoded_shape(tuple(input_shape), self.output_mode, depth)

    def get_config(self) -> dict[str, Any]:
        """Keras's config, key for key (Keras's own ``from_config`` reads it)."""
        return {
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": False,
            "name": self.name,
            "dtype": self.dtype,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Discretization:
        """Rebuild the layer; an adapted one keeps its boundaries and its ``num_bins``."""
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            boundaries = config.pop("bin_boundaries")
            layer = super().from_config(config)
            layer.bin_boundaries = _float_list(boundaries)
            return layer
        return super().from_config(config)

    def _output_dtype(self) -> torch.dtype:
        return torch.int32 if self.output_mode == "int" else self._dtype


# ---------------------------------------------------------------------- quantile summary
# A summary is a 2-row array: sorted sample values and the weight (number of data points)
# each stands for.


def _empty_summary() -> np.ndarray:
    return np.zeros((2, 0), dtype="float32")


def _summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    """Every ``step``-th sorted value, each weighing ``step`` points."""
    ordered = np.sort(values.reshape(-1))
    step = max(ordered.size * epsilon, 1)
    samples = ordered[int(step - 1) :: int(step)]
    return np.stack([samples, np.full_like(samples, step)])


def _merge(first: np.ndarray, second: np.ndarray, epsilon: float) -> np.ndarray:
    merged = np.concatenate((first, second), axis=1)
    merged = merged[:, np.argsort(merged[0])]
    return _compress(merged, epsilon)


def _compress(summary: np.ndarray, epsilon: float) -> np.ndarray:
    """Resample the summary at the ``epsilon`` quantiles (if it has more points than that)."""
    if summary.shape[1] * epsilon < 1:
        return summary
    targets = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    fractions = cumulative / cumulative[-1]
    values = np.interp(targets, fractions, summary[0])
    weights_so_far = np.interp(targets, fractions, cumulative)
    weights = np.diff(weights_so_far, prepend=0.0)
    return np.stack((values, weights)).astype("float32")


def _float_list(values: Any) -> list[float]:
    if torch.is_tensor(values):
        values = values.detach().cpu().numpy()
    return [float(v) for v in np.asarray(values, dtype=np.float64).reshape(-1)]
