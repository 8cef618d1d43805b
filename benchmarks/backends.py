"""Training-step and inference speed of aezoo models on TensorFlow and JAX.

Each measurement runs in its own process (the Keras backend is fixed per
process), and the backends take turns (TF, JAX, TF, JAX, ...), so a slow
moment of the machine falls on both; the figure is the median over the
rounds. One process: build the model (seed 0), one real batch
(the test split through `aezoo.data.for_model`), compile and warm up
(`train_on_batch` and `predict_on_batch` once each, which traces or jits
the step), then time a few training steps and as many inference calls (`CASES`).
Keras jits the whole training step on JAX (`jit_compile="auto"`); on
TensorFlow the step is a `tf.function` (XLA only where the model asks).

    python benchmarks/backends.py [--rounds 3]

Writes benchmarks/results/backends.json and prints a Markdown table
(quoted in docs/BENCHMARKS.md).
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
# (label, model, preset, overrides, batch, timed steps). The predictor's
# steps take seconds each: fewer of them.
CASES = [
    ("predictor (scan)", "convlstm_bidir_predictor", "default", {}, 16, 2),
    ("predictor (unrolled)", "convlstm_bidir_predictor", "default", {"unroll": True}, 16, 3),
    ("conv_autoencoder", "conv_autoencoder", "default", {}, 128, 10),
]
# Measured in the first round only: the gradient of the predictor's scan on
# JAX took 108 s a step at batch 16 (2.7 s on TensorFlow), so the process
# alone takes minutes.
FIRST_ROUND_ONLY = {("predictor (scan)", "jax")}
BACKENDS = ("tensorflow", "jax")


def worker(model_name, preset, overrides, batch, steps):
    """One process's measurement: seconds per training step and per inference."""
    import keras
    import numpy as np

    import aezoo
    from aezoo import data

    keras.utils.set_random_seed(0)
    model = aezoo.build(model_name, preset, **overrides)
    x, y = next(iter(data.for_model(model_name, "test", preset, batch_size=batch,
                                    model_overrides=overrides)))[:2]
    x = np.asarray(x)
    y = {k: np.asarray(v) for k, v in y.items()} if isinstance(y, dict) else np.asarray(y)
    start = time.perf_counter()
    model.train_on_batch(x, y)
    first_train = time.perf_counter() - start
    start = time.perf_counter()
    model.predict_on_batch(x)
    first_predict = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(steps):
        loss = model.train_on_batch(x, y)
    train_s = (time.perf_counter() - start) / steps
    start = time.perf_counter()
    for _ in range(steps):
        model.predict_on_batch(x)
    predict_s = (time.perf_counter() - start) / steps
    loss = float(loss[0] if isinstance(loss, (list, tuple)) else loss)
    return {
        "first_train_step_s": first_train, "first_predict_s": first_predict,
        "train_step_s": train_s, "predict_s": predict_s, "loss": loss,
    }


def run(backend, case):
    label, model_name, preset, overrides, batch, steps = case
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    code = (
        "import json, sys; sys.path.insert(0, 'benchmarks'); import backends; "
        f"print('RESULT', json.dumps(backends.worker({model_name!r}, {preset!r}, "
        f"{overrides!r}, {batch}, {steps})))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        raise RuntimeError(f"{backend} {label} failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "backends.json"))
    args = parser.parse_args()
    runs = {(case[0], backend): [] for case in CASES for backend in BACKENDS}
    for round_index in range(args.rounds):
        for case in CASES:
            for backend in BACKENDS if round_index % 2 == 0 else BACKENDS[::-1]:
                if round_index and (case[0], backend) in FIRST_ROUND_ONLY:
                    continue
                result = run(backend, case)
                runs[(case[0], backend)].append(result)
                print(f"round {round_index} {case[0]:22s} {backend:10s} "
                      f"train {result['train_step_s']:.4f} s/step, "
                      f"predict {result['predict_s']:.4f} s, first step "
                      f"{result['first_train_step_s']:.1f} s", flush=True)
    table = []
    for label, _, _, _, batch, _ in CASES:
        row = {"case": label, "batch": batch}
        for backend in BACKENDS:
            results = runs[(label, backend)]
            for key in ("train_step_s", "predict_s", "first_train_step_s"):
                row[f"{backend}_{key}"] = statistics.median(r[key] for r in results)
            row[f"{backend}_train_sequences_per_s"] = batch / row[f"{backend}_train_step_s"]
            row[f"{backend}_predict_sequences_per_s"] = batch / row[f"{backend}_predict_s"]
        row["jax_over_tf_train"] = row["jax_train_sequences_per_s"] / row["tensorflow_train_sequences_per_s"]
        row["jax_over_tf_predict"] = row["jax_predict_sequences_per_s"] / row["tensorflow_predict_sequences_per_s"]
        table.append(row)
    pathlib.Path(args.out).write_text(json.dumps(
        {"rounds": args.rounds, "cases": CASES, "cpu_count": os.cpu_count(), "rows": table,
         "runs": {f"{k[0]}|{k[1]}": v for k, v in runs.items()}}, indent=1))
    print("\n| case | batch | TF train seq/s | JAX train seq/s | JAX/TF | TF infer seq/s "
          "| JAX infer seq/s | JAX/TF | first step TF / JAX (s) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in table:
        print(f"| {row['case']} | {row['batch']} | {row['tensorflow_train_sequences_per_s']:.1f} | "
              f"{row['jax_train_sequences_per_s']:.1f} | {row['jax_over_tf_train']:.2f} | "
              f"{row['tensorflow_predict_sequences_per_s']:.1f} | {row['jax_predict_sequences_per_s']:.1f} | "
              f"{row['jax_over_tf_predict']:.2f} | {row['tensorflow_first_train_step_s']:.1f} / "
              f"{row['jax_first_train_step_s']:.1f} |")


if __name__ == "__main__":
    main()
