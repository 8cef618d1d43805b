"""Runs every registered model and preset on the Keras backend of this process.

Run by `tests/backends/test_jax.py` in a subprocess with `KERAS_BACKEND`
set (the backend is chosen once per process):

    python -m tests.backends.backend_probe FOLDER MODE [MODE ...]

with MODE one of `save`, `recipes`, `load:OTHER`, `resave:OTHER`, `serve`
(OTHER a folder name below FOLDER: `tensorflow`, `jax`, `jax-trained`, ...):

- `save`: builds each model (seed 0), runs it forward on real inputs and
  writes `FOLDER/<backend>/<name>.<preset>.keras` with the inputs and
  outputs beside it (`.npz`).
- `recipes`: trains every shipped recipe for two steps through `aezoo.train`
  (`tests/backends/train_every_recipe.py`): each model's own recipe builds
  it with its factory at the test harness's small sizes (a few frames for
  the predictor), records its loss and how many weights moved, and saves the
  trained model and its outputs to `FOLDER/<backend>-trained`, as `save`
  does; the `mlp_autoencoder` run is exported to `FOLDER/artifact`.
- `resave:OTHER`: `load:OTHER`, then saves each loaded model again from
  this backend (with its outputs) to `FOLDER/<backend>`.
- `load:OTHER`: loads every `.keras` in `FOLDER/OTHER` (written by another
  process, on this backend or the other) with `safe_mode=True` and compares
  its outputs on the saved inputs with the saved outputs.
- `serve`: loads `recipes`' TF SavedModel export (`FOLDER/artifact`) with
  `tf.saved_model.load` and compares what its `serve` endpoint returns with
  the outputs the exporting process saved.

Each mode writes `FOLDER/<mode>-<backend>[-from-<other>].json`: one record
per `name.preset`, with an `error` (the exception's type and message) when
that case failed, so the tests name the case and the reason.
"""

import json
import pathlib
import sys
import time
import traceback

import keras
import numpy as np

import aezoo
from aezoo import data

BATCH = 2


def cases():
    return [(name, preset) for name in aezoo.list_models() for preset in aezoo.list_presets(name)]


def _inputs(name, preset):
    return data.sample(name, "test", count=BATCH, preset=preset)


def _outputs(model, x):
    outputs = model(x, training=False)
    if isinstance(outputs, dict):
        return {key: keras.ops.convert_to_numpy(value) for key, value in outputs.items()}
    if isinstance(outputs, (list, tuple)):
        return {str(i): keras.ops.convert_to_numpy(value) for i, value in enumerate(outputs)}
    return {"0": keras.ops.convert_to_numpy(outputs)}


def save_with_outputs(model, x, folder, case, outputs=None):
    """Saves `model` and its `outputs` on `x` (computed when not given)."""
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / f"{case}.keras")
    outputs = _outputs(model, x) if outputs is None else outputs
    np.savez(folder / f"{case}.npz", x=x, **{f"out_{k}": v for k, v in outputs.items()})


def save(folder, backend, name, preset):
    keras.utils.set_random_seed(0)
    model = aezoo.build(name, preset)
    save_with_outputs(model, _inputs(name, preset), folder / backend, f"{name}.{preset}")
    return {"parameters": model.count_params()}


def resave(folder, backend, path):
    """`load`, then the loaded model saved again from this backend, with
    its own outputs (those `load` compared), to `FOLDER/<backend>`."""
    model, record, outputs = _loaded(path)
    save_with_outputs(model, np.load(path.with_suffix(".npz"))["x"], folder / backend, path.stem, outputs)
    return record


def load(folder, path):
    return _loaded(path)[1]


def _loaded(path):
    """The model of `path`, how its outputs compare with the saved ones,
    and the outputs."""
    model = keras.saving.load_model(path, safe_mode=True)
    saved = np.load(path.with_suffix(".npz"))
    outputs = _outputs(model, saved["x"])
    diffs = {key: float(np.max(np.abs(outputs[key] - saved[f"out_{key}"]))) for key in outputs}
    return model, {
        "outputs": sorted(outputs),
        "saved_outputs": sorted(k[4:] for k in saved.files if k.startswith("out_")),
        "max_abs_diff": max(diffs.values()),
    }, outputs


def serve(folder):
    """`recipes`' SavedModel export served by TensorFlow, against the outputs
    its exporting process saved."""
    import tensorflow as tf

    saved = np.load(folder / "artifact_outputs.npz")
    served = tf.saved_model.load(str(folder / "artifact" / "saved_model"))
    out = served.serve(tf.constant(saved["x"]))
    out = next(iter(out.values())) if isinstance(out, dict) else out
    return {"max_abs_diff": float(np.max(np.abs(out.numpy() - saved["y"])))}


def guarded(function, *args):
    """`function(*args)` with its seconds, or a record of the error it raised."""
    start = time.perf_counter()
    try:
        return {**function(*args), "seconds": round(time.perf_counter() - start, 2)}
    except Exception as error:  # the test reports it, naming the case
        return {"error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()}


def main(argv):
    folder, backend = pathlib.Path(argv[0]), keras.backend.backend()
    for mode in argv[1:]:
        if mode.startswith(("load:", "resave:")):
            kind, other = mode.split(":", 1)
            function = {"load": lambda path: load(folder, path),
                        "resave": lambda path: resave(folder, backend, path)}[kind]
            results = {
                path.stem: guarded(function, path)
                for path in sorted((folder / other).glob("*.keras"))
            }
            out = f"{kind}-{backend}-from-{other}.json"
        elif mode == "recipes":  # writes its own records
            from tests.backends import train_every_recipe

            train_every_recipe.main(folder)
            continue
        elif mode == "serve":
            results, out = {"artifact": guarded(serve, folder)}, f"serve-{backend}.json"
        elif mode == "save":
            results = {
                f"{name}.{preset}": guarded(save, folder, backend, name, preset)
                for name, preset in cases()
            }
            out = f"{mode}-{backend}.json"
        else:
            raise SystemExit(f"unknown mode {mode!r}: save, recipes, load:OTHER, resave:OTHER or serve")
        (folder / out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
