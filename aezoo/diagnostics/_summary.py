"""TensorBoard writing shared by the diagnostics (`tf.summary`)."""

import contextlib
import math

import numpy as np
import tensorflow as tf


def open_writer(log_dir):
    """A summary writer for `log_dir`, or `None` when there is no log dir."""
    return tf.summary.create_file_writer(str(log_dir)) if log_dir else None


@contextlib.contextmanager
def writer_for(log_dir):
    """A writer that is flushed and closed on exit (for one-off checks)."""
    writer = open_writer(log_dir)
    try:
        yield writer
    finally:
        if writer is not None:
            writer.close()


def write_scalars(writer, step, scalars):
    if writer is None or not scalars:
        return
    with writer.as_default(step=int(step)):
        for tag, value in scalars.items():
            tf.summary.scalar(tag, float(value))


def write_histograms(writer, step, arrays):
    if writer is None or not arrays:
        return
    with writer.as_default(step=int(step)):
        for tag, values in arrays.items():
            tf.summary.histogram(tag, values)


def write_verdict(writer, verdict, step):
    """Writes a verdict's numbers, histograms and message under its check name."""
    if writer is None:
        return
    prefix = verdict.check
    scalars = {f"{prefix}/ok": float(verdict.ok)}
    for name, value in verdict.numbers.items():
        if value is not None and math.isfinite(float(value)):
            scalars[f"{prefix}/{name}"] = value
    write_scalars(writer, step, scalars)
    write_histograms(
        writer,
        step,
        {
            f"{prefix}/{name}": np.asarray(values, np.float64)
            for name, values in verdict.histograms.items()
            if np.size(values)
        },
    )
    with writer.as_default(step=int(step)):
        tf.summary.text(f"{prefix}/verdict", str(verdict))
    writer.flush()


def log_verdict(verdict, log_dir, step):
    """Writes `verdict` to a one-off writer for `log_dir` (if any); returns it."""
    with writer_for(log_dir) as writer:
        write_verdict(writer, verdict, step)
    return verdict


def close_with_verdict(writer, verdict, step, verbose):
    """A callback's end of training: writes the verdict, closes, prints it."""
    write_verdict(writer, verdict, step)
    if writer is not None:
        writer.close()
    if verbose:
        print(verdict)
