"""Trains every shipped recipe briefly on the backend of this process.

Run by `tests/backends/test_jax.py` with `KERAS_BACKEND=jax`, as the
`recipes` mode of its probe (`tests/backends/backend_probe.py`), or alone:

    python -m tests.backends.train_every_recipe FOLDER

Each recipe runs through `aezoo.train` (its own data, callbacks and
diagnostics) for one epoch of 2 steps (the predictor with the test
harness's few frames; a fine-tuning stage from scratch), into `FOLDER/runs/<recipe>`,
unless an earlier recipe (a model's own recipes first, then the stages)
differs from it only in what
changes no code path: its file, description, seed, `start_from`, epochs, learning
rate, SSIM weight or haze floor (the predictor's fine-tuning stages repeat the model,
loss and schedule of another recipe). Such a recipe is resolved, not
trained again, and recorded as `covered_by` that recipe. Then the
`mlp_autoencoder` run is exported with `aezoo.export` (`.keras` and TF
SavedModel) to `FOLDER/artifact`, with its outputs on a sample in
`FOLDER/artifact_outputs.npz` for the TensorFlow side to compare.
Writes `FOLDER/train.json`: per recipe the status, the files written, the
gradient steps recorded and the verdicts, or the error.

A model's own recipe (`NAME.PRESET`) is also each registered model and
preset built by its factory on this backend and fitted: its trained model
is saved with its outputs to `FOLDER/<backend>-trained/NAME.PRESET.keras`
(for the fresh-process reloads of the probe's `load` mode), and
`FOLDER/train-<backend>.json` records per `NAME.PRESET` its final loss, its
parameters and how many of its trainable weights the two steps moved.
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
from aezoo.artifact.precision import float32_copy
from tests.backends import backend_probe
from tests.models import harness

TINY = ["fit.steps_per_epoch=2", "fit.validation_steps=1", "fit.checkpoint_every_steps=0",
        "data.batch_size=4"]


class _TrainableAtStart(keras.callbacks.Callback):
    """The model's trainable weights when `fit` begins."""

    def on_train_begin(self, logs=None):
        self.weights = [keras.ops.convert_to_numpy(w).copy() for w in self.model.trainable_weights]


def fitted_case(result, start, folder):
    """The probe's record of a model's own recipe run, its trained model and
    outputs saved to `folder` (see the module docstring)."""
    # A recipe may train under mixed_bfloat16 (`fit.dtype_policy`); what is
    # saved and compared across backends is its float32 copy, as an artifact
    # holds (outputs in bfloat16 agree only to about 1e-2).
    model = float32_copy(result.model)
    after = [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]
    x, _ = harness.example_batch(model, batch_size=backend_probe.BATCH)
    backend_probe.save_with_outputs(model, x, folder, result.run_dir.name)
    return {"loss": float(result.history["loss"][-1]), "weights": len(after),
            "weights_moved": sum(not np.array_equal(b, a) for b, a in zip(start.weights, after)),
            "parameters": model.count_params()}


def is_own_recipe(path):
    """Whether the recipe at `path` is a model's own (`NAME.PRESET.toml`),
    not a fine-tuning stage (`NAME.PRESET.STAGE....toml`)."""
    return path.stem.count(".") == 1


def train_recipe(path, runs, cases=None, trained_folder=None):
    """Trains the recipe at `path`; for a model's own recipe, also records
    its case in `cases` and saves its trained model to `trained_folder`."""
    recipe = training.resolve_recipe(str(path))
    small = [f"model_overrides.{k}={v}" for k, v in harness.SMALL.get(recipe["model"], {}).items()]
    # A fine-tuning stage starts from another run's checkpoint, which this
    # harness does not train at full size: it trains the stage from scratch.
    scratch = ['start_from=""'] if recipe.get("start_from") else []
    start = _TrainableAtStart()
    result = training.train(str(path), out=runs / path.stem, epochs=1, overrides=TINY + small + scratch,
                            callbacks=[start], verbose=0)
    if cases is not None and is_own_recipe(path):
        cases[path.stem] = backend_probe.guarded(fitted_case, result, start, trained_folder)
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
# (`haze_floor`: the threshold of the predictor's weightless `HazeFloor`,
# the same layers and ops at any threshold above 0.)
SAME_PATH = ("source", "description", "seed", "start_from", "fit.epochs", "model_overrides.learning_rate",
             "model_overrides.ssim_weight", "model_overrides.haze_floor")


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
    backend = keras.backend.backend()
    results, trained, cases = {}, {}, {}
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
            results[path.stem] = train_recipe(path, folder / "runs", cases, folder / f"{backend}-trained")
        except Exception as error:  # reported by the test, naming the recipe
            results[path.stem] = {"error": f"{type(error).__name__}: {error}",
                                  "traceback": traceback.format_exc()}
            if is_own_recipe(path):  # its case failed too
                cases[path.stem] = results[path.stem]
    model = keras.saving.load_model(folder / "runs" / "mlp_autoencoder.default" / "checkpoints" / "last.keras")
    x = data.sample("mlp_autoencoder", count=8)
    aezoo.export(model, folder / "artifact", name="mlp_autoencoder")
    np.savez(folder / "artifact_outputs.npz", x=x, y=keras.ops.convert_to_numpy(model(x)))
    (folder / "train.json").write_text(json.dumps(results, indent=1, default=str))
    (folder / f"train-{backend}.json").write_text(json.dumps(cases, indent=1))


if __name__ == "__main__":
    main(sys.argv[1])
