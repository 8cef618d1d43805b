"""Trains every shipped recipe briefly on the backend of this process.

Run by `tests/backends/test_jax_training.py` with `KERAS_BACKEND=jax`:

    python -m tests.backends.train_every_recipe FOLDER

Each recipe runs through `aezoo.train` (its own data, callbacks and
diagnostics) for one epoch of 2 steps (the predictor with the test
harness's few frames; a fine-tuning stage from scratch), into `FOLDER/runs/<recipe>`,
unless an earlier recipe (a model's own recipes first, then the stages)
differs from it only in what
changes no code path: its file, description, seed, `start_from`, epochs, learning
rate or SSIM weight (the predictor's fine-tuning stages repeat the model,
loss and schedule of another recipe). Such a recipe is resolved, not
trained again, and recorded as `covered_by` that recipe. Then the
`mlp_autoencoder` run is exported with `aezoo.export` (`.keras` and TF
SavedModel) to `FOLDER/artifact`, with its outputs on a sample in
`FOLDER/artifact_outputs.npz` for the TensorFlow side to compare.
Writes `FOLDER/train.json`: per recipe the status, the files written, the
gradient steps recorded and the verdicts, or the error.
"""

import json
import pathlib
import sys
import traceback

import keras
import numpy as np

import aezoo
from aezoo import data
from aezoo import training
from tests.models import harness

TINY = ["fit.steps_per_epoch=2", "fit.validation_steps=1", "fit.checkpoint_every_steps=0",
        "data.batch_size=4"]


def train_recipe(path, runs):
    recipe = training.resolve_recipe(str(path))
    small = [f"model_overrides.{k}={v}" for k, v in harness.SMALL.get(recipe["model"], {}).items()]
    # A fine-tuning stage starts from another run's checkpoint, which this
    # harness does not train at full size: it trains the stage from scratch.
    scratch = ['start_from=""'] if recipe.get("start_from") else []
    result = training.train(str(path), out=runs / path.stem, epochs=1, overrides=TINY + small + scratch,
                            verbose=0)
    run = result.run_dir
    gradient_rows = (run / "gradients.csv").read_text().strip().splitlines()[1:] \
        if (run / "gradients.csv").exists() else []
    verdicts = json.loads((run / "diagnostics.json").read_text()) \
        if (run / "diagnostics.json").exists() else None
    return {
        "status": result.status,
        "backend": keras.backend.backend(),
        "files": sorted(str(p.relative_to(run)) for p in run.rglob("*") if p.is_file()
                        and "logs" not in p.parts),
        "gradient_steps": len(gradient_rows),
        "verdicts": verdicts,
    }


# Recipe values that change no code path on the backend: a recipe that
# differs from a trained one only in these is not trained again.
SAME_PATH = ("source", "description", "seed", "start_from", "fit.epochs", "model_overrides.learning_rate",
             "model_overrides.ssim_weight")


def path_key(recipe):
    """The recipe without its `SAME_PATH` values, as a comparable string."""
    recipe = json.loads(json.dumps(recipe))
    for dotted in SAME_PATH:
        *parents, leaf = dotted.split(".")
        section = recipe
        for parent in parents:
            section = section.get(parent, {})
        section.pop(leaf, None)
    return json.dumps(recipe, sort_keys=True)


def main(folder):
    folder = pathlib.Path(folder)
    results, trained = {}, {}
    # A model's own recipes (NAME.PRESET) first, then its fine-tuning stages.
    recipes = sorted(training.recipes.default_recipes_dir().glob("*.toml"),
                     key=lambda path: (path.stem.count("."), path.stem))
    for path in recipes:
        try:
            key = path_key(training.resolve_recipe(str(path)))
            if key in trained:
                results[path.stem] = {"covered_by": trained[key]}
                continue
            trained[key] = path.stem
            results[path.stem] = train_recipe(path, folder / "runs")
        except Exception as error:  # reported by the test, naming the recipe
            results[path.stem] = {"error": f"{type(error).__name__}: {error}",
                                  "traceback": traceback.format_exc()}
    model = keras.saving.load_model(folder / "runs" / "mlp_autoencoder.default" / "checkpoints" / "last.keras")
    x = data.sample("mlp_autoencoder", count=8)
    aezoo.export(model, folder / "artifact", name="mlp_autoencoder")
    np.savez(folder / "artifact_outputs.npz", x=x, y=keras.ops.convert_to_numpy(model(x)))
    (folder / "train.json").write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main(sys.argv[1])
