"""`train`: runs a recipe with Keras `fit`, resumable and NaN-safe.

A run folder holds everything a run makes:

```
RUN/recipe.json            the resolved recipe (a rerun must match it)
RUN/backup/                BackupAndRestore state: a killed run resumes here
RUN/checkpoints/last.keras the model after the last finished epoch
RUN/checkpoints/best.keras the model with the lowest validation loss
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
"""

import json
import pathlib
import time
from dataclasses import dataclass

import keras

from aezoo import registry
from aezoo.training import pictures
from aezoo.training import recipes as recipes_lib
from aezoo.training.diagnostics_setup import Diagnostics


@dataclass
class TrainResult:
    """What `train` returns.

    Attributes:
        run_dir: the run folder.
        model: the trained model (weights of the last step run).
        status: `"finished"` or `"stopped_on_nan"`.
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

    Returns:
        A `TrainResult`.

    Raises:
        ValueError: bad recipe, model or override; or a run folder that
            holds a different recipe (use another `out`).

    Example:

    ```python
    result = aezoo.train("mlp_autoencoder", epochs=2, out="runs/mlp")
    ```
    """
    from aezoo import data  # imported here: training is the data's user

    recipe = resolve_recipe(name_or_recipe, preset, epochs, overrides)
    name, preset = recipe["model"], recipe["preset"]
    run_dir = pathlib.Path(out or pathlib.Path("runs") / f"{name}-{preset}")
    _claim_run_dir(run_dir, recipe)

    keras.utils.set_random_seed(recipe["seed"])
    model = registry.build(name, preset, **recipe["model_overrides"])
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
    if fit["schedule"] == "cosine":
        steps = steps_per_epoch or _count_batches(train_data)
        model.optimizer.learning_rate = keras.optimizers.schedules.CosineDecay(
            float(model.optimizer.learning_rate), decay_steps=steps * fit["epochs"]
        )

    probe = next(iter(validation_data))
    checks = Diagnostics(
        recipe["diagnostics"], run_dir / "logs" / "train",
        tuple(part.numpy() if hasattr(part, "numpy") else part for part in probe),
    )
    all_callbacks = [keras.callbacks.TerminateOnNaN(raise_error=True)]
    all_callbacks += [
        keras.callbacks.BackupAndRestore(
            str(run_dir / "backup"),
            save_freq=fit["checkpoint_every_steps"] or "epoch",
            double_checkpoint=True,
            delete_checkpoint=False,
        ),
        keras.callbacks.ModelCheckpoint(str(run_dir / "checkpoints" / "last.keras")),
        keras.callbacks.ModelCheckpoint(
            str(run_dir / "checkpoints" / "best.keras"),
            monitor="val_loss",
            save_best_only=True,
        ),
        keras.callbacks.CSVLogger(str(run_dir / "history.csv"), append=True),
        keras.callbacks.TensorBoard(str(run_dir / "logs")),
        *checks.callbacks,
        *callbacks,
    ]
    start = time.time()
    status = "finished"
    history = {}
    try:
        history = model.fit(
            train_data,
            epochs=fit["epochs"],
            steps_per_epoch=steps_per_epoch,
            validation_data=validation_data,
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
    _write_status(run_dir, status, time.time() - start)
    checks.write(run_dir, checks.verdicts(model, validation_data))
    pictures.loss_curves(
        run_dir / "history.csv", run_dir / "pictures" / "loss.png",
        gradient_log=run_dir / "gradients.csv",
    )
    return TrainResult(run_dir, model, status, history, recipe)


def _claim_run_dir(run_dir, recipe):
    """Creates the run folder, or checks that it holds the same recipe."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "checkpoints").mkdir(exist_ok=True)
    saved = run_dir / "recipe.json"
    if saved.exists():
        if _comparable(json.loads(saved.read_text())) != _comparable(recipe):
            raise ValueError(
                f"Run folder {run_dir} holds a run of a different recipe "
                f"(see {saved}). Resume it with the same settings, or choose "
                f"another --out."
            )
    else:
        saved.write_text(json.dumps(recipe, indent=2, default=list))


def _comparable(recipe):
    """What must match for a rerun to resume: all but the source path and
    the number of epochs (raising it extends a run)."""
    recipe = json.loads(json.dumps(recipe, default=list))
    recipe.pop("source", None)
    recipe["fit"].pop("epochs", None)
    return recipe


def _write_status(run_dir, status, seconds):
    path = run_dir / "status.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    wall = previous.get("wall_time_s", 0.0) + seconds
    path.write_text(json.dumps({"status": status, "wall_time_s": round(wall, 1)}, indent=2))


def _count_batches(dataset):
    cardinality = int(dataset.cardinality())
    if cardinality < 0:
        raise ValueError(
            "fit.schedule='cosine' needs a known number of steps: set "
            "fit.steps_per_epoch for this dataset."
        )
    return max(cardinality, 1)

