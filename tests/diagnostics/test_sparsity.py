import keras
import numpy as np
import pytest

import aezoo
from aezoo.diagnostics import SparsityMonitor
from aezoo.diagnostics import activation_sparsity
from tests.diagnostics.events import read_events


@pytest.fixture(scope="module")
def pixels(mnist_images):
    flat = mnist_images.reshape(-1, 784)
    return flat[:1536], flat[1536:]


@pytest.mark.slow
def test_batch_mean_kl_is_sparse(pixels, tmp_path):
    train, test = pixels
    model = aezoo.build("sparse_autoencoder")
    monitor = SparsityMonitor(test, freq=10, log_dir=str(tmp_path), verbose=0)
    model.fit(train, train, batch_size=64, epochs=30, verbose=0, callbacks=[monitor])
    verdict = monitor.verdict
    assert verdict.ok, verdict.message
    assert verdict["rho"] == 0.1  # read from the layer's KLSparsity
    assert abs(verdict["mean_activation"] - 0.1) < 0.02
    assert verdict["fraction_units_near_rho"] > 0.95
    assert verdict["units"] == 200
    events = read_events(str(tmp_path))
    assert [step for step, _ in events["sparsity/mean_activation"]] == [240, 480, 720]
    for tag in ("unit_means", "min_unit_mean", "fraction_units_near_rho"):
        assert f"sparsity/{tag}" in events


@pytest.mark.slow
def test_per_sample_kl_is_not_sparse(pixels):
    # The posted model, trained with Adam so that it does not diverge: with
    # the per-sample KL the units stay far above rho, as without any penalty
    # (MODELS.md: 0.46).
    train, test = pixels
    model = aezoo.build("sparse_autoencoder", "as_posted", optimizer="adam", learning_rate=1e-3)
    model.fit(train, train, batch_size=64, epochs=10, verbose=0)
    verdict = activation_sparsity(model, test)
    assert not verdict.ok
    assert verdict["mean_activation"] > 0.4
    assert verdict["fraction_units_near_rho"] < 0.1
    assert verdict.message.startswith("Not sparse as intended")


def test_as_posted_sgd_kills_the_units(pixels):
    # SGD 0.01 on the batch-summed cost diverges: every unit ends up off.
    train, test = pixels
    model = aezoo.build("sparse_autoencoder", "as_posted")
    model.fit(train, train, batch_size=64, epochs=3, verbose=0)
    verdict = activation_sparsity(model, test)
    assert not verdict.ok
    assert verdict["max_unit_mean"] < 0.01


def test_layer_and_rho_lookup():
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(
        10, activation="sigmoid", bias_initializer=keras.initializers.Constant(-2.2), name="h"
    )(inputs)
    model = keras.Model(inputs, keras.layers.Dense(4)(hidden))
    x = np.zeros((32, 4), "float32")  # every unit at sigmoid(-2.2) = 0.0998
    with pytest.raises(ValueError, match="pass `layer_name` and `rho`"):
        activation_sparsity(model, x)
    with pytest.raises(ValueError, match="pass `rho`"):
        activation_sparsity(model, x, layer_name="h")
    verdict = activation_sparsity(model, x, layer_name="h", rho=0.1)
    assert verdict.ok and verdict["fraction_units_near_rho"] == 1.0
    assert activation_sparsity(model, x, layer_name="h", rho=0.05, unit_factor=1.5).numbers[
        "fraction_units_near_rho"
    ] == 0.0


@pytest.mark.parametrize("per_sample", [False, True])
def test_only_a_per_sample_penalty_is_blamed(per_sample):
    from aezoo.layers import KLSparsity

    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(
        10, activation="sigmoid", kernel_initializer="zeros", name="h",
        activity_regularizer=KLSparsity(rho=0.05, weight=0.01, per_sample=per_sample),
    )(inputs)
    model = keras.Model(inputs, keras.layers.Dense(4)(hidden))
    model.compile(optimizer="adam", loss="mse")
    x = np.zeros((32, 4), "float32")  # every unit at sigmoid(0) = 0.5, far above rho
    model.fit(x, x, batch_size=8, epochs=1, verbose=0)
    verdict = activation_sparsity(model, x)
    assert not verdict.ok
    if per_sample:
        assert "per_sample=True, the posted mistake" in verdict.message
    else:
        assert verdict.message.startswith("Not yet sparse after 4 training steps")
        assert "per_sample" not in verdict.message
        assert "train longer, or raise the penalty's weight" in verdict.message
