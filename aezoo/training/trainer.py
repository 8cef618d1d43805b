"""`train`: runs a recipe with Keras `fit`, resumable and NaN-safe.

A run folder holds everything a run makes:

```
RUN/train.lock             held by the one process training in the folder
RUN/recipe.json            the resolved recipe (a rerun must match it)
RUN/backup/                BackupAndRestore state: a killed run resumes here
RUN/checkpoints/last.keras the model after the last finished epoch
RUN/checkpoints/best.keras the model with the lowest validation loss
                           (each written as NAME.partial.keras, then renamed)
RUN/history.csv            one row per epoch (appended across resumes)
RUN/logs/                  TensorBoard
RUN/status.json            finished | stopped_on_nan, wall time
RUN/diagnostics.json       the verdicts of the recipe's [diagnostics] checks
RUN/gradients.csv          loss and global gradient norm of every step
RUN/pictures/              loss curve and the model's pictures
```

NaN safety: `TerminateOnNaN(raise_error=True)` runs first among the
callbacks, so a NaN batch stops training before any epoch-end callback can
save NaN weights and before `BackupAndRestore` cleans up (keras #21771:
a graceful stop lets epoch-end checkpoints and backup deletion run). The
last good checkpoint and backup are left as they were.

One writer: a call holds an exclusive lock on `RUN/train.lock` from before
it reads the folder until it returns; a second call on the same folder is
refused at once (`WriterBusyError`, naming the process that holds it). The
kernel drops the lock of a killed process, so a killed run never blocks its
rerun.
"""

import contextlib
import json
import os
import pathlib
import time
from dataclasses import dataclass

import keras

from aezoo import registry
from aezoo import single_writer
from aezoo.training import pictures
from aezoo.training import recipes as recipes_lib
from aezoo.training.backup import ResumableBackup
from aezoo.training.diagnostics_setup import Diagnostics

STRATEGIES = ("mirrored", "multi_worker")
LOCK_FILE = "train.lock"


@dataclass
class TrainResult:
    """What `train` returns.

    Attributes:
        run_dir: the run folder.
        model: the trained model (weights of the last step run).
        status: `"finished"`, `"stopped_on_nan"`, or `"already_finished"`
            (the folder held this run, finished: nothing was trained).
        history: dict metric -> list of per-epoch values of this call.
        recipe: the resolved recipe.
    """

    run_dir: pathlib.Path
    model: keras.Model
    status: str
    history: dict
    recipe: dict


def resolve_recipe(name_or_recipe, preset=None, epochs=None, overrides=()):
    """The recipe a `train` call would run (file + --epochs + --set)."""
    recipe = recipes_lib.load_recipe(name_or_recipe, preset)
    if epochs is not None:
        recipe = recipes_lib.apply_overrides(recipe, [f"fit.epochs={epochs}"])
    recipe = recipes_lib.apply_overrides(recipe, list(overrides))
    # Fail on unknown models/overrides before any file is written.
    registry.get_config(recipe["model"], recipe["preset"], **recipe["model_overrides"])
    return recipe


def train(
    name_or_recipe,
    preset=None,
    *,
    out=None,
    epochs=None,
    overrides=(),
    callbacks=(),
    verbose="auto",
    strategy=None,
):
    """Trains a model with its recipe; rerunning the same call resumes.

    Args:
        name_or_recipe: a model name (its recipe `recipes/NAME.PRESET.toml`)
            or a recipe file path.
        preset: preset of the recipe to use; `None` means the recipe file's
            own (or `"default"` for a model name).
        out: the run folder. Defaults to `runs/NAME-PRESET`.
        epochs: overrides `fit.epochs`.
        overrides: `["section.key=value", ...]` recipe overrides.
        callbacks: extra Keras callbacks.
        verbose: passed to `fit`.
        strategy: `None` (one device), `"mirrored"`
            (`tf.distribute.MirroredStrategy`: the local GPUs, else the CPU),
            `"multi_worker"` (`MultiWorkerMirroredStrategy`: run the same
            call in every worker process, each with its `TF_CONFIG`), or a
            `tf.distribute.Strategy`. The model is built and compiled in its
            scope; `data.batch_size` is the global batch, split across the
            replicas, so a step sees the same examples as on one device. In
            multi-worker training the chief writes to `out` and every other
            worker to `out.TYPE<index>` (e.g. `runs/mlp.worker1`), because
            each one saves its own checkpoints and backup.

    Returns:
        A `TrainResult`.

    Raises:
        ValueError: bad recipe, model or override; a run folder that
            holds a different recipe (use another `out`); an unknown
            strategy, or `"multi_worker"` without `TF_CONFIG`.
        aezoo.single_writer.WriterBusyError: another process is training
            in the same run folder (a `ValueError`).

    Example:

    ```python
    result = aezoo.train("mlp_autoencoder", epochs=2, out="runs/mlp")
    result = aezoo.train("mlp_autoencoder", epochs=2, out="runs/mlp2",
                         strategy="mirrored")
    ```
    """
    recipe = resolve_recipe(name_or_recipe, preset, epochs, overrides)
    name, preset = recipe["model"], recipe["preset"]
    # Before any TensorFlow op: collective ops are configured at start-up.
    strategy = _make_strategy(strategy)
    run_dir = pathlib.Path(out or pathlib.Path("runs") / f"{name}-{preset}")
    run_dir = _task_run_dir(run_dir, strategy)
    with single_writer.hold(run_dir / LOCK_FILE, run_dir):
        return _train_in(run_dir, recipe, strategy, callbacks, verbose)


def _train_in(run_dir, recipe, strategy, callbacks, verbose):
    """`train`'s work, in a run folder it holds the lock of."""
    from aezoo import data  # imported here: training is the data's user

    name, preset = recipe["model"], recipe["preset"]
    finished = _finished_recipe(run_dir, recipe)
    if finished:
        print(_finished_message(run_dir, finished))
        model = keras.saving.load_model(run_dir / "checkpoints" / "last.keras")
        return TrainResult(run_dir, model, "already_finished", {}, finished)
    keras.utils.set_random_seed(recipe["seed"])
    # Built before anything is written: a value the model refuses leaves the
    # folder as it was, so the corrected command is not "a different recipe".
    with strategy.scope() if strategy else contextlib.nullcontext():
        model = registry.build(name, preset, **recipe["model_overrides"])
    _claim_run_dir(run_dir, recipe)
    fit = recipe["fit"]
    data_args = dict(
        preset=preset,
        batch_size=recipe["data"]["batch_size"],
        seed=recipe["seed"],
        model_overrides=recipe["model_overrides"],
        **recipe["data"].get("options", {}),
    )
    train_data = data.for_model(name, "train", **data_args)
    validation_data = data.for_model(name, "validation", **data_args)
    steps_per_epoch = fit["steps_per_epoch"] or None
    if steps_per_epoch:
        train_data = train_data.repeat()
    fit_data = (train_data, validation_data)
    if strategy:
        fit_data = _distribute(
            strategy, name, data_args,
            repeat_train=bool(steps_per_epoch), repeat_validation=bool(fit["validation_steps"]),
        )
    epoch_steps = steps_per_epoch or _count_batches(train_data)
    if fit["schedule"] == "cosine":
        if epoch_steps is None:
            raise ValueError(
                "fit.schedule='cosine' needs a known number of steps: set "
                "fit.steps_per_epoch for this dataset."
            )
        # The configured rate, not float(optimizer.learning_rate): under a
        # tf.distribute strategy that is a MirroredVariable, which float() refuses.
        initial = registry.get_config(name, preset, **recipe["model_overrides"])["learning_rate"]
        with strategy.scope() if strategy else contextlib.nullcontext():
            model.optimizer.learning_rate = keras.optimizers.schedules.CosineDecay(
                float(initial), decay_steps=epoch_steps * fit["epochs"]
            )

    probe = next(iter(validation_data))
    probe = tuple(part.numpy() if hasattr(part, "numpy") else part for part in probe)
    checks = Diagnostics(recipe["diagnostics"], run_dir / "logs" / "train", probe)
    wall_time = _WallTime(run_dir)
    all_callbacks = [keras.callbacks.TerminateOnNaN(raise_error=True)]
    # The backup comes after the epoch's row and checkpoints: a call killed
    # between them redoes the epoch's end rather than losing it.
    checkpoints = {run_dir / "checkpoints" / f"{kind}.partial.keras": run_dir / "checkpoints" / f"{kind}.keras"
                   for kind in ("last", "best")}
    partial_last, partial_best = checkpoints
    all_callbacks += [
        keras.callbacks.ModelCheckpoint(str(partial_last)),
        keras.callbacks.ModelCheckpoint(str(partial_best), monitor="val_loss", save_best_only=True),
        _PublishCheckpoints(checkpoints),
        keras.callbacks.CSVLogger(str(run_dir / "history.csv"), append=True),
        ResumableBackup(
            str(run_dir / "backup"),
            steps_per_epoch=None if strategy else epoch_steps,
            history_file=None if strategy else run_dir / "history.csv",
            save_freq=fit["checkpoint_every_steps"] or "epoch",
            double_checkpoint=True,
            delete_checkpoint=False,
        ),
        keras.callbacks.TensorBoard(str(run_dir / "logs")),
        *checks.callbacks,
        wall_time,
        *callbacks,
    ]
    status = "finished"
    history = {}
    try:
        with _fit_scope(model, strategy, probe):
            history = model.fit(
                fit_data[0],
                epochs=fit["epochs"],
                steps_per_epoch=steps_per_epoch,
                validation_data=fit_data[1],
                validation_steps=fit["validation_steps"] or None,
                callbacks=all_callbacks,
                shuffle=False,  # the datasets reshuffle themselves every epoch
                verbose=verbose,
            ).history
    except RuntimeError as error:
        if "NaN or Inf loss" not in str(error):
            raise
        status = "stopped_on_nan"
        print(
            f"aezoo: {error} Training stopped; the last good checkpoint "
            f"and backup in {run_dir} are kept."
        )
    _write_status(run_dir, status, wall_time.total())
    checks.write(run_dir, checks.verdicts(model, validation_data))
    pictures.loss_curves(
        run_dir / "history.csv", run_dir / "pictures" / "loss.png",
        gradient_log=run_dir / "gradients.csv",
    )
    return TrainResult(run_dir, model, status, history, recipe)


def _make_strategy(strategy):
    """`None`, a strategy name (`STRATEGIES`) or a `tf.distribute.Strategy`
    -> `None` or a `tf.distribute.Strategy`."""
    import tensorflow as tf

    if strategy is None or isinstance(strategy, tf.distribute.Strategy):
        return strategy
    if strategy == "mirrored":
        return tf.distribute.MirroredStrategy()
    if strategy == "multi_worker":
        if "TF_CONFIG" not in os.environ:
            raise ValueError(
                "strategy='multi_worker' reads the cluster from TF_CONFIG, which is not "
                "set. Set it in every worker process, e.g. TF_CONFIG='{\"cluster\": "
                "{\"worker\": [\"host1:port\", \"host2:port\"]}, \"task\": {\"type\": "
                "\"worker\", \"index\": 0}}' (index 1 on the second worker)."
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(
        f"Unknown strategy {strategy!r}. Valid: {', '.join(STRATEGIES)}, None, or a "
        "tf.distribute.Strategy."
    )


@contextlib.contextmanager
def _fit_scope(model, strategy, batch):
    """Lets `model.fit` train under `strategy` (keras-team/keras#20585).

    Keras 3.15's `fit` under a strategy first draws a batch for a symbolic
    build, which fails under `MultiWorkerMirroredStrategy` (it calls
    `strategy.reduce` on the `(x, y)` nest) and, under any strategy, moves a
    dataset that reshuffles on each iteration on to its next order, so the
    steps would not see the batches of single-device training. So:

    - the variables that build would create (optimizer, loss and metric
      state) are created here, in the strategy's scope, from a real `batch`;
    - during `fit` the model drops its link to the strategy (the private
      `_distribute_strategy`, which is what makes Keras run the build), and
      its train and test functions run in `strategy.scope()`, where Keras
      finds the strategy (callbacks still run outside it, as usual);
    - in multi-worker mode Keras reduces each step's logs across workers
      along axis 0, which scalar logs lack: the steps add a leading axis.
    """
    if strategy is None:
        yield
        return
    with strategy.scope():
        build_training_state(model, batch)
    patches = {
        "make_train_function": _functions_in_scope(model, "train_function", strategy),
        "make_test_function": _functions_in_scope(model, "test_function", strategy),
    }
    # The predicate Keras uses to choose its multi-worker reduction.
    if strategy.extended._in_multi_worker_mode():
        patches["train_step"] = _logs_with_leading_axis(model.train_step)
        patches["test_step"] = _logs_with_leading_axis(model.test_step)
    for name, method in patches.items():
        setattr(model, name, method)
    model._distribute_strategy = None
    try:
        yield
    finally:
        model._distribute_strategy = strategy
        for name in patches:
            vars(model).pop(name)
        model.train_function = model.test_function = None


def build_training_state(model, batch):
    """Creates a compiled model's optimizer, loss and metric variables now,
    eagerly, from one real `(x, y[, sample_weight])` batch, instead of in
    the first traced training step.

    Variables first created in a traced step are initialized through
    `tf.cond` functions that TensorFlow keeps after the model is gone
    (about half of what each new model trained in a process leaks); it
    also lets `fit` skip its symbolic build under a strategy.
    """
    x, y, sample_weight = (tuple(batch) + (None,))[:3]
    y_pred = model(x, training=False)
    model.compute_loss(x, y, y_pred, sample_weight)
    model.compute_metrics(x, y, y_pred, sample_weight)
    model.optimizer.build(model.trainable_variables)
    model.reset_metrics()


def _functions_in_scope(model, attribute, strategy):
    """A `make_train_function` / `make_test_function` whose function runs
    (and so is traced) in `strategy.scope()`."""
    make = getattr(model, f"make_{attribute}")
    made = {}

    def make_in_scope(force=False):
        make(force=force)
        function = getattr(model, attribute)
        if function is not made.get("wrapper"):

            def function_in_scope(iterator):
                with strategy.scope():
                    return function(iterator)

            made["wrapper"] = function_in_scope
            setattr(model, attribute, function_in_scope)
        return made["wrapper"]

    return make_in_scope


def _logs_with_leading_axis(step):
    def step_with_leading_axis(data):
        return {key: keras.ops.expand_dims(value, 0) for key, value in step(data).items()}

    return step_with_leading_axis


def _task_run_dir(run_dir, strategy):
    """The chief's run folder is `run_dir`; another worker of a multi-worker
    strategy writes beside it (each worker saves its own checkpoints)."""
    if strategy is None or strategy.extended.should_checkpoint:
        return run_dir
    resolver = strategy.cluster_resolver
    return run_dir.with_name(f"{run_dir.name}.{resolver.task_type}{resolver.task_id}")


def _distribute(strategy, name, data_args, repeat_train, repeat_validation):
    """The (train, validation) datasets for `strategy`, sharded by batches
    (`aezoo.data.distributed(..., shard_by="batches")`): global step k holds
    the examples of single-device batch k. A split read for a fixed number
    of steps is repeated (the validation split then continues where the
    last evaluation stopped); one read whole is cut to whole global steps.
    """
    from aezoo import data

    config = registry.get_config(name, data_args["preset"], **data_args["model_overrides"])
    if config.get("stateful") and strategy.num_replicas_in_sync > 1:
        raise ValueError(
            "A stateful model's batch k+1 continues its batch k row by row, which "
            f"{strategy.num_replicas_in_sync} replicas taking batches in turn would "
            "break. Train it without a strategy, or set model_overrides.stateful=false."
        )
    args = {key: value for key, value in data_args.items() if key != "batch_size"}
    return tuple(
        data.distributed(
            strategy, name, split, global_batch_size=data_args["batch_size"],
            shard_by="batches", repeat=repeat, **args,
        )
        for split, repeat in (("train", repeat_train), ("validation", repeat_validation))
    )


def _claim_run_dir(run_dir, recipe):
    """Creates the run folder, or checks that it holds the same recipe."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "checkpoints").mkdir(exist_ok=True)
    saved = run_dir / "recipe.json"
    if saved.exists():
        previous = json.loads(saved.read_text())
        if _comparable(previous) != _comparable(recipe):
            raise ValueError(
                f"Run folder {run_dir} holds a run of a different recipe "
                f"(see {saved}). Resume it with the same settings, or choose "
                f"another --out."
            )
        # A resume may change the number of epochs (and the description):
        # the folder records the recipe now run and the epochs it had before.
        recipe = json.loads(json.dumps(recipe, default=list))
        changes = list(previous.get("earlier_epochs", []))
        if previous["fit"]["epochs"] != recipe["fit"]["epochs"]:
            changes.append(previous["fit"]["epochs"])
        if changes:
            recipe["earlier_epochs"] = changes
    status = run_dir / "status.json"
    if status.is_file():
        # Not finished before recipe.json asks for more epochs: a call
        # extending a run and killed (or out of disk) must be resumed, not
        # reported finished by the rerun.
        _write_status(run_dir, "running", json.loads(status.read_text()).get("wall_time_s", 0.0))
    partial = saved.with_name(saved.name + ".partial")
    partial.write_text(json.dumps(recipe, indent=2, default=list))
    os.replace(partial, saved)


def _finished_recipe(run_dir, recipe):
    """The recipe of the finished run in `run_dir` when it is `recipe`'s run
    with at least as many epochs (so there is nothing to train), else `None`."""
    status, saved = run_dir / "status.json", run_dir / "recipe.json"
    if not (status.is_file() and saved.is_file() and (run_dir / "checkpoints" / "last.keras").is_file()):
        return None
    previous = json.loads(saved.read_text())
    if json.loads(status.read_text()).get("status") != "finished":
        return None
    if _comparable(previous) != _comparable(recipe) or previous["fit"]["epochs"] < recipe["fit"]["epochs"]:
        return None
    return previous


def _finished_message(run_dir, recipe):
    epochs = recipe["fit"]["epochs"]
    wall = json.loads((run_dir / "status.json").read_text()).get("wall_time_s", 0.0)
    return (
        f"aezoo: {run_dir} already holds this run, finished: {epochs} epoch(s), "
        f"{wall:g} s of training; nothing to train. Results: {run_dir / 'checkpoints'} "
        f"(best.keras, last.keras), history.csv, diagnostics.json, pictures/. Measure "
        f"it: aezoo evaluate {run_dir}. Extend it: the same command with --epochs N "
        f"(N > {epochs})."
    )


def _comparable(recipe):
    """What must match for a rerun to resume: all but the source path, the
    description and the number of epochs (raising it extends a run)."""
    recipe = json.loads(json.dumps(recipe, default=list))
    for key in ("source", "description", "earlier_epochs"):
        recipe.pop(key, None)
    recipe["fit"].pop("epochs", None)
    return recipe


def _write_status(run_dir, status, wall):
    """`status.json`: the run's state and its training time over all calls."""
    path = run_dir / "status.json"
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps({"status": status, "wall_time_s": round(wall, 1)}, indent=2))
    os.replace(partial, path)


class _PublishCheckpoints(keras.callbacks.Callback):
    """Renames each checkpoint `ModelCheckpoint` wrote under a partial name
    into place, once whole: a kill or a full disk during a save leaves the
    previous `last.keras` / `best.keras` as they were."""

    def __init__(self, partial_to_final):
        super().__init__()
        self.partial_to_final = partial_to_final

    def on_epoch_end(self, epoch, logs=None):
        for partial, final in self.partial_to_final.items():
            if partial.exists():
                os.replace(partial, final)


class _WallTime(keras.callbacks.Callback):
    """The run's training time over all calls (`total()`: the time recorded
    in `status.json` before this call plus this call's, counted from the
    callback's creation). Writes `status.json` ("running", time so far)
    after every epoch, so a killed run still records the time it spent."""

    def __init__(self, run_dir):
        super().__init__()
        self.run_dir = run_dir
        path = run_dir / "status.json"
        self.before = json.loads(path.read_text()).get("wall_time_s", 0.0) if path.exists() else 0.0
        self.start = time.time()

    def total(self):
        return self.before + time.time() - self.start

    def on_epoch_end(self, epoch, logs=None):
        _write_status(self.run_dir, "running", self.total())


def _count_batches(dataset):
    """Batches per pass of `dataset` (at least 1), or `None` when its length
    is unknown or infinite."""
    cardinality = int(dataset.cardinality())
    return max(cardinality, 1) if cardinality >= 0 else None

