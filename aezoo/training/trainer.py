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

NaN safety: `aezoo.keras_workarounds.stop_on_nan()` runs first among the
callbacks, so a NaN batch stops training before any epoch-end callback can
save NaN weights and before `BackupAndRestore` cleans up (keras #21771:
a graceful stop lets epoch-end checkpoints and backup deletion run). The
last good checkpoint and backup are left as they were.

One writer: a call holds an exclusive lock on `RUN/train.lock` from before
it reads the folder until it returns; a second call on the same folder is
refused at once (`WriterBusyError`, naming the process that holds it). The
kernel drops the lock of a killed process, so a killed run never blocks its
rerun.

The folder's bookkeeping is `aezoo.training.run_folder`, the strategy's
handling `aezoo.training.strategy`, and the fixes `fit` needs under a
strategy are in `aezoo.keras_workarounds`.
"""

import contextlib
import pathlib
from dataclasses import dataclass

import keras

from aezoo import registry
from aezoo import single_writer
from aezoo.keras_workarounds import build_training_state
from aezoo.keras_workarounds import fit_under_strategy
from aezoo.keras_workarounds import is_nan_stop
from aezoo.keras_workarounds import stop_on_nan
from aezoo.training import pictures
from aezoo.training import recipes as recipes_lib
from aezoo.training import run_folder
from aezoo.training.backup import ResumableBackup
from aezoo.training.callbacks import PublishCheckpoints
from aezoo.training.callbacks import WallTime
from aezoo.training.diagnostics_setup import Diagnostics
from aezoo.training.recipe_data import data_arguments
from aezoo.training.strategy import distributed_datasets
from aezoo.training.strategy import make_strategy
from aezoo.training.strategy import worker_run_dir


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
    return _resolve(name_or_recipe, preset, epochs, overrides)[0]


def _resolve(name_or_recipe, preset, epochs, overrides):
    """`(recipe, family, config)`: the recipe, and its model resolved once
    (failing on unknown models or overrides before any file is written)."""
    recipe = recipes_lib.load_recipe(name_or_recipe, preset)
    if epochs is not None:
        recipe = recipes_lib.apply_overrides(recipe, [f"fit.epochs={epochs}"])
    recipe = recipes_lib.apply_overrides(recipe, list(overrides))
    family, config = registry.resolve(recipe["model"], recipe["preset"], **recipe["model_overrides"])
    return recipe, family, config


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
    recipe, family, config = _resolve(name_or_recipe, preset, epochs, overrides)
    name, preset = recipe["model"], recipe["preset"]
    _note_backend(recipe)
    _note_dtype_policy(recipe)
    # Before any TensorFlow op: collective ops are configured at start-up.
    strategy = make_strategy(strategy)
    run_dir = pathlib.Path(out or pathlib.Path("runs") / f"{name}-{preset}")
    run_dir = worker_run_dir(run_dir, strategy)
    with single_writer.hold(run_dir / run_folder.LOCK_FILE, run_dir):
        return _train_in(run_dir, recipe, family, config, strategy, callbacks, verbose)


def _note_backend(recipe):
    """One line when the recipe prefers another Keras backend than this process's."""
    preferred, running = recipe.get("backend"), keras.backend.backend()
    if preferred and preferred != running:
        print(
            f"aezoo: this recipe trains fastest on the {preferred} backend "
            f"(docs/BENCHMARKS.md); this process runs Keras on {running}. "
            f"To follow the recipe: KERAS_BACKEND={preferred} aezoo train ..."
        )


def _note_dtype_policy(recipe):
    """One line when the recipe trains in bfloat16 on a CPU without AMX,
    where bfloat16 convolutions are not faster than float32's."""
    policy = recipe["fit"].get("dtype_policy", "float32")
    if policy == "float32" or cpu_has_amx() is not False:
        return
    print(
        f"aezoo: this recipe trains under {policy}, which is fast on CPUs with AMX "
        f"(amx_bf16) and on GPUs; this CPU has no AMX. float32 may train faster here: "
        f"--set fit.dtype_policy=float32 (docs/BENCHMARKS.md, session 20)."
    )


def cpu_has_amx(cpuinfo="/proc/cpuinfo"):
    """Whether the CPU lists `amx_bf16` among its flags; `None` where this
    cannot be read (not Linux)."""
    try:
        text = pathlib.Path(cpuinfo).read_text()
    except OSError:
        return None
    flags = next((line for line in text.splitlines() if line.startswith("flags")), "")
    return "amx_bf16" in flags.split()


def _train_in(run_dir, recipe, family, config, strategy, callbacks, verbose):
    """`train`'s work, in a run folder it holds the lock of."""
    finished = run_folder.finished_recipe(run_dir, recipe)
    if finished:
        print(run_folder.finished_message(run_dir, finished))
        model = keras.saving.load_model(run_dir / "checkpoints" / "last.keras")
        return TrainResult(run_dir, model, "already_finished", {}, finished)
    keras.utils.set_random_seed(recipe["seed"])
    # Built before anything is written: a value the model refuses leaves the
    # folder as it was, so the corrected command is not "a different recipe".
    with _scope(strategy), dtype_policy(recipe["fit"].get("dtype_policy", "float32")):
        model = family.build(config)
        if recipe.get("start_from"):
            start_from(model, recipe["start_from"])
    run_folder.claim(run_dir, recipe)
    datasets = _fit_datasets(recipe, family, config, strategy)
    if recipe["fit"]["schedule"] == "cosine":
        _use_cosine_schedule(model, recipe, config, datasets.epoch_steps, strategy)

    probe = next(iter(datasets.validation_split))
    probe = tuple(part.numpy() if hasattr(part, "numpy") else part for part in probe)
    checks = Diagnostics(recipe["diagnostics"], run_dir / "logs" / "train", probe)
    wall_time = WallTime(run_dir)
    all_callbacks = [
        stop_on_nan(),
        *_run_folder_callbacks(run_dir, recipe["fit"], strategy, datasets.epoch_steps),
        *checks.callbacks,
        wall_time,
        *callbacks,
    ]
    status, history = _fit(model, datasets, recipe["fit"], strategy, probe, all_callbacks, verbose, run_dir)
    run_folder.write_status(run_dir, status, wall_time.total())
    checks.write(run_dir, checks.verdicts(model, datasets.validation_split))
    pictures.loss_curves(
        run_dir / "history.csv", run_dir / "pictures" / "loss.png",
        gradient_log=run_dir / "gradients.csv",
    )
    return TrainResult(run_dir, model, status, history, recipe)


@dataclass
class _FitDatasets:
    """What `fit` trains and validates on (distributed under a strategy),
    the validation split itself (for the probe batch and the verdicts),
    `fit`'s `steps_per_epoch` and the steps of one epoch (`None`: unknown)."""

    train: object
    validation: object
    validation_split: object
    steps_per_epoch: object
    epoch_steps: object


def start_from(model, path):
    """Sets `model`'s weights to those of the `.keras` file `path` (a
    recipe's `start_from`: fine-tuning after another run).

    Raises:
        ValueError: no such file, not a Keras file, or a model whose weights
            differ in number or shape (naming the first that differs).
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise ValueError(
            f"The recipe's start_from file {path} does not exist: train the run it "
            "names first, or set start_from to an existing .keras file "
            "(--set start_from='\"\"' starts from scratch)."
        )
    try:
        source = keras.saving.load_model(path, compile=False)
    except Exception as error:  # a corrupt or foreign file: one line that names it
        raise ValueError(
            f"The recipe's start_from file {path} is not a loadable .keras model "
            f"({type(error).__name__}: {error})."
        ) from None
    weights = source.get_weights()
    if len(weights) != len(model.weights):
        raise ValueError(
            f"start_from {path} has {len(weights)} weights; the recipe's model has "
            f"{len(model.weights)}: they are different models."
        )
    for variable, value in zip(model.weights, weights):
        if tuple(variable.shape) != tuple(value.shape):
            raise ValueError(
                f"start_from {path}: weight {variable.path} is {tuple(value.shape)} "
                f"there and {tuple(variable.shape)} in the recipe's model."
            )
    model.set_weights(weights)


def _fit_datasets(recipe, family, config, strategy):
    """The recipe's datasets and step counts, as `fit` takes them under `strategy`."""
    from aezoo import data  # imported here: training is the data's user

    fit = recipe["fit"]
    data_args = data_arguments(recipe)
    train_data = data.for_model(family, "train", config=config, **data_args)
    validation_data = data.for_model(family, "validation", config=config, **data_args)
    steps_per_epoch = fit["steps_per_epoch"] or None
    if steps_per_epoch:
        train_data = train_data.repeat()
    fit_data = (train_data, validation_data)
    if strategy:
        fit_data = distributed_datasets(
            strategy, family, config, data_args,
            repeat_train=bool(steps_per_epoch), repeat_validation=bool(fit["validation_steps"]),
        )
    epoch_steps = steps_per_epoch or _count_batches(train_data)
    return _FitDatasets(*fit_data, validation_data, steps_per_epoch, epoch_steps)


def _use_cosine_schedule(model, recipe, config, epoch_steps, strategy):
    """Decays the recipe's learning rate to 0 over the run's steps (`fit.schedule="cosine"`)."""
    if epoch_steps is None:
        raise ValueError(
            "fit.schedule='cosine' needs a known number of steps: set "
            "fit.steps_per_epoch for this dataset."
        )
    # The configured rate, not float(optimizer.learning_rate): under a
    # tf.distribute strategy that is a MirroredVariable, which float() refuses.
    initial = config["learning_rate"]
    with _scope(strategy):
        model.optimizer.learning_rate = keras.optimizers.schedules.CosineDecay(
            float(initial), decay_steps=epoch_steps * recipe["fit"]["epochs"]
        )


def _run_folder_callbacks(run_dir, fit, strategy, epoch_steps):
    """The callbacks that write the run folder: checkpoints, history,
    backup and TensorBoard, in the order they must run."""
    checkpoints = run_dir / "checkpoints"
    partial_last, partial_best = (checkpoints / f"{kind}.partial.keras" for kind in ("last", "best"))
    return [
        keras.callbacks.ModelCheckpoint(str(partial_last)),
        keras.callbacks.ModelCheckpoint(str(partial_best), monitor="val_loss", save_best_only=True),
        PublishCheckpoints({
            partial_last: checkpoints / "last.keras", partial_best: checkpoints / "best.keras",
        }),
        keras.callbacks.CSVLogger(str(run_dir / "history.csv"), append=True),
        # The backup comes after the epoch's row and checkpoints: a call killed
        # between them redoes the epoch's end rather than losing it.
        ResumableBackup(
            str(run_dir / "backup"),
            steps_per_epoch=None if strategy else epoch_steps,
            history_file=None if strategy else run_dir / "history.csv",
            save_freq=fit["checkpoint_every_steps"] or "epoch",
            double_checkpoint=True,
            delete_checkpoint=False,
        ),
        keras.callbacks.TensorBoard(str(run_dir / "logs")),
    ]


def _fit(model, datasets, fit, strategy, probe, callbacks, verbose, run_dir):
    """Runs `model.fit`. Returns `(status, history)`: `"finished"`, or
    `"stopped_on_nan"` (and no history) when `stop_on_nan()` stopped it."""
    if strategy is None and keras.backend.backend() == "tensorflow":
        # Under a strategy `fit_under_strategy` builds it; JAX's `fit` builds
        # it symbolically before its one jitted step.
        build_training_state(model, probe)  # the first step is traced once, not twice
    try:
        with fit_under_strategy(model, strategy, probe):
            return "finished", model.fit(
                datasets.train,
                epochs=fit["epochs"],
                steps_per_epoch=datasets.steps_per_epoch,
                validation_data=datasets.validation,
                validation_steps=fit["validation_steps"] or None,
                callbacks=callbacks,
                shuffle=False,  # the datasets reshuffle themselves every epoch
                verbose=verbose,
            ).history
    except RuntimeError as error:
        if not is_nan_stop(error):
            raise
        print(
            f"aezoo: {error} Training stopped; the last good checkpoint "
            f"and backup in {run_dir} are kept."
        )
        return "stopped_on_nan", {}


@contextlib.contextmanager
def dtype_policy(name):
    """Keras' global dtype policy set to `name` (a recipe's
    `fit.dtype_policy`) while the model is built, then restored: the
    model's layers keep it, the rest of the process does not."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def _scope(strategy):
    return strategy.scope() if strategy else contextlib.nullcontext()


def _count_batches(dataset):
    """Batches per pass of `dataset` (at least 1), or `None` when its length
    is unknown or infinite."""
    cardinality = int(dataset.cardinality())
    return max(cardinality, 1) if cardinality >= 0 else None
