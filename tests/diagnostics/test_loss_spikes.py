import keras
import numpy as np
import pytest

import aezoo
from aezoo.diagnostics import GradientStatistics
from aezoo.diagnostics import LossSpikeDetector
from aezoo.diagnostics import find_loss_spikes
from aezoo.losses import SumSquaredError
from tests.diagnostics.events import read_events


def noisy(count, level, seed=0):
    return level * (1 + 0.1 * np.random.default_rng(seed).standard_normal(count))


def test_spike_after_gradient_spike():
    losses, norms = noisy(100, 1.0), noisy(100, 2.0, seed=1)
    norms[49] = 40.0  # the gradient blows up one step before the loss
    losses[50:52] = [30.0, 8.0]
    verdict = find_loss_spikes(losses, norms)
    assert not verdict.ok
    assert verdict["spike_count"] == 1
    spike = verdict.details["spikes"][0]
    assert (spike["step"], spike["length"], spike["gradient_step"]) == (50, 2, 49)
    assert spike["loss_ratio"] == pytest.approx(30.0, rel=0.1)
    assert spike["peak_loss_ratio"] == spike["loss_ratio"]
    assert spike["gradient_ratio"] == pytest.approx(20.0, rel=0.1)
    assert verdict["spikes_with_gradient_spike"] == 1
    assert verdict["gradient_spikes_before_loss"] == 1
    assert "exploding gradients" in verdict.message


def test_spike_without_gradient_spike_or_gradients():
    losses, norms = noisy(100, 1.0), noisy(100, 2.0, seed=1)
    losses[70] = 10.0
    verdict = find_loss_spikes(losses, norms, steps=np.arange(100, 200))
    assert verdict["spike_count"] == 1 and verdict.details["spikes"][0]["step"] == 170
    assert verdict["spikes_with_gradient_spike"] == 0
    assert "did not spike" in verdict.message
    verdict = find_loss_spikes(losses)
    assert not verdict.ok and "spikes_with_gradient_spike" not in verdict.numbers
    assert "GradientStatistics" in verdict.message


def test_calm_and_decreasing_losses_have_no_spike():
    losses = noisy(300, 1.0) * np.geomspace(10, 0.1, 300)
    verdict = find_loss_spikes(losses, noisy(300, 1.0, seed=2))
    assert verdict.ok
    assert verdict["max_loss_ratio"] < 1.5
    assert find_loss_spikes([]).ok


def test_non_finite_loss_is_a_spike():
    losses = noisy(40, 1.0)
    losses[30:] = np.nan
    verdict = find_loss_spikes(losses)
    assert verdict["spike_count"] == 1
    assert verdict.details["spikes"][0]["length"] == 10
    assert verdict["max_loss_ratio"] == np.inf


def train(signal, optimizer, loss, callbacks):
    model = aezoo.build("mlp_autoencoder")
    model.compile(optimizer=optimizer, loss=loss)
    model.fit(signal, signal, batch_size=32, epochs=2, shuffle=False, verbose=0,
              callbacks=callbacks)


def test_summed_loss_without_clipping_explodes(signal, tmp_path):
    # The seed-000 recipe on a small model: a batch-summed squared error and
    # no clipping; SGD 0.012 makes every step overshoot.
    stats = GradientStatistics(histogram_freq=0, verbose=0)
    detector = LossSpikeDetector(stats, log_dir=str(tmp_path), verbose=0)
    train(signal, keras.optimizers.SGD(0.012), SumSquaredError(reduction="sum"), [stats, detector])

    verdict = detector.verdict
    assert not verdict.ok
    assert verdict["spike_count"] >= 1
    assert verdict["max_loss_ratio"] > 10
    assert verdict["spikes_with_gradient_spike"] >= 1
    assert verdict.details["spikes"][0]["loss_ratio"] > 10
    assert verdict.details["spikes"][0]["gradient_ratio"] > 3
    assert "exploding gradients" in verdict.message
    assert not stats.verdict.ok  # the gradient norm exploded too

    events = read_events(str(tmp_path))
    assert len(events["loss_spikes/step_loss"]) == 64
    for tag in ("loss_to_running_median", "spike_count", "verdict"):
        assert f"loss_spikes/{tag}" in events


def test_clipping_and_small_learning_rate_give_no_spike(signal):
    stats = GradientStatistics(histogram_freq=0, verbose=0)
    detector = LossSpikeDetector(stats, verbose=0)
    train(
        signal,
        keras.optimizers.SGD(1e-3, global_clipnorm=1.0),
        SumSquaredError(reduction="sum"),
        [stats, detector],
    )
    assert detector.verdict.ok, detector.verdict.message
    assert detector.verdict["max_loss_ratio"] < 2
    assert stats.verdict.ok


def test_standalone_detector_recovers_step_losses(signal):
    # Without GradientStatistics the detector differences Keras' running mean.
    stats = GradientStatistics(histogram_freq=0, verbose=0)
    detector = LossSpikeDetector(verbose=0)
    train(signal, keras.optimizers.SGD(0.05), "mse", [stats, detector])
    assert detector.steps == stats.steps
    np.testing.assert_allclose(detector.losses, stats.losses, rtol=1e-3, atol=1e-6)
    assert "spikes_with_gradient_spike" not in detector.verdict.numbers
