"""Inference speed of every model through four paths, in the same run.

    .venv/bin/python benchmarks/inference.py [--repeats 20]

For each model (the shipped artifact in `artifacts/` when there is one, else
the untrained default: speed does not depend on the weights):

- `model.predict(x)`: Keras' batched loop (builds a dataset per call);
- `model(x)` in `tf.function`: one traced call;
- SavedModel: `tf.saved_model.load(...).signatures["serving_default"]` of
  the exported artifact (`model.export` path);
- `aezoo.predict(model, x)`: the library's inference API (input validation
  plus the traced call).

Latency at batch 1 and throughput at batch 64, median of `--repeats` calls
after 3 warm-up calls, every path interleaved call by call.
"""

import argparse
import pathlib
import statistics
import tempfile
import time

import numpy as np
import tensorflow as tf

import aezoo
from aezoo.artifact import artifacts_root
from aezoo.artifact.artifact import write_saved_model

PATHS = ("model.predict", "tf.function", "SavedModel", "aezoo.predict")


def _paths(model, saved_model_dir):
    traced = tf.function(lambda x: model(x, training=False))
    serve = tf.saved_model.load(str(saved_model_dir)).signatures["serving_default"]
    input_name = model.inputs[0].name
    return {
        "model.predict": lambda x: model.predict(x, verbose=0),
        "tf.function": lambda x: traced(tf.constant(x)),
        "SavedModel": lambda x: serve(**{input_name: tf.constant(x)}),
        "aezoo.predict": lambda x: aezoo.predict(model, x),
    }


def _sync(outputs):
    for value in tf.nest.flatten(outputs):
        np.asarray(value)


def measure(name, repeats, batches=(1, 64)):
    artifact = artifacts_root() / name
    if (artifact / "card.json").exists():
        model = aezoo.load(name)
        saved_model_dir = artifact / "saved_model"
        source = "artifact"
    else:
        model = aezoo.build(name)
        saved_model_dir = pathlib.Path(tempfile.mkdtemp()) / "saved_model"
        write_saved_model(model, saved_model_dir)
        source = "untrained"
    paths = _paths(model, saved_model_dir)
    low, high = aezoo.registry.get_model_info(name).value_range or (0.0, 1.0)
    rows = []
    for batch in batches:
        x = np.random.default_rng(0).uniform(low, high, (batch,) + tuple(model.inputs[0].shape[1:]))
        x = x.astype("float32")
        for function in paths.values():
            for _ in range(3):
                _sync(function(x))
        times = {path: [] for path in paths}
        for _ in range(repeats):
            for path, function in paths.items():
                start = time.perf_counter()
                _sync(function(x))
                times[path].append(time.perf_counter() - start)
        for path in paths:
            seconds = statistics.median(times[path])
            rows.append({
                "model": name, "source": source, "batch": batch, "path": path,
                "ms": 1000 * seconds, "examples_per_s": batch / seconds,
            })
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--only", action="append", help="model name (repeatable)")
    args = parser.parse_args(argv)
    rows = []
    for name in args.only or aezoo.list_models():
        rows += measure(name, args.repeats)
    print(table(rows))
    return rows


def table(rows):
    lines = [
        "| model | batch | " + " | ".join(PATHS) + " | SavedModel / tf.function |",
        "|---|---:|" + "---:|" * (len(PATHS) + 1),
    ]
    keyed = {(r["model"], r["batch"], r["path"]): r for r in rows}
    for model, batch in dict.fromkeys((r["model"], r["batch"]) for r in rows):
        cells = []
        for path in PATHS:
            row = keyed[(model, batch, path)]
            cells.append(f"{row['ms']:.2f} ms" if batch == 1 else f"{row['examples_per_s']:,.0f}/s")
        ratio = keyed[(model, batch, "SavedModel")]["ms"] / keyed[(model, batch, "tf.function")]["ms"]
        lines.append(f"| {model} | {batch} | " + " | ".join(cells) + f" | {ratio:.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
