"""`PeriodicCheck`: the base of the callbacks that run a check at epoch ends."""

import keras

from aezoo.diagnostics import _summary


class PeriodicCheck(keras.callbacks.Callback):
    """Runs `measure()` every `freq` epochs; writes, keeps and prints the verdict.

    Subclasses implement `measure()`, returning a `Verdict` for
    `self.model`. The verdicts are kept in `history` as `(epoch, verdict)`,
    the latest in `verdict`; each is written to TensorBoard at the
    optimizer's current iteration; the last one is printed at the end of
    training (measured then if the last epoch was not a multiple of `freq`).
    """

    def __init__(self, freq=1, log_dir=None, verbose=1):
        super().__init__()
        if not isinstance(freq, int) or isinstance(freq, bool) or freq < 1:
            raise ValueError(f"`freq` must be an integer >= 1. Received: freq={freq!r}")
        self.freq = freq
        self.log_dir = log_dir
        self.verbose = verbose
        self.history = []
        self.verdict = None
        self._writer = None
        self._epoch = None

    def measure(self):
        raise NotImplementedError

    def on_train_begin(self, logs=None):
        self._writer = _summary.open_writer(self.log_dir)

    def on_epoch_end(self, epoch, logs=None):
        self._epoch = epoch
        if (epoch + 1) % self.freq == 0:
            self._run(epoch)

    def on_train_end(self, logs=None):
        if self._epoch is not None and (not self.history or self.history[-1][0] != self._epoch):
            self._run(self._epoch)
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self.verbose and self.verdict is not None:
            print(self.verdict)

    def _run(self, epoch):
        self.verdict = self.measure()
        self.history.append((epoch, self.verdict))
        step = int(self.model.optimizer.iterations.numpy())
        _summary.write_verdict(self._writer, self.verdict, step)
