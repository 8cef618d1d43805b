"""Reads back what the diagnostics wrote to TensorBoard."""

import collections
import glob
import os

import tensorflow as tf


def read_events(log_dir):
    """`{tag: [(step, value), ...]}` from every event file under `log_dir`."""
    found = collections.defaultdict(list)
    pattern = os.path.join(log_dir, "**", "events.out.tfevents.*")
    for path in sorted(glob.glob(pattern, recursive=True)):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                found[value.tag].append((event.step, tf.make_ndarray(value.tensor)))
    return dict(found)
