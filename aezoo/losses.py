"""Registered losses and metrics shared by aezoo's models (Keras only)."""

import keras
from keras import ops

from aezoo.validation import check_float


@keras.saving.register_keras_serializable(package="aezoo")
def sum_squared_error(y_true, y_pred):
    """Squared error summed over every axis but the batch axis: `(batch,)`."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    error = ops.square(y_pred - y_true)
    return ops.sum(ops.reshape(error, (ops.shape(error)[0], -1)), axis=1)


@keras.saving.register_keras_serializable(package="aezoo")
def frame_mse(y_true, y_pred):
    """Per-frame MSE of videos `(batch, frames, rows, cols, channels)`.

    The figure the Moving MNIST literature reports: squared error summed over
    the pixels of a frame, averaged over frames. Returns `(batch,)`.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    return ops.mean(ops.sum(ops.square(y_pred - y_true), axis=(2, 3, 4)), axis=1)


@keras.saving.register_keras_serializable(package="aezoo")
class SumSquaredError(keras.losses.Loss):
    """Squared error summed over each example, times `scale`.

    With `reduction="sum"` the batch is summed too: the cost of the seed-000
    and seed-003 posts (`tf.reduce_sum(tf.square(...))`), whose size grows
    with the image, the sequence and the batch.

    Args:
        scale: float, a constant factor (0.5 in the seed-003 post).
            Defaults to 1.0.
        reduction: Keras loss reduction. Defaults to
            `"sum_over_batch_size"` (mean over the batch).
        name: loss name.

    Example:

    >>> float(SumSquaredError()(np.zeros((2, 3)), np.ones((2, 3))))
    3.0
    """

    def __init__(
        self, scale=1.0, reduction="sum_over_batch_size", name="sum_squared_error"
    ):
        super().__init__(name=name, reduction=reduction)
        self.scale = float(scale)

    def call(self, y_true, y_pred):
        return self.scale * sum_squared_error(y_true, y_pred)

    def get_config(self):
        return {"scale": self.scale, "reduction": self.reduction, "name": self.name}


@keras.saving.register_keras_serializable(package="aezoo")
class L1L2Error(keras.losses.Loss):
    """Mean squared plus `l1_weight` times mean absolute error, per example.

    The "L1+L2" loss of the video-prediction literature (SimVP, OpenSTL's
    options). Squared error alone barely penalises a faint haze (an error of
    0.05 costs 0.0025) and so tolerates blurred predictions; the absolute
    term costs the haze linearly and rewards committing to one position.

    Args:
        l1_weight: float >= 0, weight of the absolute term. Defaults to 1.0.
        reduction: Keras loss reduction. Defaults to
            `"sum_over_batch_size"`.
        name: loss name. Defaults to `"l1_l2_error"`.

    Example:

    >>> float(L1L2Error()(np.zeros((1, 2)), np.full((1, 2), 0.5)))
    0.75
    """

    def __init__(self, l1_weight=1.0, reduction="sum_over_batch_size", name="l1_l2_error"):
        super().__init__(name=name, reduction=reduction)
        self.l1_weight = check_float("l1_weight", l1_weight)

    def call(self, y_true, y_pred):
        return keras.losses.mean_squared_error(
            y_true, y_pred
        ) + self.l1_weight * keras.losses.mean_absolute_error(y_true, y_pred)

    def get_config(self):
        return {"l1_weight": self.l1_weight, "reduction": self.reduction, "name": self.name}


@keras.saving.register_keras_serializable(package="aezoo")
class FrameMSE(keras.metrics.MeanMetricWrapper):
    """Mean per-frame MSE of predicted videos (see `frame_mse`).

    Pixels in [0, 1]; 22.4 means about 0.0055 per pixel on 64x64 frames.

    Args:
        name: metric name. Defaults to `"frame_mse"`.
        dtype: metric dtype.
    """

    def __init__(self, name="frame_mse", dtype=None):
        super().__init__(frame_mse, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}
