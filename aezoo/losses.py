"""Registered losses and metrics shared by aezoo's models (Keras only)."""

import keras
import numpy as np
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


def ssim(y_true, y_pred, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03):
    """Structural similarity of each image, in Keras ops (any backend).

    The definition and defaults of `tf.image.ssim` (Wang et al. 2004): local
    means, variances and covariance under a `filter_size` Gaussian window of
    `filter_sigma` ("valid" positions only), averaged over positions and
    channels. Differentiable, so it can be a loss term on JAX as on
    TensorFlow.

    Args:
        y_true: `(..., rows, cols, channels)`, rows and cols at least
            `filter_size`.
        y_pred: the same shape.
        max_val: the dynamic range of the pixels. Defaults to 1.0.
        filter_size, filter_sigma, k1, k2: as `tf.image.ssim`.

    Returns:
        The SSIM of each image: shape `y_true.shape[:-3]`.

    Example:

    >>> frames = np.random.default_rng(0).random((2, 16, 16, 1)).astype("float32")
    >>> np.asarray(ssim(frames, frames)).round(4).tolist()
    [1.0, 1.0]
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    lead = tuple(ops.shape(y_pred)[:-3])  # the batch may be unknown while tracing
    rows, cols, channels = y_pred.shape[-3:]
    x = ops.reshape(y_true, (-1, rows, cols, channels))
    y = ops.reshape(y_pred, (-1, rows, cols, channels))
    axis = np.arange(filter_size, dtype="float64") - (filter_size - 1) / 2
    g = np.exp(-(axis**2) / (2 * filter_sigma**2))
    g = (g / g.sum()).astype("float32")
    # The 2-D window is separable: a column pass, then a row pass.
    column = ops.convert_to_tensor(np.tile(g.reshape(-1, 1, 1, 1), (1, 1, channels, 1)), y.dtype)
    row = ops.convert_to_tensor(np.tile(g.reshape(1, -1, 1, 1), (1, 1, channels, 1)), y.dtype)

    def blur(z):
        z = ops.depthwise_conv(z, column, strides=1, padding="valid")
        return ops.depthwise_conv(z, row, strides=1, padding="valid")

    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x * mu_x
    var_y = blur(y * y) - mu_y * mu_y
    cov = blur(x * y) - mu_x * mu_y
    luminance = (2 * mu_x * mu_y + c1) / (mu_x * mu_x + mu_y * mu_y + c1)
    structure = (2 * cov + c2) / (var_x + var_y + c2)
    values = ops.mean(luminance * structure, axis=(1, 2, 3))
    return ops.reshape(values, lead if lead else ())


@keras.saving.register_keras_serializable(package="aezoo")
class L2SSIMError(keras.losses.Loss):
    """Mean squared error plus `ssim_weight` times (1 - SSIM), per example.

    SSIM (`aezoo.losses.ssim`, `tf.image.ssim`'s definition) compares local
    means, contrasts and structure: a faint haze over a black background
    costs it much more than it costs the squared error, which tolerates
    blurred, hazy predictions. The mix of a pixel loss and an SSIM term is
    Zhao et al. 2017's ("Loss Functions for Image Restoration with Neural
    Networks"). For videos the SSIM is that of each frame, averaged.

    Args:
        ssim_weight: float >= 0, weight of the `1 - SSIM` term. Defaults
            to 0.1.
        reduction: Keras loss reduction. Defaults to
            `"sum_over_batch_size"`.
        name: loss name. Defaults to `"l2_ssim_error"`.

    Example:

    >>> y = np.zeros((1, 16, 16, 1), "float32")
    >>> round(float(L2SSIMError(ssim_weight=0.5)(y, y + 0.5)), 2)  # 0.25 + 0.5 * (1 - 0.0016)
    0.75
    """

    def __init__(self, ssim_weight=0.1, reduction="sum_over_batch_size", name="l2_ssim_error"):
        super().__init__(name=name, reduction=reduction)
        self.ssim_weight = check_float("ssim_weight", ssim_weight)

    def call(self, y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(y_true, y_pred.dtype)
        batch = ops.shape(y_pred)[0]
        squared = ops.mean(ops.reshape(ops.square(y_pred - y_true), (batch, -1)), axis=1)
        similarity = ops.reshape(ssim(y_true, y_pred), (batch, -1))
        return squared + self.ssim_weight * (1.0 - ops.mean(similarity, axis=1))

    def get_config(self):
        return {"ssim_weight": self.ssim_weight, "reduction": self.reduction, "name": self.name}


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
