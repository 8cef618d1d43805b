"""`KLSparsity`: the KL sparsity penalty of sparse autoencoders."""

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="aezoo")
class KLSparsity(keras.regularizers.Regularizer):
    """KL sparsity penalty on a layer's activations (an activity regularizer).

    `weight * sum_j KL(rho || rho_hat_j)` where `rho_hat_j` is the mean
    activation of unit `j` **over the batch** and
    `KL(p || q) = p log(p / q) + (1 - p) log((1 - p) / (1 - q))`. Activations
    must lie in (0, 1) (a sigmoid layer); `rho_hat` is clipped to
    `[epsilon, 1 - epsilon]` so the logarithms stay finite.

    Keras 3 divides every activity-regularization loss by the batch size
    (`Layer.__call__`). This penalty is already a batch statistic, so `__call__`
    multiplies by the batch size: the loss that reaches the optimizer is
    exactly `weight * sum_j KL(rho || rho_hat_j)`.

    `per_sample=True` reproduces the seed-003 mistake: KL is taken between
    rho and every single activation and averaged over samples and units, which
    pushes each activation toward rho instead of making units rarely active.
    It exists so the posted failure can be reproduced; do not use it.

    Args:
        rho: float in (0, 1), the target mean activation. Defaults to 0.05.
        weight: float >= 0, the penalty's weight (beta). Defaults to 1.0.
        per_sample: bool, the posted (wrong) formulation. Defaults to False.
        epsilon: float in (0, 0.5), clipping of `rho_hat`. Defaults to 1e-7.

    Call arguments:
        x: activations, `(batch, units)` or `(batch, ..., units)`; every axis
            but the last is averaged over.

    Example:

    >>> layer = keras.layers.Dense(
    ...     200, activation="sigmoid",
    ...     activity_regularizer=KLSparsity(rho=0.1, weight=3.0))

    References:
        - Ng, "Sparse autoencoder", CS294A lecture notes (2011).
    """

    def __init__(self, rho=0.05, weight=1.0, per_sample=False, epsilon=1e-7):
        rho = _finite_float("rho", rho)
        if not 0.0 < rho < 1.0:
            raise ValueError(f"`rho` must be in (0, 1). Received: rho={rho}")
        weight = _finite_float("weight", weight)
        if weight < 0.0:
            raise ValueError(f"`weight` must be >= 0. Received: weight={weight}")
        epsilon = _finite_float("epsilon", epsilon)
        if not 0.0 < epsilon < 0.5:
            raise ValueError(
                f"`epsilon` must be in (0, 0.5). Received: epsilon={epsilon}"
            )
        self.rho = rho
        self.weight = weight
        self.per_sample = bool(per_sample)
        self.epsilon = epsilon

    def __call__(self, x):
        x = ops.convert_to_tensor(x)
        batch = ops.cast(ops.shape(x)[0], x.dtype)
        units = ops.reshape(x, (-1, ops.shape(x)[-1]))
        rho = ops.cast(self.rho, x.dtype)
        if self.per_sample:
            q = ops.clip(units, self.epsilon, 1.0 - self.epsilon)
            penalty = ops.mean(_kl(rho, q))
        else:
            q = ops.clip(ops.mean(units, axis=0), self.epsilon, 1.0 - self.epsilon)
            penalty = ops.sum(_kl(rho, q))
        return ops.cast(self.weight, x.dtype) * penalty * batch

    def get_config(self):
        return {
            "rho": float(self.rho),
            "weight": float(self.weight),
            "per_sample": bool(self.per_sample),
            "epsilon": float(self.epsilon),
        }


def _kl(p, q):
    return p * ops.log(p / q) + (1.0 - p) * ops.log((1.0 - p) / (1.0 - q))


def _finite_float(name, value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be a number. Received: {name}={value!r}")
    if not math.isfinite(value):
        raise ValueError(f"`{name}` must be finite. Received: {name}={value}")
    return value
