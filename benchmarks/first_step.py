"""The first training step of every model, traced twice or once.

    AEZOO_MNIST_DIR=../shared/data/mnist .venv/bin/python benchmarks/first_step.py

On the TensorFlow backend, Keras' `fit` without a strategy creates the
optimizer's variables (and, for a model with several outputs, its loss
trackers) in the first traced step, and a `tf.function` that creates
variables when it is first traced is traced again without them: the
first step costs two traces. `aezoo.train` builds that state eagerly from
one batch first (`aezoo.keras_workarounds.build_training_state`), so the
step is traced once. For each registered model's `default` preset at its
full size, in a fresh process each (the traces of one model must not warm
another's), this times `fit` for one step of a batch of its recipe's training data:

- `plain`: `model.fit` on a freshly built model, as Keras does it;
- `built`: `build_training_state` from the same batch, then `model.fit`
  (the build is included in the time).

and counts how many times `train_step` was traced. Prints a Markdown table.
"""

import argparse
import json
import subprocess
import sys
import time

MODELS = ("mlp_autoencoder", "sparse_autoencoder", "conv_autoencoder", "lstm_sequence_classifier",
          "convlstm_bidir_predictor")


def _one(name, mode):
    """Times the first step of `name` in this process; returns a dict."""
    import keras

    import aezoo
    from aezoo import data
    from aezoo.keras_workarounds import build_training_state
    from aezoo.training import resolve_recipe
    from aezoo.training.recipe_data import data_arguments

    recipe = resolve_recipe(name)
    batch_size = recipe["data"]["batch_size"]
    keras.utils.set_random_seed(0)
    model = aezoo.build(name)
    batch = tuple(next(iter(data.for_model(name, "train", **data_arguments(recipe)))))
    traces, step = [], model.train_step

    def counted(data):
        traces.append(1)
        return step(data)

    model.train_step = counted
    start = time.perf_counter()
    if mode == "built":
        build_training_state(model, batch)
    x, y, sample_weight = (batch + (None,))[:3]
    model.fit(x=x, y=y, sample_weight=sample_weight, batch_size=batch_size, epochs=1, verbose=0)
    return {"model": name, "mode": mode, "batch": batch_size, "seconds": time.perf_counter() - start,
            "traces": len(traces)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", choices=MODELS, help="default: all")
    parser.add_argument("--one", nargs=2, metavar=("MODEL", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:  # the child process
        print(json.dumps(_one(*args.one)))
        return None
    rows = []
    for name in args.model or MODELS:
        for mode in ("plain", "built"):
            done = subprocess.run([sys.executable, __file__, "--one", name, mode],
                                  capture_output=True, text=True, check=True)
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print("| model | batch | plain: traces | plain: s | built: traces | built: s | built / plain |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for plain, built in zip(rows[::2], rows[1::2]):
        print(f"| {plain['model']} | {plain['batch']} | {plain['traces']} | {plain['seconds']:.1f} "
              f"| {built['traces']} | {built['seconds']:.1f} | {built['seconds'] / plain['seconds']:.2f} |")
    return rows


if __name__ == "__main__":
    main()
