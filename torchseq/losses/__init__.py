"""Losses with Keras 3's names, defaults, formulas, sample weights and reductions.

Every loss exists as a class (``MeanSquaredError``), called as
``loss(y_true, y_pred, sample_weight=None)`` and reduced to a scalar, and as a function
(``mean_squared_error``) returning one value per sample. ``get`` resolves names,
classes, config dicts and callables as ``keras.losses.get`` does; ``resolve`` and
``check_target`` are what ``compile`` and ``fit`` use.

Example:
    >>> import torch
    >>> from torchseq import losses
    >>> loss = losses.get("CategoricalCrossentropy")
    >>> loss(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.2, 0.8]]))
    tensor(0.2231)
"""

from torchseq.losses.crossentropy import (
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    sparse_categorical_crossentropy,
)
from torchseq.losses.generalized_crossentropy import (
    CategoricalGeneralizedCrossEntropy,
    categorical_generalized_cross_entropy,
)
from torchseq.losses.hinges import (
    CategoricalHinge,
    Hinge,
    SquaredHinge,
    categorical_hinge,
    hinge,
    squared_hinge,
)
from torchseq.losses.loss import (
    Loss,
    LossFunctionWrapper,
    reduce_weighted_values,
    squeeze_or_expand_to_same_rank,
    standardize_reduction,
)
from torchseq.losses.metric_learning import Circle, circle
from torchseq.losses.probabilistic import KLDivergence, Poisson, kl_divergence, poisson
from torchseq.losses.registry import deserialize, get, resolve, serialize
from torchseq.losses.regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from torchseq.losses.segmentation import Dice, Tversky, dice, tversky
from torchseq.losses.targets import check_target
from torchseq.losses.temporal_classification import CTC, ctc

# Keras 2's short names, still found in older code: ``keras.losses.mse(y_true, y_pred)``.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh

__all__ = [
    "CTC",
    "KLD",
    "MAE",
    "MAPE",
    "MSE",
    "MSLE",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "CategoricalHinge",
    "Circle",
    "CosineSimilarity",
    "Dice",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "Loss",
    "LossFunctionWrapper",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "Tversky",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "categorical_hinge",
    "check_target",
    "circle",
    "cosine_similarity",
    "ctc",
    "deserialize",
    "dice",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "kld",
    "kullback_leibler_divergence",
    "log_cosh",
    "logcosh",
    "mae",
    "mape",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "mse",
    "msle",
    "poisson",
    "reduce_weighted_values",
    "resolve",
    "serialize",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "squeeze_or_expand_to_same_rank",
    "standardize_reduction",
    "tversky",
]
