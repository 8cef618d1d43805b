"""The registered losses of `aezoo.losses`: values, validation, round trip."""

import keras
import numpy as np
import pytest

from aezoo.losses import L1L2Error


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
