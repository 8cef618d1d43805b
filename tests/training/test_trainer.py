import importlib.util
import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from aezoo import cli
from aezoo import training
from tests.lock_holder import held_elsewhere


def test_recipes_exist_for_every_model_and_preset():
    import aezoo

    for name in aezoo.list_models():
        for preset in aezoo.list_presets(name):
            recipe = training.load_recipe(name, preset)
            assert recipe["model"] == name and recipe["preset"] == preset


def test_overrides_are_typed_and_checked():
    recipe = training.resolve_recipe(
        "conv_autoencoder", overrides=["fit.epochs=3", "model_overrides.code_size=16", "data.batch_size=8"]
    )
    assert recipe["fit"]["epochs"] == 3
    assert recipe["model_overrides"] == {"code_size": 16}
    with pytest.raises(ValueError, match=r"Unknown recipe key 'fit.epoch'. Valid keys here: checkpoint_every_steps, epochs"):
        training.resolve_recipe("conv_autoencoder", overrides=["fit.epoch=3"])
    with pytest.raises(ValueError, match=r"Unknown override\(s\) for model 'conv_autoencoder': code"):
        training.resolve_recipe("conv_autoencoder", overrides=["model_overrides.code=3"])
    with pytest.raises(ValueError, match=r"`fit.epochs` must be an integer >= 1 and <= 1000000000. Received: 0"):
        training.resolve_recipe("conv_autoencoder", overrides=["fit.epochs=0"])
    with pytest.raises(ValueError, match=r"No recipe for model 'conv_autoencoder' with preset 'nope'"):
        training.load_recipe("conv_autoencoder", "nope")


@pytest.mark.slow
def test_train_writes_a_run_folder_and_reaches_the_bar(tmp_path):
    result = training.train("mlp_autoencoder", out=tmp_path / "run", epochs=2, verbose=0)
    assert result.status == "finished"
    run = tmp_path / "run"
    for path in ["recipe.json", "status.json", "history.csv", "checkpoints/last.keras", "checkpoints/best.keras"]:
        assert (run / path).exists(), path
    assert len((run / "history.csv").read_text().strip().splitlines()) == 3
    assert result.history["val_loss"][-1] < 1e-3
    assert list((run / "logs" / "train").glob("events.out.tfevents.*"))


def test_a_different_recipe_in_the_same_folder_is_refused(tmp_path):
    training.train("mlp_autoencoder", out=tmp_path, epochs=1, overrides=["fit.steps_per_epoch=5"], verbose=0)
    with pytest.raises(ValueError, match="holds a run of a different recipe"):
        training.train("mlp_autoencoder", out=tmp_path, epochs=1, overrides=["fit.steps_per_epoch=6"], verbose=0)


def test_nan_stops_training_and_keeps_the_last_good_checkpoint(tmp_path):
    def explode(epoch, logs=None):
        if epoch == 1:
            model.optimizer.learning_rate.assign(1e30)

    callback = keras.callbacks.LambdaCallback(on_epoch_begin=explode)
    model = None

    class Capture(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            nonlocal model
            model = self.model

    result = training.train(
        "mlp_autoencoder", out=tmp_path, epochs=3,
        overrides=["fit.steps_per_epoch=50"], callbacks=[Capture(), callback], verbose=0,
    )
    assert result.status == "stopped_on_nan"
    assert json.loads((tmp_path / "status.json").read_text())["status"] == "stopped_on_nan"
    saved = keras.saving.load_model(tmp_path / "checkpoints" / "last.keras")
    assert all(np.isfinite(w).all() for w in saved.get_weights())
    assert (tmp_path / "backup" / "latest.weights.h5").exists()
    meta = json.loads((tmp_path / "backup" / "training_metadata.json").read_text())
    assert meta["epoch"] == 1  # the backup of the last good epoch, not deleted


@pytest.mark.slow
@pytest.mark.parametrize("backend", [
    # On TensorFlow, `test_a_run_killed_twice_trains_the_epochs_and_steps_of_an_uninterrupted_run`
    # kills the same command (with mid-epoch backups too) twice, and checks more.
    pytest.param("jax", marks=pytest.mark.skipif(
        importlib.util.find_spec("jax") is None, reason="JAX is in the dev extra")),
])
def test_a_killed_run_resumes_where_it_stopped(tmp_path, backend):
    command = [
        sys.executable, "-m", "aezoo.cli", "train", "mlp_autoencoder", "--out", str(tmp_path),
        "--epochs", "6", "--set", "fit.steps_per_epoch=200", "--set", "fit.validation_steps=2",
    ]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "KERAS_BACKEND": backend}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    history = tmp_path / "history.csv"
    deadline = time.time() + 120
    while time.time() < deadline:
        if history.exists() and len(history.read_text().strip().splitlines()) >= 4:
            break
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_after = len(history.read_text().strip().splitlines()) - 1
    assert 3 <= killed_after < 6, "the run was not killed mid-training"

    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    epochs = [int(line.split(",")[0]) for line in history.read_text().strip().splitlines()[1:]]
    # Resumed, not restarted: the epochs continue and finish at 6.
    assert epochs[-1] == 5
    assert epochs.count(0) == 1
    assert len(epochs) <= 6 + 1  # at most the epoch in flight is redone


class _Interrupt(Exception):
    pass


class _InterruptAtStep(keras.callbacks.Callback):
    def __init__(self, step):
        super().__init__()
        self.step = step

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.optimizer.iterations.numpy()) == self.step:
            raise _Interrupt()


@pytest.mark.slow
def test_a_run_interrupted_twice_resumes_at_the_optimizer_step(tmp_path):
    # Keras' BackupAndRestore records "epoch 0" in backups written during the
    # first epoch of a resumed call; a second resume would then start the
    # epochs over (ResumableBackup's docstring).
    def run(callbacks=(), epochs=4):
        return training.train(
            "mlp_autoencoder", out=tmp_path, epochs=epochs, callbacks=list(callbacks), verbose=0,
            overrides=["fit.steps_per_epoch=10", "fit.checkpoint_every_steps=5", "fit.validation_steps=1"],
        )

    with pytest.raises(_Interrupt):
        run([_InterruptAtStep(17)])  # mid epoch 1; backup at step 15
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["status"] == "running" and status["wall_time_s"] > 0  # epoch 0's time kept
    with pytest.raises(_Interrupt):
        run([_InterruptAtStep(22)])  # mid epoch 2 of the resumed call; backup at step 20
    result = run()
    # Plain BackupAndRestore would restart at epoch 0: 60 steps, epochs 0,0,1,2,3.
    assert int(result.model.optimizer.iterations.numpy()) == 40
    epochs = [int(line.split(",")[0]) for line in (tmp_path / "history.csv").read_text().strip().splitlines()[1:]]
    assert epochs == [0, 1, 2, 3]  # each epoch once, as in an uninterrupted run
    assert json.loads((tmp_path / "status.json").read_text())["status"] == "finished"

    # Raising the epochs extends the run; the folder records the change.
    result = run(epochs=5)
    assert int(result.model.optimizer.iterations.numpy()) == 50
    recipe = json.loads((tmp_path / "recipe.json").read_text())
    assert recipe["fit"]["epochs"] == 5 and recipe["earlier_epochs"] == [4]


def _train_tiny(out, epochs, callbacks=()):
    """mlp_autoencoder: 10 steps an epoch, a backup every 5 steps, no diagnostics."""
    return training.train(
        "mlp_autoencoder", out=out, epochs=epochs, callbacks=list(callbacks), verbose=0,
        overrides=[
            "fit.steps_per_epoch=10", "fit.checkpoint_every_steps=5",
            "fit.validation_steps=1", "diagnostics.checks=[]",
        ],
    )


@pytest.mark.parametrize(
    "stops",
    [
        [7],  # mid epoch 0, two steps after its backup
        [10, 25],  # at epoch 0's last step (before its end), then mid epoch 2
        [7, 33],  # mid epoch 0, then mid epoch 3 of the resumed call (issue 15)
        [12, 14, 27],  # three kills, two of them in the same epoch
    ],
)
@pytest.mark.slow
def test_resume_trains_the_epochs_and_steps_of_an_uninterrupted_run(tmp_path, stops):
    for step in stops:
        with pytest.raises(_Interrupt):
            _train_tiny(tmp_path, 4, [_InterruptAtStep(step)])
    result = _train_tiny(tmp_path, 4)
    assert int(result.model.optimizer.iterations.numpy()) == 40
    epochs = [int(line.split(",")[0]) for line in (tmp_path / "history.csv").read_text().strip().splitlines()[1:]]
    assert epochs == [0, 1, 2, 3]


def test_resume_drops_history_rows_of_epochs_the_backup_does_not_hold(tmp_path):
    with pytest.raises(_Interrupt):
        _train_tiny(tmp_path, 2, [_InterruptAtStep(7)])
    history = tmp_path / "history.csv"
    # As if killed after the epoch's row was written but before its backup.
    history.write_text("epoch,loss,val_loss\r\n0,0.5,0.5\r\n1,0.4")
    _train_tiny(tmp_path, 2)
    epochs = [int(line.split(",")[0]) for line in history.read_text().strip().splitlines()[1:]]
    assert epochs == [0, 1]


def test_a_second_train_in_the_same_folder_is_refused_until_the_first_is_gone(tmp_path, capsys):
    run = tmp_path / "run"
    command = [
        "train", "mlp_autoencoder", "--out", str(run), "--epochs", "1",
        "--set", "fit.steps_per_epoch=2", "--set", "fit.validation_steps=1",
        "--set", "diagnostics.checks=[]",
    ]
    with held_elsewhere(run / "train.lock", run) as holder:
        assert cli.main(command) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert f"{run} is being written by process {holder.pid}" in err
        assert not (run / "recipe.json").exists()  # nothing read or written
    # The holder was killed: its lock does not block the rerun.
    assert cli.main(command) == 0
    assert len((run / "history.csv").read_text().strip().splitlines()) == 2


@pytest.mark.parametrize(
    "assignment,message",
    [
        ("fit=3", r"`fit` must be a table \(a \[section\], or \{key = value, ...\}\). Received: 3 \(an integer\)"),
        ("data.options=5", r"`data.options` must be a table .*Received: 5 \(an integer\)"),
        ("model_overrides=5", r"`model_overrides` must be a table .*Received: 5 \(an integer\)"),
        ('diagnostics.checks="gradient_statistics"',
         r"`diagnostics.checks` must be a list of check names, .*Received: 'gradient_statistics' \(a string\)"),
        ("diagnostics.checks=[1]", r"`diagnostics.checks` must be a list of check names. Received: 1 \(an integer\) in it"),
        ("fit.epochs=true", r"`fit.epochs` must be an integer >= 1. Received: True \(a boolean\)"),
        ("seed=1.5", r"`seed` must be an integer. Received: 1.5 \(a float\)"),
        ("fit={epochs=3}", r"`fit.steps_per_epoch` is missing: it must be an integer >= 0."),
        ("model_overrides.learning_rate=inf", r"`model_overrides.learning_rate` must be a finite number. Received: inf"),
        ("model_overrides.learning_rate=nan", r"`model_overrides.learning_rate` must be a finite number. Received: nan"),
        ("data.options={weights=[1.0, -inf]}", r"`data.options.weights\[1\]` must be a finite number. Received: -inf"),
    ],
)
def test_set_values_of_the_wrong_kind_are_one_line_errors(tmp_path, capsys, assignment, message):
    with pytest.raises(ValueError, match=message):
        training.resolve_recipe("mlp_autoencoder", overrides=[assignment])
    assert cli.main(["train", "mlp_autoencoder", "--out", str(tmp_path / "run"), "--set", assignment]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("aezoo: error: `")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "text,message",
    [
        ('fit = 3', r"`fit` must be a table"),
        ('data = "x"', r"`data` must be a table .*Received: 'x' \(a string\)"),
        ('model_overrides = [1, 2]', r"`model_overrides` must be a table .*Received: \[1, 2\] \(a list\)"),
        ('[diagnostics]\nchecks = "gradient_statistics"', r"`diagnostics.checks` must be a list of check names"),
        ('[model_overrides]\nlearning_rate = inf', r"`model_overrides.learning_rate` must be a finite number. Received: inf"),
        ('[data]\nbatch_size = 1e20', r"`data.batch_size` must be an integer >= 1. Received: 1e\+20 \(a float\)"),
        ('[data]\nbatch = 3', r"Unknown \[data\] keys: batch. Valid: batch_size, options."),
        ('backend = "numpy"', r"`backend` \(the Keras backend the recipe prefers\) must be one of tensorflow, jax. Received: 'numpy'"),
    ],
)
def test_recipe_files_of_the_wrong_shape_are_refused(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(f'model = "mlp_autoencoder"\n{text}\n')
    with pytest.raises(ValueError, match=message):
        training.load_recipe(path)


def test_a_recipe_that_prefers_another_backend_says_so_and_trains(tmp_path, capsys):
    path = tmp_path / "mlp.toml"
    path.write_text('model = "mlp_autoencoder"\nbackend = "jax"\n[fit]\nsteps_per_epoch = 2\n')
    result = training.train(str(path), out=tmp_path / "run", verbose=0)
    assert result.status == "finished"
    said = capsys.readouterr().out
    assert "trains fastest on the jax backend" in said and "KERAS_BACKEND=jax" in said


def test_a_recipe_that_is_not_utf8_is_named(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('model = "mlp_autoencoder"\ndescription = "caf\u00e9"\n'.encode("latin-1"))
    with pytest.raises(ValueError, match=f"Recipe {path} is not UTF-8 text"):
        training.load_recipe(path)


@pytest.mark.slow
def test_a_run_killed_twice_trains_the_epochs_and_steps_of_an_uninterrupted_run(tmp_path):
    command = [
        sys.executable, "-m", "aezoo.cli", "train", "mlp_autoencoder", "--out", str(tmp_path),
        "--epochs", "6", "--set", "fit.steps_per_epoch=200", "--set", "fit.checkpoint_every_steps=50",
        "--set", "fit.validation_steps=2", "--set", "diagnostics.checks=[]",
    ]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    history = tmp_path / "history.csv"

    def rows():
        return len(history.read_text().strip().splitlines()) - 1 if history.exists() else 0

    # Killed after the first backup (mid epoch 0), then two epochs into the rerun.
    for killed_when in (lambda: (tmp_path / "backup" / "training_metadata.json").exists(), lambda: rows() >= 2):
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while time.time() < deadline and not killed_when():
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert rows() < 6, "the run finished before its second kill"
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    epochs = [int(line.split(",")[0]) for line in history.read_text().strip().splitlines()[1:]]
    assert epochs == [0, 1, 2, 3, 4, 5]
    model = keras.saving.load_model(tmp_path / "checkpoints" / "last.keras")
    assert int(model.optimizer.iterations.numpy()) == 6 * 200


class _WeightsAtStart(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.weights = [np.array(w) for w in self.model.get_weights()]


@pytest.mark.slow  # three short runs
def test_start_from_begins_with_another_runs_weights(tmp_path):
    tiny = ["fit.steps_per_epoch=3", "data.batch_size=8"]
    first = training.train("mlp_autoencoder", out=tmp_path / "first", epochs=1, overrides=tiny, verbose=0)
    trained = first.model.get_weights()
    start = _WeightsAtStart()
    training.train("mlp_autoencoder", out=tmp_path / "second", epochs=1, verbose=0, callbacks=[start],
                   overrides=tiny + [f"start_from='{tmp_path / 'first' / 'checkpoints' / 'last.keras'}'"])
    assert all(np.array_equal(a, b) for a, b in zip(start.weights, trained))
    # From scratch (same seed): other weights.
    scratch = _WeightsAtStart()
    training.train("mlp_autoencoder", out=tmp_path / "third", epochs=1, verbose=0, callbacks=[scratch],
                   overrides=tiny)
    assert not all(np.array_equal(a, b) for a, b in zip(scratch.weights, trained))


def test_start_from_a_missing_or_different_model_is_one_line_and_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="does not exist: train the run it names first"):
        training.train("mlp_autoencoder", out=tmp_path / "a", epochs=1, verbose=0,
                       overrides=[f"start_from='{tmp_path / 'nothing.keras'}'"])
    assert not (tmp_path / "a" / "recipe.json").exists()
    other = tmp_path / "other.keras"
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save(other)
    with pytest.raises(ValueError, match="they are different models|weight .* is"):
        training.train("mlp_autoencoder", out=tmp_path / "b", epochs=1, verbose=0,
                       overrides=[f"start_from='{other}'"])
    assert not (tmp_path / "b" / "recipe.json").exists()


def test_every_fine_tuning_recipe_chains_back_to_a_first_stage():
    """A shipped recipe with `start_from` (the predictor's later stages)
    names the best checkpoint of a run another recipe writes: the run folder
    `aezoo train MODEL --preset PRESET` writes, or the `--out` that another
    stage's description asks for. Followed back, every chain ends at a
    recipe without `start_from`, so the documented commands chain."""
    import re

    stages = [training.load_recipe(path) for path in sorted(training.recipes.default_recipes_dir().glob("*.toml"))]
    stages = [recipe for recipe in stages if recipe.get("start_from")]
    # The predictor's second stage (.default.continue.toml, session 21)
    # chains to the run `aezoo train convlstm_bidir_predictor` writes.
    assert {recipe["model"] for recipe in stages} <= {"convlstm_bidir_predictor"}
    writers = {}  # run folder -> the stage recipe that writes it
    for recipe in stages:
        outs = re.findall(r"--out (runs/[\w.-]+)", recipe["description"])
        assert len(outs) == 1, f"{recipe['source']}: its description must give one --out"
        writers[outs[0].rstrip(".")] = recipe
    for recipe in stages:
        seen = set()
        while recipe.get("start_from"):
            folder, _, rest = recipe["start_from"].rpartition("/checkpoints/")
            assert rest == "best.keras" and folder not in seen, recipe["start_from"]
            seen.add(folder)
            if folder in writers:
                recipe = writers[folder]
                continue
            first = training.load_recipe(recipe["model"], recipe["preset"])
            assert folder == f"runs/{first['model']}-{first['preset']}", recipe["start_from"]
            recipe = first
