"""The registered losses of `aezoo.losses`: values, validation, round trip."""

import keras
import numpy as np
import pytest

from aezoo.losses import L1L2Error
from aezoo.losses import L2SSIMError
from aezoo.losses import ssim


def test_l1_l2_error_is_squared_plus_weighted_absolute_error():
    y_true = np.array([[0.0, 1.0, 0.5, 0.2]], "float32")
    y_pred = np.array([[0.1, 0.7, 0.5, 0.6]], "float32")
    error = y_pred - y_true
    expected = np.mean(error**2) + 0.5 * np.mean(np.abs(error))
    assert float(L1L2Error(l1_weight=0.5)(y_true, y_pred)) == pytest.approx(expected, rel=1e-6)


def test_l1_l2_error_costs_a_faint_haze_far_more_than_squared_error():
    # The reason for the loss: a 0.05 haze over a black frame.
    y_true = np.zeros((1, 64), "float32")
    y_pred = np.full((1, 64), 0.05, "float32")
    mse = float(keras.losses.MeanSquaredError()(y_true, y_pred))
    assert float(L1L2Error()(y_true, y_pred)) > 20 * mse


@pytest.mark.parametrize("weight", [-1.0, float("nan"), float("inf")])
def test_l1_l2_error_refuses_a_bad_weight(weight):
    with pytest.raises(ValueError, match="l1_weight"):
        L1L2Error(l1_weight=weight)


def test_l1_l2_error_round_trips_through_its_config():
    loss = L1L2Error(l1_weight=0.25, name="sharp")
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(restored, L1L2Error)
    assert (restored.l1_weight, restored.name) == (0.25, "sharp")


def _videos(seed=0):
    rng = np.random.default_rng(seed)
    truth = rng.random((2, 3, 24, 24, 1)).astype("float32")
    prediction = np.clip(truth + 0.2 * rng.normal(size=truth.shape), 0, 1).astype("float32")
    prediction[0, 0] = 0.0  # a black frame, where SSIM's constants matter
    return truth, prediction


def test_ssim_is_tf_image_ssim_on_every_frame():
    import tensorflow as tf

    truth, prediction = _videos()
    expected = tf.image.ssim(truth, prediction, max_val=1.0).numpy()
    np.testing.assert_allclose(np.asarray(ssim(truth, prediction)), expected, atol=1e-5)
    assert expected.shape == (2, 3) and expected.min() < 0.5  # not a trivial case


def test_l2_ssim_error_is_mse_plus_weighted_dissimilarity_per_example():
    import tensorflow as tf

    truth, prediction = _videos(1)
    per_example = np.mean((prediction - truth) ** 2, axis=(1, 2, 3, 4)) + 0.3 * (
        1 - tf.image.ssim(truth, prediction, max_val=1.0).numpy().mean(axis=1)
    )
    loss = L2SSIMError(ssim_weight=0.3)
    assert float(loss(truth, prediction)) == pytest.approx(per_example.mean(), rel=1e-5)


def test_l2_ssim_error_costs_a_faint_haze_far_more_than_squared_error():
    y_true = np.zeros((1, 16, 16, 1), "float32")
    y_pred = np.full((1, 16, 16, 1), 0.05, "float32")
    mse = float(keras.losses.MeanSquaredError()(y_true, y_pred))
    assert float(L2SSIMError(ssim_weight=0.1)(y_true, y_pred)) > 20 * mse


@pytest.mark.parametrize("weight", [-0.5, float("nan")])
def test_l2_ssim_error_refuses_a_bad_weight(weight):
    with pytest.raises(ValueError, match="ssim_weight"):
        L2SSIMError(ssim_weight=weight)


def test_l2_ssim_error_round_trips_through_its_config():
    restored = keras.losses.deserialize(keras.losses.serialize(L2SSIMError(ssim_weight=0.02)))
    assert isinstance(restored, L2SSIMError) and restored.ssim_weight == 0.02
