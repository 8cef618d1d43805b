"""`ResumableBackup`: `BackupAndRestore` that resumes where the optimizer is.

Keras' `BackupAndRestore` (keras 3.15) writes the epoch it is in from a
counter that starts at 0 and is not set to the restored epoch. Backups
written during the first epoch of a resumed call therefore say "epoch 0",
and a second resume starts the epochs over while the weights, the optimizer
step and a step-based learning-rate schedule carry on: a 20-epoch cosine
recipe interrupted twice would train far past its schedule's end at a
learning rate of 0.

`ResumableBackup` takes the epoch to resume at from the optimizer's step
count, which is saved with the weights: `iterations // steps_per_epoch`.
A run killed mid-epoch redoes that epoch's batches (Keras restores whole
epochs only), so its optimizer ends a few steps past the schedule.
"""

import keras


class ResumableBackup(keras.callbacks.BackupAndRestore):
    """`BackupAndRestore` whose resume epoch follows the optimizer's step.

    Args:
        backup_dir: folder of the backup (as for `BackupAndRestore`).
        steps_per_epoch: optimizer steps in one epoch, or `None` when not
            known (then Keras' own recorded epoch is used).
        **kwargs: passed to `keras.callbacks.BackupAndRestore`.

    Example:

    ```python
    backup = ResumableBackup("runs/x/backup", steps_per_epoch=125,
                             save_freq=25, delete_checkpoint=False)
    model.fit(data, epochs=20, callbacks=[backup])
    ```
    """

    def __init__(self, backup_dir, steps_per_epoch=None, **kwargs):
        super().__init__(backup_dir, **kwargs)
        self.steps_per_epoch = steps_per_epoch

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        epoch = self.model._initial_epoch or 0
        optimizer = self.model.optimizer
        if self.steps_per_epoch and optimizer is not None and optimizer.built:
            epoch = int(optimizer.iterations.numpy()) // self.steps_per_epoch
        self.model._initial_epoch = epoch
        # Keras leaves this at 0 after a restore (the bug described above).
        self._current_epoch = epoch
