import json

import keras
import numpy as np
import pytest

from aezoo.layers import KLSparsity
from tests.backend_marks import tensorflow_only


def kl(p, q):
    return p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))


def test_value_is_weight_times_sum_of_kl_of_batch_means():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.01, 0.99, (16, 5)).astype("float32")
    rho_hat = x.astype("float64").mean(axis=0)
    expected = 3.0 * kl(0.1, rho_hat).sum()
    # Called directly, the value is scaled by the batch size, because Keras
    # divides activity penalties by it; the loss a layer records is exact.
    np.testing.assert_allclose(float(KLSparsity(0.1, 3.0)(x)), 16 * expected, rtol=1e-5)
    layer = keras.layers.Activation("linear", activity_regularizer=KLSparsity(0.1, 3.0))
    layer(x)
    np.testing.assert_allclose(float(layer.losses[0]), expected, rtol=1e-5)


def test_is_zero_when_every_unit_averages_rho_even_if_no_sample_does():
    # Half the samples fully on, half off: each unit's mean is 0.5.
    x = np.array([[0.999, 0.999], [0.001, 0.001]] * 4, "float32")
    assert float(KLSparsity(0.5, 1.0)(x)) == pytest.approx(0.0, abs=1e-5)
    # The posted per-sample form penalizes exactly that case heavily.
    assert float(KLSparsity(0.5, 1.0, per_sample=True)(x)) > 1.0


def test_per_sample_is_the_posted_mean_over_every_activation():
    rng = np.random.default_rng(1)
    x = rng.uniform(0.01, 0.99, (8, 6)).astype("float32")
    expected = 10.0 * kl(0.1, x.astype("float64")).mean()
    layer = keras.layers.Activation(
        "linear", activity_regularizer=KLSparsity(0.1, 10.0, per_sample=True)
    )
    layer(x)
    np.testing.assert_allclose(float(layer.losses[0]), expected, rtol=1e-5)


def test_clipping_keeps_saturated_units_finite():
    x = np.array([[0.0, 1.0], [0.0, 1.0]], "float32")
    assert np.isfinite(float(KLSparsity(0.1, 1.0)(x)))
    assert np.isfinite(float(KLSparsity(0.1, 1.0, per_sample=True)(x)))


@tensorflow_only
def test_gradient_pushes_unit_means_toward_rho():
    import tensorflow as tf

    x = tf.Variable(np.full((4, 2), [0.5, 0.05], "float32"))
    with tf.GradientTape() as tape:
        value = KLSparsity(0.1, 1.0)(x)
    grad = tape.gradient(value, x).numpy()
    assert (grad[:, 0] > 0).all()  # mean above rho: push down
    assert (grad[:, 1] < 0).all()  # mean below rho: push up


def test_config_round_trip_and_python_floats():
    reg = KLSparsity(rho=0.2, weight=4, per_sample=True, epsilon=1e-6)
    config = reg.get_config()
    assert config == {"rho": 0.2, "weight": 4.0, "per_sample": True, "epsilon": 1e-6}
    assert all(type(config[k]) is float for k in ("rho", "weight", "epsilon"))
    json.dumps(config)
    restored = keras.regularizers.deserialize(
        json.loads(json.dumps(keras.regularizers.serialize(reg)))
    )
    assert isinstance(restored, KLSparsity)
    assert restored.get_config() == config


def test_survives_model_save_and_load(tmp_path):
    inputs = keras.Input((3,))
    outputs = keras.layers.Dense(
        4, activation="sigmoid", activity_regularizer=KLSparsity(0.05, 2.0)
    )(inputs)
    model = keras.Model(inputs, outputs)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    reg = loaded.layers[1].activity_regularizer
    assert isinstance(reg, KLSparsity) and reg.rho == 0.05 and reg.weight == 2.0


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"rho": 0.0}, "Received: rho=0.0"),
        ({"rho": 1.0}, "Received: rho=1.0"),
        ({"rho": float("nan")}, "Received: rho=nan"),
        ({"weight": -1.0}, "Received: weight=-1.0"),
        ({"weight": "big"}, "Received: weight='big'"),
        ({"epsilon": 0.7}, "Received: epsilon=0.7"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        KLSparsity(**kwargs)
