"""Loss spikes, and whether the gradient norm spiked first (seed 000)."""

import keras
import numpy as np

from aezoo.diagnostics import _series
from aezoo.diagnostics import _summary
from aezoo.diagnostics.verdict import Verdict

CHECK = "loss_spikes"


def find_loss_spikes(
    losses,
    gradient_norms=None,
    steps=None,
    window=20,
    factor=3.0,
    gradient_factor=3.0,
    lookback=2,
    min_history=5,
    log_dir=None,
):
    """Finds the steps where the loss jumps far above its running level.

    A step is a spike when its loss exceeds `factor` times the median loss of
    the `window` steps before it, or is not finite; consecutive spike steps
    form one spike. For each spike, the global gradient norm is compared in
    the same way with its own running median at the spike's first step and
    the `lookback` steps before it: a gradient-norm spike there (the
    gradient blew up, then the loss) is the signature of exploding gradients
    (seed 000: every loss spike came with a gradient norm > 10x its median).
    The loss must be non-negative (a squared error, a cross-entropy).

    Args:
        losses: per-step training losses (not Keras' running epoch mean:
            `GradientStatistics.losses` has the per-step values).
        gradient_norms: per-step global gradient norms, aligned with
            `losses` (`GradientStatistics.global_norms`), or `None`.
        steps: the step numbers of the entries (default `0, 1, ...`).
        window: steps of the running median. Defaults to 20.
        factor: loss / running median above which a step is a spike.
            Defaults to 3.0.
        gradient_factor: the same for the gradient norm. Defaults to 3.0.
        lookback: steps before a spike in which a gradient-norm spike counts
            as coming first. Defaults to 2.
        min_history: earlier finite steps needed before a step can be judged.
            Defaults to 5.
        log_dir: TensorBoard log directory for the per-step loss ratio and
            the verdict, or `None`. Defaults to `None`.

    Returns:
        A `Verdict`, `ok` when there is no spike. Numbers: `spike_count`,
        `spikes_with_gradient_spike`, `gradient_spikes_before_loss` (spikes
        whose gradient spike came strictly before the loss spike),
        `max_loss_ratio`; details: `spikes`, one dict per spike (`step`,
        `length`, `loss`, `running_median`, `loss_ratio` (at `step`),
        `peak_loss_ratio` (over the spike's steps), and with gradient
        norms `gradient_ratio`, `gradient_step`, `gradient_spike`,
        `gradient_spike_before`).

    Example:

    >>> stats = GradientStatistics()
    >>> model.fit(x, y, callbacks=[stats])
    >>> verdict = find_loss_spikes(stats.losses, stats.global_norms, stats.steps)
    >>> verdict.ok, verdict["spike_count"]
    (False, 3)
    """
    losses = np.asarray([np.nan if v is None else v for v in losses], np.float64)
    steps = np.arange(len(losses)) if steps is None else np.asarray(steps)
    if len(steps) != len(losses):
        raise ValueError(
            f"`steps` must be as long as `losses`. Received: {len(steps)} steps, "
            f"{len(losses)} losses"
        )
    if gradient_norms is not None:
        gradient_norms = np.asarray(gradient_norms, np.float64)
        if len(gradient_norms) != len(losses):
            raise ValueError(
                "`gradient_norms` must be aligned with `losses`. Received: "
                f"{len(gradient_norms)} gradient norms, {len(losses)} losses"
            )
    if not len(losses):
        return Verdict(CHECK, True, "No training step recorded.", {"steps": 0, "spike_count": 0})
    loss_ratios, loss_medians = _series.running_median_ratios(losses, window, min_history)
    if gradient_norms is not None:
        gradient_ratios, _ = _series.running_median_ratios(gradient_norms, window, min_history)
    spikes = []
    for start, stop in _series.runs(loss_ratios > factor):
        spike = {
            "step": int(steps[start]),
            "length": stop - start,
            "loss": float(losses[start]),
            "running_median": float(loss_medians[start]),
            "loss_ratio": float(loss_ratios[start]),
            "peak_loss_ratio": float(np.max(loss_ratios[start:stop])),
        }
        if gradient_norms is not None:
            before = gradient_ratios[max(0, start - lookback) : start + 1]
            before = np.where(np.isnan(before), 0.0, before)
            peak = int(np.argmax(before))
            spike["gradient_ratio"] = float(before[peak])
            spike["gradient_step"] = int(steps[max(0, start - lookback) + peak])
            spike["gradient_spike"] = bool(before[peak] > gradient_factor)
            spike["gradient_spike_before"] = bool(np.any(before[:-1] > gradient_factor))
        spikes.append(spike)

    numbers = {
        "steps": len(losses),
        "spike_count": len(spikes),
        "max_loss_ratio": _max(loss_ratios),
    }
    if gradient_norms is not None:
        numbers["spikes_with_gradient_spike"] = sum(s["gradient_spike"] for s in spikes)
        numbers["gradient_spikes_before_loss"] = sum(s["gradient_spike_before"] for s in spikes)
    verdict = Verdict(
        CHECK,
        not spikes,
        _message(spikes, numbers, window, factor, gradient_factor),
        numbers,
        details={"spikes": spikes},
    )
    with _summary.writer_for(log_dir) as writer:
        _write_series(writer, steps, losses, loss_ratios)
        _summary.write_verdict(writer, verdict, int(steps[-1]))
    return verdict


def _max(values):
    values = values[~np.isnan(values)]
    return float(np.max(values)) if len(values) else float("nan")


def _message(spikes, numbers, window, factor, gradient_factor):
    if not spikes:
        return (
            f"No loss spike in {numbers['steps']} steps (none above {factor:g}x the "
            f"running median of the previous {window} steps)."
        )
    first = spikes[0]
    text = (
        f"{len(spikes)} loss spike(s) in {numbers['steps']} steps; the first at step "
        f"{first['step']}: loss {first['loss']:.4g} = {first['loss_ratio']:.3g}x the "
        f"running median {first['running_median']:.4g}"
        f"{' (then non-finite)' if np.isinf(first['peak_loss_ratio']) else ''}."
    )
    if "spikes_with_gradient_spike" not in numbers:
        return text + (
            " No gradient norms given: record them with GradientStatistics to see "
            "whether the gradients exploded first."
        )
    if numbers["spikes_with_gradient_spike"]:
        return text + (
            f" {numbers['spikes_with_gradient_spike']} of them came with a gradient-norm "
            f"spike (> {gradient_factor:g}x its running median) at the same or a "
            f"preceding step ({numbers['gradient_spikes_before_loss']} strictly before): "
            "exploding gradients. Clip gradients by global norm (global_clipnorm=1.0), "
            "lower the learning rate, and average (not sum) the loss."
        )
    return text + (
        " The gradient norm did not spike before them: look at the data (an "
        "outlier batch) or the learning-rate schedule."
    )


def _write_series(writer, steps, losses, ratios):
    if writer is None:
        return
    for step, loss, ratio in zip(steps, losses, ratios):
        scalars = {f"{CHECK}/step_loss": loss}
        if np.isfinite(ratio):
            scalars[f"{CHECK}/loss_to_running_median"] = ratio
        _summary.write_scalars(writer, step, scalars)


class LossSpikeDetector(keras.callbacks.Callback):
    """Flags loss spikes during `fit`, and whether the gradient norm spiked first.

    With a `GradientStatistics` callback (in the same `fit`) it uses the
    exact per-step losses and global gradient norms it records. Without
    one, it recovers each step's loss from Keras' running epoch mean in
    `logs["loss"]` (exact for equal batch sizes; a smaller last batch of an
    epoch is slightly off) and cannot tell whether the gradients spiked.

    At every epoch end it writes `loss_spikes/step_loss` and
    `loss_spikes/loss_to_running_median` for the new steps to TensorBoard;
    at the end of training it runs `find_loss_spikes` over the whole run,
    keeps the `Verdict` in `verdict`, writes and prints it.

    Args:
        gradient_statistics: a `GradientStatistics` callback passed to the
            same `fit`, or `None`. Defaults to `None`.
        window: see `find_loss_spikes`. Defaults to 20.
        factor: see `find_loss_spikes`. Defaults to 3.0.
        gradient_factor: see `find_loss_spikes`. Defaults to 3.0.
        lookback: see `find_loss_spikes`. Defaults to 2.
        min_history: see `find_loss_spikes`. Defaults to 5.
        log_dir: TensorBoard log directory, or `None`. Defaults to `None`.
        verbose: print the verdict at the end of training. Defaults to 1.

    Example:

    ```python
    stats = GradientStatistics(log_dir="logs/run1")
    spikes = LossSpikeDetector(stats, log_dir="logs/run1")
    model.fit(train, epochs=5, callbacks=[stats, spikes])
    spikes.verdict.ok
    ```
    """

    def __init__(
        self,
        gradient_statistics=None,
        window=20,
        factor=3.0,
        gradient_factor=3.0,
        lookback=2,
        min_history=5,
        log_dir=None,
        verbose=1,
    ):
        super().__init__()
        self.gradient_statistics = gradient_statistics
        self.options = dict(
            window=window,
            factor=factor,
            gradient_factor=gradient_factor,
            lookback=lookback,
            min_history=min_history,
        )
        self.log_dir = log_dir
        self.verbose = verbose
        self.steps = []
        self.losses = []
        self.verdict = None
        self._writer = None
        self._written = 0
        self._epoch_start = 0
        self._previous = (0, 0.0)

    def on_train_begin(self, logs=None):
        self._writer = _summary.open_writer(self.log_dir)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = int(self.model.optimizer.iterations.numpy())
        self._previous = (0, 0.0)

    def on_train_batch_end(self, batch, logs=None):
        if not logs or "loss" not in logs:
            return
        # logs["loss"] is the mean over the epoch's batches so far.
        count, total = batch + 1, float(logs["loss"]) * (batch + 1)
        previous_count, previous_total = self._previous
        loss = (total - previous_total) / (count - previous_count)
        self._previous = (count, total)
        for offset in range(previous_count, count):
            self.steps.append(self._epoch_start + offset)
            self.losses.append(loss)

    def on_epoch_end(self, epoch, logs=None):
        steps, losses, _ = self._series()
        ratios, _ = _series.running_median_ratios(
            losses, self.options["window"], self.options["min_history"]
        )
        new = slice(self._written, None)
        _write_series(self._writer, steps[new], losses[new], ratios[new])
        self._written = len(steps)

    def on_train_end(self, logs=None):
        steps, losses, norms = self._series()
        self.verdict = find_loss_spikes(losses, norms, steps, **self.options)
        _summary.close_with_verdict(
            self._writer, self.verdict, int(steps[-1]) if len(steps) else 0, self.verbose
        )
        self._writer = None

    def _series(self):
        stats = self.gradient_statistics
        if stats is not None and stats.steps and all(v is not None for v in stats.losses):
            return (
                np.asarray(stats.steps),
                np.asarray(stats.losses, np.float64),
                np.asarray(stats.global_norms),
            )
        return np.asarray(self.steps), np.asarray(self.losses, np.float64), None
