"""Mixed precision: float32 weights, half-precision computation (``keras.mixed_precision``).

>>> from torchseq import mixed_precision
>>> mixed_precision.set_global_policy("mixed_bfloat16")  # layers made from now on
>>> mixed_precision.global_policy().compute_dtype
'bfloat16'
>>> mixed_precision.set_global_policy("float32")

Layers created under a mixed policy keep float32 weights and run ``call`` under
``torch.autocast``; ``fit`` computes losses in float32 and, for ``"mixed_float16"``,
scales them (``compile`` wraps the optimizer in a :class:`LossScaleOptimizer`). End a model
with ``Activation("softmax", dtype="float32")`` (or any float32 layer) for float32 outputs;
``predict`` returns float32 arrays either way.

A custom ``train_step`` scales the loss itself, as in Keras:
``self.optimizer.scale_loss(loss).backward()``, then
``self.optimizer.apply(gradients, self.trainable_weights)`` unscales the gradients, and
skips the update (halving the scale) when one of them is not finite.
"""

from __future__ import annotations

from typing import Any

from torchseq import config
from torchseq.dtype_policies import DTypePolicy
from torchseq.optimizers.loss_scale_optimizer import LossScaleOptimizer

__all__ = [
    "DTypePolicy",
    "LossScaleOptimizer",
    "Policy",
    "dtype_policy",
    "global_policy",
    "set_dtype_policy",
    "set_global_policy",
]

Policy = DTypePolicy  # Keras 2's name
dtype_policy = config.dtype_policy
set_dtype_policy = config.set_dtype_policy


def global_policy() -> DTypePolicy:
    """The policy layers created without ``dtype`` take (``config.dtype_policy()``)."""
    return config.dtype_policy()


def set_global_policy(policy: Any) -> None:
    """Set the policy for layers created from now on (``config.set_dtype_policy``)."""
    config.set_dtype_policy(policy)
