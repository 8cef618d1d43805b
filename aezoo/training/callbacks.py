"""The trainer's own callbacks: checkpoints renamed into place once whole,
and the run's training time over all calls."""

import os
import time

import keras

from aezoo.training import run_folder


class PublishCheckpoints(keras.callbacks.Callback):
    """Renames each checkpoint `ModelCheckpoint` wrote under a partial name
    into place, once whole: a kill or a full disk during a save leaves the
    previous `last.keras` / `best.keras` as they were.

    Args:
        partial_to_final: dict, the partial path of each checkpoint ->
            its final path.
    """

    def __init__(self, partial_to_final):
        super().__init__()
        self.partial_to_final = partial_to_final

    def on_epoch_end(self, epoch, logs=None):
        for partial, final in self.partial_to_final.items():
            if partial.exists():
                os.replace(partial, final)


class WallTime(keras.callbacks.Callback):
    """The run's training time over all calls.

    `total()`: the time recorded in `status.json` before this call plus
    this call's, counted from the callback's creation. Writes `status.json`
    ("running", time so far) after every epoch, so a killed run still
    records the time it spent.

    Args:
        run_dir: the run folder.
    """

    def __init__(self, run_dir):
        super().__init__()
        self.run_dir = run_dir
        self.before = run_folder.recorded_wall_time(run_dir)
        self.start = time.time()

    def total(self):
        return self.before + time.time() - self.start

    def on_epoch_end(self, epoch, logs=None):
        run_folder.write_status(self.run_dir, "running", self.total())
