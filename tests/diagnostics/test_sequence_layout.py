import keras
import numpy as np
import pytest

import aezoo
from aezoo.diagnostics import sequence_layout
from tests.diagnostics.events import read_events


def bit_pairs(count, steps, seed):
    """Random bits; class = 2 * previous + current; step 0 (no previous) weighted 0."""
    bits = np.random.default_rng(seed).integers(0, 2, (count, steps))
    previous = np.pad(bits[:, :-1], ((0, 0), (1, 0)))
    weights = np.ones(bits.shape, "float32")
    weights[:, 0] = 0
    return bits[..., None].astype("float32"), (2 * previous + bits).astype("int32"), weights


def trained(preset, steps):
    # Adam 1e-2 for both, so that the time-major model reaches its plateau
    # (the current bit) as fast as the batch-major one reaches 100%.
    model = aezoo.build(
        "lstm_sequence_classifier",
        preset,
        sequence_length=steps,
        optimizer="adam",
        learning_rate=1e-2,
    )
    x, y, w = bit_pairs(4096, steps, seed=0)
    model.fit(x, y, sample_weight=w, batch_size=64, epochs=1, verbose=0)
    return model


@pytest.mark.slow
def test_time_major_model_uses_no_history(tmp_path):
    x, y, w = bit_pairs(2048, 2, seed=1)
    verdict = sequence_layout(trained("as_posted", 2), x, y, w, log_dir=str(tmp_path))
    assert not verdict.ok
    assert verdict["current_step_accuracy"] == pytest.approx(0.5, abs=0.03)
    assert verdict["model_accuracy"] == pytest.approx(0.5, abs=0.05)
    assert verdict["history_gain"] < 0.1
    assert verdict["distinct_inputs"] == 2 and verdict["steps"] == 2048
    assert verdict.message.startswith("The model uses no history")
    assert "batch-major (batch, time, features)" in verdict.message
    events = read_events(str(tmp_path))
    for tag in ("model_accuracy", "history_gain", "verdict"):
        assert f"sequence_layout/{tag}" in events


@pytest.mark.slow
def test_batch_major_model_uses_history():
    x, y, w = bit_pairs(512, 20, seed=1)
    verdict = sequence_layout(trained("default", 20), x, y, w)
    assert verdict.ok, verdict.message
    assert verdict["model_accuracy"] > 0.99
    assert verdict["current_step_accuracy"] == pytest.approx(0.5, abs=0.03)
    assert verdict["history_gain"] > 0.95


def test_not_applicable_without_discrete_history_dependent_labels():
    model = aezoo.build("lstm_sequence_classifier", sequence_length=5)
    x, y, w = bit_pairs(64, 5, seed=2)
    current_only = sequence_layout(model, x, (x[..., 0] > 0.5).astype("int32"), w)
    assert current_only.ok and current_only["applicable"] is False
    assert "needs no history" in current_only.message
    continuous = np.random.default_rng(0).random((64, 5, 1)).astype("float32")
    verdict = sequence_layout(model, continuous, y, w)
    assert verdict.ok and verdict["applicable"] is False
    with pytest.raises(ValueError, match=r"labels \(batch, time\)"):
        sequence_layout(model, x, y[:, 0], w)
    last_step_only = keras.Sequential(
        [keras.Input((5, 1)), keras.layers.LSTM(4), keras.layers.Dense(4, activation="softmax")]
    )
    with pytest.raises(ValueError, match="one class per step"):
        sequence_layout(last_step_only, x, y, w)
