"""`export_run`: a finished run folder (or a checkpoint) -> a measured artifact.

The card's metrics are measured here, on the model's evaluation split, by
the same `evaluate` that `aezoo evaluate NAME` runs on the artifact, so the
card and the command agree.
"""

import csv
import json
import pathlib
import tempfile

from aezoo import registry
from aezoo.artifact import ArtifactError
from aezoo.artifact import export
from aezoo.artifact.artifact import check_target
from aezoo.artifact.artifact import hold_target
from aezoo.artifact.loading import load_keras_file
from aezoo.artifact.precision import float32_copy
from aezoo.artifact.precision import trained_policy
from aezoo.training.evaluate import evaluate
from aezoo.training.evaluate import model_pictures_for
from aezoo.training.evaluate import read_run

EVALUATION_SPLIT = "test"


def export_run(source, out_dir, *, overwrite=False, name=None, preset="default",
               max_batches=None, note=None):
    """Exports a run folder's best checkpoint (or a `.keras` file) with a card.

    Args:
        source: a run folder made by `aezoo train`, or a `.keras` checkpoint.
        out_dir: the artifact folder.
        overwrite: replace an existing artifact (it is never half-replaced).
        name, preset: registry name and preset, for a bare checkpoint (a run
            folder records its own).
        max_batches: measure the card's metrics on this many batches only
            (for quick checks; shipped cards use the whole split).
        note: a sentence for the card's `training.note` (what the run
            folder cannot tell, e.g. time lost by killed calls).

    Returns:
        The card.

    Raises:
        aezoo.single_writer.WriterBusyError: another process is exporting to
            `out_dir` (checked first, before the metrics are measured).
        ArtifactError: `out_dir` exists and `overwrite` is false (also
            checked before the metrics are measured).
    """
    with hold_target(out_dir):
        check_target(out_dir, overwrite)
        return _export_run(source, out_dir, overwrite, name, preset, max_batches, note)


def _export_run(source, out_dir, overwrite, name, preset, max_batches, note):
    source = pathlib.Path(source)
    recipe, training = None, {}
    if source.is_dir():
        recipe, checkpoint = read_run(source)
        name, preset = recipe["model"], recipe["preset"]
        training = _training_record(source)
    elif source.suffix == ".keras" and source.is_file():
        checkpoint = source
    else:
        raise ArtifactError(
            f"{source} is neither a run folder nor a .keras checkpoint. "
            f"Pass the folder `aezoo train` wrote (runs/NAME-PRESET) or a .keras file."
        )
    model = load_keras_file(checkpoint)
    name = name or model.name
    registry.get_model_info(name)
    overrides = recipe["model_overrides"] if recipe else {}
    batch_size = recipe["data"]["batch_size"] if recipe else 64
    training["steps"] = _optimizer_steps(model)
    # A run trained under a mixed policy (`fit.dtype_policy`) is measured and
    # shipped in float32, as every artifact computes.
    policy = trained_policy(model)
    if policy:
        training["dtype_policy"] = policy
        model = float32_copy(model)
    if recipe and recipe.get("earlier_epochs"):
        training["earlier_epochs"] = recipe["earlier_epochs"]
    if recipe and recipe.get("start_from"):
        training["started_from"] = _stage_record(recipe["start_from"])
    if note:
        training["note"] = note
    metrics = evaluate(
        model, name, preset, split=EVALUATION_SPLIT, batch_size=batch_size,
        max_batches=max_batches, model_overrides=overrides,
    )
    card = {
        "recipe": recipe,
        "data": _data_record(name, recipe),
        "training": training,
        "checkpoint": "best validation loss" if source.is_dir() else str(source),
        "metrics": metrics,
        "metrics_split": EVALUATION_SPLIT,
        "metrics_command": f"aezoo evaluate {name}",
        "metrics_max_batches": max_batches,
    }
    with tempfile.TemporaryDirectory() as pictures:
        model_pictures_for(model, name, preset, overrides, EVALUATION_SPLIT, pathlib.Path(pictures))
        return export(model, out_dir, name=name, preset=preset, card=card,
                      pictures=pictures, overwrite=overwrite)


def _stage_record(start_from, depth=0):
    """What the card can tell of the run a fine-tuning stage started from
    (its recipe's `start_from`): the checkpoint, and when it lies in a run
    folder's `checkpoints/`, that run's recipe, status, epochs and steps
    (and its own `started_from`, for a longer chain); when it is the model
    of an exported artifact, what that artifact's card says of its training
    and metrics."""
    path = pathlib.Path(start_from)
    record = {"checkpoint": str(path)}
    card = path.parent / "card.json"
    if card.is_file():
        return {**record, **_artifact_record(card)}
    run_dir = path.parent.parent
    if path.parent.name != "checkpoints" or not (run_dir / "recipe.json").is_file():
        record["note"] = "no run folder found for this checkpoint: its training is not recorded"
        return record
    record["recipe"] = json.loads((run_dir / "recipe.json").read_text())
    record.update(_training_record(run_dir))
    if path.is_file():
        record["steps"] = _optimizer_steps(load_keras_file(path))
    if record["recipe"].get("start_from") and depth < 8:
        record["started_from"] = _stage_record(record["recipe"]["start_from"], depth + 1)
    return record


def _artifact_record(card_path):
    """A stage that started from an exported artifact: its card's model,
    recipe, training (with its own chain) and metrics."""
    try:
        card = json.loads(card_path.read_text())
    except (OSError, ValueError) as error:
        return {"note": f"the artifact card {card_path} is unreadable ({error})"}
    keys = ("model", "preset", "recipe", "training", "metrics", "metrics_split", "created")
    return {"artifact_card": {key: card[key] for key in keys if key in card}}


def _optimizer_steps(model):
    """The optimizer steps a loaded checkpoint had taken (None: no optimizer)."""
    return int(model.optimizer.iterations.numpy()) if model.optimizer else None


def _training_record(run_dir):
    record = {}
    status = run_dir / "status.json"
    if status.is_file():
        record.update(json.loads(status.read_text()))
    history = run_dir / "history.csv"
    if history.is_file():
        with open(history, newline="") as handle:
            rows = list(csv.DictReader(handle))
        record["epochs"] = len(rows)
        if rows:
            record["last_epoch"] = {k: float(v) for k, v in rows[-1].items() if k != "epoch"}
    return record


def _data_record(name, recipe):
    from aezoo.data.mnist import describe_source

    info = registry.get_model_info(name)
    record = {"dataset": info.dataset, "train_split": "train", "evaluation_split": EVALUATION_SPLIT}
    if recipe:
        record["options"] = recipe["data"].get("options", {})
        record["batch_size"] = recipe["data"]["batch_size"]
    if "mnist" in info.dataset:
        record["mnist_source"] = describe_source()
    return record
