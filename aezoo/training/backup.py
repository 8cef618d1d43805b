"""`ResumableBackup`: `BackupAndRestore` that resumes at the step it stopped.

Keras' `BackupAndRestore` (keras 3.15) restores whole epochs only: a run
killed mid-epoch redoes that epoch's batches from its first, so the
optimizer (and a step-based learning-rate schedule) ends past the recipe's
steps, and the epoch counter that the resume starts from (`iterations //
steps_per_epoch` or Keras' own, which is not set to the restored epoch and
records "epoch 0" in backups written during a resumed call's first epoch)
drifts away from the epochs really trained: killed at step 50, then mid
epoch 3, a third call started at epoch 4.

`ResumableBackup` keeps the optimizer's step count as the one truth: a
resumed call starts at epoch `iterations // steps_per_epoch` and ends that
epoch after the steps it still lacks (`iterations % steps_per_epoch` were
done), so however often and wherever a run is killed, it runs the epochs and
the steps of an uninterrupted run. The backup of an epoch's last step is
written at the epoch's end, after the callbacks before it in the list (the
history row, the checkpoints); rows a killed call wrote for epochs the
backup does not hold are dropped from `history_file` when the run resumes.
The private parts of `BackupAndRestore` it sets are reached through
`aezoo.keras_workarounds` (`resume_at_epoch`, `save_backup`).
"""

import pathlib

import keras

from aezoo.keras_workarounds import restored_epoch
from aezoo.keras_workarounds import resume_at_epoch
from aezoo.keras_workarounds import save_backup


class ResumableBackup(keras.callbacks.BackupAndRestore):
    """`BackupAndRestore` that resumes mid-epoch at the optimizer's step.

    Args:
        backup_dir: folder of the backup (as for `BackupAndRestore`).
        steps_per_epoch: optimizer steps in one epoch, or `None` when not
            known (then Keras' own recorded epoch is used, and a killed
            epoch is redone whole).
        history_file: optional `CSVLogger` file of the run: on resume, its
            rows of the epochs from the resumed one on are dropped (a call
            killed after writing an epoch's row but before its backup).
        **kwargs: passed to `keras.callbacks.BackupAndRestore`.

    Example:

    ```python
    backup = ResumableBackup("runs/x/backup", steps_per_epoch=125,
                             save_freq=25, delete_checkpoint=False)
    model.fit(data, epochs=20, steps_per_epoch=125, callbacks=[backup])
    ```
    """

    def __init__(self, backup_dir, steps_per_epoch=None, history_file=None, **kwargs):
        super().__init__(backup_dir, **kwargs)
        self.steps_per_epoch = steps_per_epoch
        self.history_file = history_file
        self._resumed_steps = 0  # steps of the first epoch done before this call
        self._epoch_offset = 0
        self._ended_epoch_early = False

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        epoch = restored_epoch(self.model)
        optimizer = self.model.optimizer
        self._resumed_steps = 0
        if self.steps_per_epoch and optimizer is not None and optimizer.built:
            epoch, self._resumed_steps = divmod(
                int(optimizer.iterations.numpy()), self.steps_per_epoch
            )
        resume_at_epoch(self.model, self, epoch)
        if self.history_file is not None:
            _drop_rows_from(self.history_file, epoch)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_offset, self._resumed_steps = self._resumed_steps, 0

    def on_train_batch_end(self, batch, logs=None):
        if self.steps_per_epoch and self._epoch_offset + batch + 1 >= self.steps_per_epoch:
            # The epoch's last step: backed up at the epoch's end. A resumed
            # epoch ends here, before Keras' full count of steps.
            if self._epoch_offset and not self.model.stop_training:
                self.model.stop_training = True
                self._ended_epoch_early = True
            return
        super().on_train_batch_end(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self._ended_epoch_early:
            self.model.stop_training = False  # go on with the next epoch
            self._ended_epoch_early = False
        super().on_epoch_end(epoch, logs)
        if self.save_freq != "epoch":
            save_backup(self)


def _drop_rows_from(history_file, epoch):
    """Keeps the header and the complete rows of epochs before `epoch` in a
    `CSVLogger` file, rewritten in place (a logger holding it open in append
    mode goes on writing at its new end)."""
    path = pathlib.Path(history_file)
    if not path.is_file():
        return
    with open(path, "r+", newline="") as handle:
        lines = handle.readlines()
        kept = lines[:1] + [line for line in lines[1:] if _row_epoch(line) < epoch]
        if kept != lines:
            handle.seek(0)
            handle.writelines(kept)
            handle.truncate()


def _row_epoch(line):
    first = line.split(",", 1)[0]
    if not line.endswith("\n") or not first.isdigit():
        return float("inf")  # a row cut short by a kill
    return int(first)
