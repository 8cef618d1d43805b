import keras
import numpy as np
import pytest

import aezoo
from aezoo.diagnostics import VanishingGradientMonitor
from aezoo.diagnostics import vanishing_gradients
from tests.diagnostics.events import read_events


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_as_posted_mlp_vanishes_default_does_not(signal, seed):
    keras.utils.set_random_seed(seed)
    x = signal[:256]
    posted = vanishing_gradients(aezoo.build("mlp_autoencoder", "as_posted"), x, x)
    assert not posted.ok
    assert posted["first_layer_ratio"] < 1e-4
    assert posted.message.startswith(
        "Vanishing gradients: the loss gradient reaching the first layer 'hidden1'"
    )
    assert posted.details["layers"] == ["hidden1", "hidden2", "output"]
    assert posted["layer_ratio/output"] == 1.0

    default = vanishing_gradients(aezoo.build("mlp_autoencoder"), x, x)
    assert default.ok
    assert default["first_layer_ratio"] > 0.1
    # The weight gradients tell the same story less sharply (MODELS.md:
    # first-layer gradient spread 2.4e-6 posted vs 1.2e-3).
    assert posted.details["weight_gradient_rms"]["hidden1/kernel"] < 1e-4
    assert default.details["weight_gradient_rms"]["hidden1/kernel"] > 1e-2


def test_monitor_during_fit(signal, tmp_path):
    model = aezoo.build("mlp_autoencoder", "as_posted")
    monitor = VanishingGradientMonitor(
        signal[:256], signal[:256], log_dir=str(tmp_path), verbose=0
    )
    model.fit(signal, signal, batch_size=128, epochs=2, verbose=0, callbacks=[monitor])
    assert [epoch for epoch, _ in monitor.history] == [0, 1]
    assert not monitor.verdict.ok
    events = read_events(str(tmp_path))
    assert [step for step, _ in events["vanishing_gradients/first_layer_ratio"]] == [8, 16]
    for layer in ("hidden1", "hidden2", "output"):
        assert f"vanishing_gradients/layer_ratio/{layer}" in events


def test_softmax_classifier_and_restored_state():
    # Keras' cross-entropy reads the logits behind a softmax output; the
    # check must still see the gradient at that output. BatchNorm statistics
    # must not change.
    inputs = keras.Input((6,))
    x = keras.layers.Dense(16, activation="relu", name="dense")(inputs)
    x = keras.layers.BatchNormalization(name="norm")(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="classes")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 6)).astype("float32"), rng.integers(0, 3, 64)
    state = [v.numpy() for v in model.non_trainable_variables]
    verdict = vanishing_gradients(model, x, y)
    assert verdict.details["layers"] == ["dense", "norm", "classes"]
    assert verdict.ok and verdict["last_layer_gradient"] > 0
    for before, variable in zip(state, model.non_trainable_variables):
        np.testing.assert_array_equal(before, variable.numpy())
