"""Callbacks of ``fit``, ``evaluate`` and ``predict``, with Keras 3's names and behaviour.

Each callback lives in its own module; this package re-exports the public classes, so
``keras.callbacks.EarlyStopping`` reads the same after ``import torchseq as keras``.
"""

from typing import Any

from torchseq._excluded import missing_attribute
from torchseq.callbacks.backup_and_restore import BackupAndRestore
from torchseq.callbacks.callback import Callback
from torchseq.callbacks.callback_list import CallbackList
from torchseq.callbacks.csv_logger import CSVLogger
from torchseq.callbacks.early_stopping import EarlyStopping
from torchseq.callbacks.history import History
from torchseq.callbacks.lambda_callback import LambdaCallback
from torchseq.callbacks.learning_rate_scheduler import LearningRateScheduler
from torchseq.callbacks.model_checkpoint import ModelCheckpoint
from torchseq.callbacks.progbar_logger import ProgbarLogger
from torchseq.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from torchseq.callbacks.remote_monitor import RemoteMonitor
from torchseq.callbacks.swap_ema_weights import SwapEMAWeights
from torchseq.callbacks.tensorboard import TensorBoard
from torchseq.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "RemoteMonitor",
    "SwapEMAWeights",
    "TensorBoard",
    "TerminateOnNaN",
]


def __getattr__(name: str) -> Any:
    raise missing_attribute(__name__, name)
