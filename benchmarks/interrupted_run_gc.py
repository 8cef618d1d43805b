"""How long the garbage collection that frees an interrupted run takes.

    AEZOO_MNIST_DIR=../shared/data/mnist .venv/bin/python benchmarks/interrupted_run_gc.py \
        --wait 60 --load "KERAS_BACKEND=jax .venv/bin/python -m tests.backends.train_every_recipe /tmp/load"

Trains `mlp_autoencoder` (10 steps an epoch, no diagnostics) and raises
from a callback at step 7, as a crash or Ctrl-C would. The exception is kept
for `--wait` seconds (as a notebook's last traceback, or `pytest.raises`,
keeps it), then dropped, and the script times the full `gc.collect()` that
frees it.

The run's tf.data iterators live on in reference cycles (the exception's
frames, Keras' epoch iterator and its generator) until a collection, and
deleting one waits for its threads, the autotuning thread among them.
`--load` runs a shell command beside it (another process keeping the cores
busy, as a second pytest worker does), started 20 s before the run; the
pause needs such a load to show, and not every run shows it
(docs/BENCHMARKS.md, "The test suite's time (session 19)").
aezoo's pipelines run without tf.data's autotuning since session 19;
`--autotune` turns it back on, to see the pause.
"""

import argparse
import gc
import os
import pathlib
import signal
import subprocess
import tempfile
import time

import keras

from aezoo import training


class _Interrupt(Exception):
    pass


class _InterruptAtStep(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.optimizer.iterations.numpy()) == 7:
            raise _Interrupt()


def _with_autotune():
    """aezoo's input pipelines with tf.data's autotuning thread."""
    import importlib

    import tensorflow as tf

    load = importlib.import_module("aezoo.data.load")  # `aezoo.data.load` is also a function
    for_model = importlib.import_module("aezoo.data.for_model")
    finish = load.finish

    def finish_with_autotune(batches, deterministic):
        options = tf.data.Options()
        options.autotune.enabled = True
        return finish(batches, deterministic).with_options(options)

    load.finish = for_model.finish = finish_with_autotune


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wait", type=float, default=60.0)
    parser.add_argument("--load", default=None)
    parser.add_argument("--autotune", action="store_true",
                        help="tf.data's autotuning on, as aezoo's pipelines had it before session 19")
    args = parser.parse_args()
    if args.autotune:
        _with_autotune()
    # Its own process group: stopping the shell alone would leave the
    # command it started running.
    load = subprocess.Popen(args.load, shell=True, start_new_session=True) if args.load else None
    try:
        if load:
            time.sleep(20)
        seconds, collected = _collect_after_an_interrupted_run(args.wait)
    finally:
        if load:
            os.killpg(load.pid, signal.SIGKILL)
    print(f"wait={args.wait:g} s load={'yes' if load else 'no'} autotune={args.autotune}: "
          f"gc.collect() took {seconds:.2f} s ({collected} objects)")


def _collect_after_an_interrupted_run(wait):
    """Seconds and objects of the collection that frees a run interrupted
    `wait` seconds before."""
    gc.disable()
    out = pathlib.Path(tempfile.mkdtemp())
    try:
        training.train(
            "mlp_autoencoder", out=out, epochs=2, callbacks=[_InterruptAtStep()], verbose=0,
            overrides=["fit.steps_per_epoch=10", "fit.checkpoint_every_steps=5",
                       "fit.validation_steps=1", "diagnostics.checks=[]"],
        )
    except _Interrupt as error:
        kept = error  # alive for a while, as a traceback shown in a notebook is
    time.sleep(wait)
    del kept  # now garbage, in reference cycles
    start = time.perf_counter()
    collected = gc.collect()
    return time.perf_counter() - start, collected

if __name__ == "__main__":
    main()
