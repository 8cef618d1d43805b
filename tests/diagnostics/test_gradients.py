import keras
import numpy as np
import pytest

import aezoo
from aezoo.diagnostics import GradientStatistics
from tests.diagnostics.events import read_events


class WeightSnapshots(keras.callbacks.Callback):
    """The trainable weights before and after every batch."""

    def on_train_begin(self, logs=None):
        self.before, self.after = [], []

    def on_train_batch_begin(self, batch, logs=None):
        self.before.append([v.numpy() for v in self.model.trainable_variables])

    def on_train_batch_end(self, batch, logs=None):
        self.after.append([v.numpy() for v in self.model.trainable_variables])


def sgd_mlp(learning_rate=0.1, **compile_options):
    model = aezoo.build("mlp_autoencoder")
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate), loss="mean_squared_error", **compile_options
    )
    return model


@pytest.mark.parametrize("jit_compile", [False, True])
def test_records_the_gradients_that_fit_applies(signal, jit_compile):
    # Plain SGD moves each weight by -lr * gradient: the recorded gradient
    # norms must equal |weight change| / lr, step by step.
    model = sgd_mlp(0.1, jit_compile=jit_compile)
    stats = GradientStatistics(histogram_freq=0, verbose=0)
    snapshots = WeightSnapshots()
    model.fit(signal[:256], signal[:256], batch_size=64, epochs=2, shuffle=False, verbose=0,
              callbacks=[stats, snapshots])

    assert stats.steps == list(range(8))
    assert stats.variable_paths == [v.path for v in model.trainable_variables]
    for step, (before, after) in enumerate(zip(snapshots.before, snapshots.after)):
        moved = [np.linalg.norm(b - a) / 0.1 for b, a in zip(before, after)]
        np.testing.assert_allclose(stats.variable_norms[step], moved, rtol=1e-3, atol=1e-7)
        assert stats.global_norms[step] == pytest.approx(np.linalg.norm(moved), rel=1e-3)
    # The recorded loss is the step's own loss, before the update.
    first_batch = keras.losses.MeanSquaredError()(
        signal[:64], _predict_with(model, snapshots.before[0], signal[:64])
    )
    assert stats.losses[0] == pytest.approx(float(first_batch), rel=1e-4)


def _predict_with(model, weights, x):
    current = [v.numpy() for v in model.trainable_variables]
    for variable, value in zip(model.trainable_variables, weights):
        variable.assign(value)
    prediction = model.predict(x, verbose=0)
    for variable, value in zip(model.trainable_variables, current):
        variable.assign(value)
    return prediction


def test_every_step_of_a_multi_step_execution(signal):
    model = sgd_mlp(0.05, steps_per_execution=3)
    stats = GradientStatistics(histogram_freq=0, verbose=0)
    history = model.fit(signal[:256], signal[:256], batch_size=32, epochs=1, shuffle=False,
                        verbose=0, callbacks=[stats])
    assert stats.steps == list(range(8))
    assert all(np.isfinite(stats.global_norms)) and all(n > 0 for n in stats.global_norms)
    # Keras logs the epoch's mean loss: the mean of the recorded step losses.
    assert np.mean(stats.losses) == pytest.approx(history.history["loss"][0], rel=1e-4)


def test_tensorboard_tags_and_verdict(signal, tmp_path):
    model = sgd_mlp(0.05)
    stats = GradientStatistics(log_dir=str(tmp_path), histogram_freq=4, verbose=0)
    model.fit(signal[:256], signal[:256], batch_size=32, epochs=1, verbose=0, callbacks=[stats])

    events = read_events(str(tmp_path))
    assert [step for step, _ in events["gradients/global_norm"]] == list(range(8))
    np.testing.assert_allclose(
        [value for _, value in events["gradients/global_norm"]], stats.global_norms, rtol=1e-6
    )
    for path in ("hidden1/kernel", "output/bias"):
        assert [step for step, _ in events[f"gradient_norms/{path}"]] == [0, 4]
        assert [step for step, _ in events[f"gradient_histograms/{path}"]] == [0, 4]
    assert "gradients/clipping_active" not in events  # this optimizer does not clip
    assert "gradient_statistics/verdict" in events
    assert stats.verdict.ok
    assert stats.verdict["steps"] == 8
    assert "no gradient clipping" in stats.verdict.message


def test_reports_pre_clip_norms_and_clipping_activity(signal):
    model = aezoo.build("mlp_autoencoder")
    model.compile(optimizer=keras.optimizers.SGD(0.01, global_clipnorm=1e-3), loss="mse")
    stats = GradientStatistics(histogram_freq=0, verbose=0)
    model.fit(signal[:128], signal[:128], batch_size=32, epochs=1, verbose=0, callbacks=[stats])
    assert stats.clipping == ("global_clipnorm", 1e-3)
    assert min(stats.global_norms) > 1e-3  # before clipping
    assert stats.clipping_active == [True] * 4
    assert stats.verdict["clipped_fraction"] == 1.0
    assert "clipping (global_clipnorm=0.001) active on 100% of steps" in stats.verdict.message


def test_hook_removed_and_model_saves(signal, tmp_path):
    model = sgd_mlp(0.05)
    stats = GradientStatistics(histogram_freq=2, verbose=0)
    checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "during.keras"))
    model.fit(signal[:128], signal[:128], batch_size=32, epochs=2, verbose=0,
              callbacks=[stats, checkpoint])
    assert "apply" not in vars(model.optimizer)
    assert "scale_loss" not in vars(model.optimizer)

    model.save(tmp_path / "after.keras")
    for name in ("during.keras", "after.keras"):
        loaded = keras.saving.load_model(tmp_path / name)
        assert type(loaded.optimizer) is keras.optimizers.SGD
        np.testing.assert_allclose(loaded.predict(signal[:8], verbose=0),
                                   model.predict(signal[:8], verbose=0), rtol=1e-5)

    # Another fit without the callback runs a freshly traced step; another
    # one with it continues the record.
    model.fit(signal[:128], signal[:128], batch_size=32, epochs=1, verbose=0)
    assert len(stats.steps) == 8
    model.fit(signal[:128], signal[:128], batch_size=32, epochs=1, verbose=0, callbacks=[stats])
    assert stats.steps == list(range(8)) + list(range(12, 16))


def test_flags_non_finite_gradients(signal):
    model = aezoo.build("mlp_autoencoder")
    model.compile(optimizer=keras.optimizers.SGD(1e3), loss="mse")
    stats = GradientStatistics(histogram_freq=0, verbose=0)
    model.fit(signal, signal * 1e3, batch_size=32, epochs=1, verbose=0, callbacks=[stats])
    verdict = stats.verdict
    assert not verdict.ok
    assert verdict["non_finite_count"] > 0
    assert verdict.message.startswith("Non-finite gradients at ")


def test_survives_a_fit_that_did_not_end(signal):
    model = sgd_mlp(0.05)
    stats = GradientStatistics(histogram_freq=1, verbose=0)
    stats.set_model(model)
    model.fit(signal[:64], signal[:64], batch_size=32, epochs=1, verbose=0)  # build, trace
    stats.on_train_begin()  # as if a fit() had been interrupted
    model.fit(signal[:64], signal[:64], batch_size=32, epochs=1, verbose=0, callbacks=[stats])
    assert stats.steps == [2, 3]
    assert "apply" not in vars(model.optimizer)
    model.fit(signal[:64], signal[:64], batch_size=32, epochs=1, verbose=0)
    assert stats.steps == [2, 3]


def test_needs_a_compiled_model():
    import keras

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    stats = GradientStatistics()
    stats.set_model(model)
    with pytest.raises(ValueError, match="compiled model"):
        stats.on_train_begin()
