"""Each workaround in `aezoo.keras_workarounds` against the upstream
behaviour it relies on: these tests fail when a Keras or TensorFlow upgrade
fixes or changes that behaviour, so the workaround is revisited (and the
pins in pyproject.toml moved) rather than silently wrong."""

import contextlib
import inspect
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from aezoo import keras_workarounds


def _model(strategy=None):
    with strategy.scope() if strategy else contextlib.nullcontext():
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def _batch(rows=4):
    return np.ones((rows, 3), "float32"), np.zeros((rows, 2), "float32")


def _dataset(rows=8):
    return tf.data.Dataset.from_tensor_slices(_batch(rows)).batch(4)


def _record_symbolic_builds(model, monkeypatch):
    """The batches Keras' `fit` draws for its symbolic build."""
    drawn = []
    build = model._symbolic_build

    def recording_build(iterator=None, data_batch=None):
        drawn.append(data_batch)
        return build(iterator=iterator, data_batch=data_batch)

    monkeypatch.setattr(model, "_symbolic_build", recording_build)
    return drawn


def test_fit_under_a_strategy_still_draws_a_batch_for_a_symbolic_build(monkeypatch):
    # keras-team/keras#20585: what fit_under_strategy avoids.
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    model = _model(strategy)
    assert model._distribute_strategy is strategy
    drawn = _record_symbolic_builds(model, monkeypatch)
    model.fit(_dataset(), epochs=1, shuffle=False, verbose=0)
    assert len(drawn) == 1 and drawn[0] is not None


def test_fit_under_strategy_skips_the_symbolic_build_and_restores_the_model(monkeypatch):
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    model = _model(strategy)
    drawn = _record_symbolic_builds(model, monkeypatch)
    with keras_workarounds.fit_under_strategy(model, strategy, _batch()):
        assert model._distribute_strategy is None
        history = model.fit(_dataset(), epochs=1, validation_data=_dataset(), shuffle=False, verbose=0).history
    assert drawn == []
    assert np.isfinite(history["loss"][0]) and np.isfinite(history["val_loss"][0])
    assert model._distribute_strategy is strategy
    for name in ("make_train_function", "make_test_function", "train_step", "test_step"):
        assert name not in vars(model)
    assert model.train_function is None and model.test_function is None


def test_keras_reduces_multi_worker_logs_along_axis_0_by_the_private_predicate():
    # fit_under_strategy gives the logs a leading axis for this reduction,
    # chosen by the predicate in_multi_worker_mode reads.
    from keras.src.backend.tensorflow import trainer as tf_trainer

    reduce_source = inspect.getsource(tf_trainer.reduce_per_replica)
    assert 'strategy.reduce("MEAN", v, axis=0)' in reduce_source
    predicate_source = inspect.getsource(tf_trainer._collective_all_reduce_multi_worker)
    assert "strategy.extended._in_multi_worker_mode()" in predicate_source
    assert keras_workarounds.in_multi_worker_mode(tf.distribute.MirroredStrategy(["/cpu:0"])) is False


def test_compile_leaves_the_training_state_to_the_first_traced_step():
    # What build_training_state creates eagerly instead
    # (tensorflow/tensorflow#61791).
    model = _model()
    assert not model.optimizer.built
    keras_workarounds.build_training_state(model, _batch())
    assert model.optimizer.built
    assert int(model.optimizer.iterations.numpy()) == 0
    assert all(float(np.sum(v.numpy())) == 0.0 for m in model.metrics for v in m.variables)


def _count_traces(model):
    """`model` whose `train_step` appends to the returned list each time
    TensorFlow traces it."""
    traces, step = [], model.train_step

    def train_step(data):
        traces.append(1)
        return step(data)

    model.train_step = train_step
    return model, traces


def test_fit_traces_its_first_step_twice_unless_the_training_state_is_built():
    # Keras leaves the optimizer's variables to the first traced step, and a
    # tf.function that creates variables is traced again without them.
    plain, plain_traces = _count_traces(_model())
    plain.fit(*_batch(), epochs=2, verbose=0)
    assert len(plain_traces) == 2
    built, built_traces = _count_traces(_model())
    keras_workarounds.build_training_state(built, _batch())
    built.fit(*_batch(), epochs=2, verbose=0)
    assert len(built_traces) == 1
    # Each trained the same steps from the same state.
    assert int(built.optimizer.iterations.numpy()) == int(plain.optimizer.iterations.numpy()) == 2


def test_build_training_state_leaves_a_stateful_layer_as_it_was():
    model = keras.Sequential([keras.Input((2, 3), batch_size=4), keras.layers.LSTM(2, stateful=True)])
    model.compile(optimizer="adam", loss="mse")
    before = [keras.ops.convert_to_numpy(s).copy() for s in model.layers[0].states]
    keras_workarounds.build_training_state(model, (np.ones((4, 2, 3), "float32"), np.ones((4, 2), "float32")))
    after = [keras.ops.convert_to_numpy(s) for s in model.layers[0].states]
    assert all(np.array_equal(b, a) for b, a in zip(before, after))
    assert model.optimizer.built


def test_terminate_on_nan_stops_gracefully_unless_it_raises():
    # keras-team/keras#21771: a graceful stop still runs epoch-end callbacks.
    epoch_ends = []
    record = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: epoch_ends.append(epoch))
    x = np.full((4, 3), np.nan, "float32")
    y = np.zeros((4, 2), "float32")
    model = _model()
    model.fit(x, y, epochs=2, callbacks=[keras.callbacks.TerminateOnNaN(), record], verbose=0)
    assert epoch_ends == [0]
    epoch_ends.clear()
    with pytest.raises(RuntimeError) as error:
        model.fit(x, y, epochs=2, callbacks=[keras_workarounds.stop_on_nan(), record], verbose=0)
    assert keras_workarounds.is_nan_stop(error.value)
    assert epoch_ends == []
    assert not keras_workarounds.is_nan_stop(RuntimeError("another error"))


def test_fit_starts_at_the_private_initial_epoch():
    model = _model()
    assert keras_workarounds.restored_epoch(model) == 0
    backup = keras.callbacks.BackupAndRestore("unused")
    keras_workarounds.resume_at_epoch(model, backup, 2)
    epochs = []
    record = keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: epochs.append(epoch))
    model.fit(*_batch(), epochs=3, callbacks=[record], verbose=0)
    assert epochs == [2]


def test_a_restored_backup_records_epoch_0_until_its_first_epoch_ends(tmp_path):
    # What resume_at_epoch corrects (keras-team/keras#19179).
    backup_dir = str(tmp_path / "backup")
    model = _model()
    model.fit(*_batch(), epochs=2, verbose=0,
              callbacks=[keras.callbacks.BackupAndRestore(backup_dir, delete_checkpoint=False)])
    metadata = tmp_path / "backup" / "training_metadata.json"
    assert json.loads(metadata.read_text())["epoch"] == 2

    resumed = _model()
    resumed(_batch()[0])
    backup = keras.callbacks.BackupAndRestore(backup_dir, delete_checkpoint=False)
    backup.set_model(resumed)
    backup.on_train_begin()
    assert keras_workarounds.restored_epoch(resumed) == 2
    keras_workarounds.save_backup(backup)
    assert json.loads(metadata.read_text())["epoch"] == 0  # the upstream behaviour
    keras_workarounds.resume_at_epoch(resumed, backup, 2)
    keras_workarounds.save_backup(backup)
    assert json.loads(metadata.read_text())["epoch"] == 2
    assert backup._batches_seen_since_last_saving == 0


def test_train_step_reaches_the_optimizer_methods_set_on_the_instance():
    # What GradientStatistics records the gradients and losses through.
    model = _model()
    optimizer = model.optimizer
    calls = {"apply": 0, "scale_loss": 0}
    apply, scale_loss = optimizer.apply, optimizer.scale_loss

    def counting_apply(grads, trainable_variables=None):
        calls["apply"] += 1
        return apply(grads, trainable_variables)

    def counting_scale_loss(loss):
        calls["scale_loss"] += 1
        return scale_loss(loss)

    undo = [
        keras_workarounds.override_method(optimizer, "apply", counting_apply),
        keras_workarounds.override_method(optimizer, "scale_loss", counting_scale_loss),
    ]
    model.fit(*_batch(), epochs=1, verbose=0)
    assert calls["apply"] >= 1 and calls["scale_loss"] >= 1
    for function in reversed(undo):
        function()
    assert "apply" not in vars(optimizer) and "scale_loss" not in vars(optimizer)
    assert type(optimizer).apply is not counting_apply
