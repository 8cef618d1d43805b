"""Wall time for each model's default recipe to reach its quality bar.

    AEZOO_MNIST_DIR=../shared/data/mnist .venv/bin/python benchmarks/time_to_quality.py

Each small model is trained with its default recipe (`recipes/NAME.default.toml`,
`aezoo.train`) in a temporary run folder. At the end of every epoch the
clock is paused and the bar of issue 6 is checked on a fixed random sample
of the held-out split (`evaluate(..., max_batches=N)`); the first epoch that
passes stops training and its training wall time (excluding the checks) is
reported. The bars are `aezoo.training.evaluate.quality_bar`'s.

The predictor's recipe takes about an hour here, so it is not rerun: its row
is read from the shipped artifact's card and run folder (validation frame
MSE per epoch in `runs/convlstm_bidir_predictor-default/history.csv`; the
median epoch time from its TensorBoard logs), with `--predictor-run` to
point elsewhere.
"""

import argparse
import csv
import pathlib
import tempfile
import time

import keras

import aezoo
from aezoo.models.convlstm_bidir_predictor.metrics import PREDICTOR_FUTURE_TO_ZERO
from aezoo.training.evaluate import evaluate
from aezoo.training.evaluate import quality_bar

CHECK_BATCHES = {
    "conv_autoencoder": 20,
    "lstm_sequence_classifier": 20,
    "sparse_autoencoder": 20,
    "mlp_autoencoder": 20,
}


class _UntilBar(keras.callbacks.Callback):
    def __init__(self, name):
        super().__init__()
        self.name = name
        self.training_seconds = 0.0
        self.reached_at = None
        self.epochs = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.training_seconds += time.perf_counter() - self._start
        self.epochs = epoch + 1
        metrics = evaluate(self.model, self.name, max_batches=CHECK_BATCHES[self.name])
        if quality_bar(self.name, metrics)[0]:
            self.reached_at = self.training_seconds
            self.model.stop_training = True


def small_model(name):
    with tempfile.TemporaryDirectory() as folder:
        until = _UntilBar(name)
        start = time.perf_counter()
        aezoo.train(name, out=pathlib.Path(folder) / "run", callbacks=[until], verbose=0)
        total = time.perf_counter() - start
    return {
        "model": name,
        "seconds_to_bar": until.reached_at,
        "epochs": until.epochs,
        "training_seconds": until.training_seconds,
        "total_seconds_with_checks": total,
    }


def predictor(run_dir):
    run_dir = pathlib.Path(run_dir)
    card = aezoo.artifact.read_card("convlstm_bidir_predictor")
    bar = PREDICTOR_FUTURE_TO_ZERO * card["metrics"]["baseline_zero_frame_mse_future"]
    with open(run_dir / "history.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    epoch_s = _median_epoch_seconds(run_dir)
    reached = next((row for row in rows if float(row["val_future_frame_mse"]) <= bar), None)
    # The run was resumed several times; a row's epoch number counts the
    # optimizer's epochs (aezoo.training.backup.ResumableBackup).
    all_epochs = int(rows[-1]["epoch"]) + 1
    epochs = int(reached["epoch"]) + 1 if reached else all_epochs
    return {
        "model": "convlstm_bidir_predictor",
        "seconds_to_bar": None if reached is None else epochs * epoch_s,
        "epochs": epochs,
        "training_seconds": all_epochs * epoch_s,
        "total_seconds_with_checks": all_epochs * epoch_s,
        "note": f"bar {bar:.1f} on the validation sample; {epoch_s:.0f} s per epoch (median "
        "of the run's epochs, from its TensorBoard timestamps)",
    }


def _median_epoch_seconds(run_dir):
    """Median time between consecutive epoch-end validation summaries of the
    same `fit` call (TensorBoard event timestamps): epoch, validation and
    callbacks included; the gaps across resumes are not counted."""
    import statistics

    import tensorflow as tf
    from tensorflow.core.util import event_pb2

    gaps = []
    for path in sorted((run_dir / "logs" / "validation").glob("events.out.tfevents.*")):
        times = []
        for record in tf.data.TFRecordDataset(str(path)):
            event = event_pb2.Event.FromString(record.numpy())
            if any(value.tag == "epoch_loss" for value in event.summary.value):
                times.append(event.wall_time)
        gaps += [later - earlier for earlier, later in zip(times, times[1:])]
    if not gaps:
        raise ValueError(f"No two consecutive epochs logged in {run_dir / 'logs' / 'validation'}.")
    return statistics.median(gaps)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="model name (repeatable)")
    parser.add_argument("--predictor-run", default="runs/convlstm_bidir_predictor-default")
    args = parser.parse_args(argv)
    names = args.only or [*CHECK_BATCHES, "convlstm_bidir_predictor"]
    rows = []
    for name in names:
        if name == "convlstm_bidir_predictor":
            if pathlib.Path(args.predictor_run, "history.csv").exists():
                rows.append(predictor(args.predictor_run))
        else:
            rows.append(small_model(name))
    print(table(rows))
    return rows


def table(rows):
    lines = ["| model | time to bar | epochs | training time in all |", "|---|---:|---:|---:|"]
    for row in rows:
        reached = "not reached" if row["seconds_to_bar"] is None else f"{row['seconds_to_bar']:.1f} s"
        lines.append(
            f"| {row['model']} | {reached} | {row['epochs']} | {row['training_seconds']:.1f} s |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
