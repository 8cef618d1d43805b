"""`GradientStatistics`: the real gradients of `model.fit`, step by step."""

import math

import keras
import numpy as np
import tensorflow as tf

from aezoo.diagnostics import _series
from aezoo.diagnostics import _summary
from aezoo.diagnostics.verdict import Verdict
from aezoo.keras_workarounds import override_method

CHECK = "gradient_statistics"
# The backends whose train step calls the optimizer's `apply` and `scale_loss`
# where the tap can see them (TensorFlow in a traced function, JAX in a jitted
# stateless step).
BACKENDS = ("tensorflow", "jax")


class GradientStatistics(keras.callbacks.Callback):
    """Records the gradients that `model.fit` applies, at every training step.

    Keras' `TensorBoard(histogram_freq=...)` logs weights, not gradients. This
    callback records the gradients of the real training step (the same batch,
    the same loss, before the optimizer clips them) and logs to TensorBoard:

    - `gradients/global_norm`: the global gradient norm, every
      `update_freq` steps;
    - `gradients/clipping_active`: 1 at the steps where the optimizer's
      clipping (`global_clipnorm`, `clipnorm` or `clipvalue`) changed the
      gradients, if the optimizer clips;
    - `gradient_norms/<variable path>` and
      `gradient_histograms/<variable path>`: every `histogram_freq` steps.

    How: at `on_train_begin` the callback wraps the optimizer's `apply` (and
    `scale_loss`, to record each step's loss) on that optimizer instance
    only, and retraces the train function. On TensorFlow the wrapper copies
    per-variable gradient norms (and the gradients themselves, for
    histograms) into non-trainable `tf.Variable`s inside the traced step, so
    it works in graph mode, with `jit_compile=True` and with
    `steps_per_execution > 1`. On JAX (whose jitted train step is stateless
    and calls `apply` through `stateless_apply`) it sends them to the host
    with `jax.debug.callback`.
    `on_train_end` removes the wrapper and retraces again, so the model, its
    optimizer and `model.save()` are as before.

    The history stays in memory for plotting and for the other checks
    (`LossSpikeDetector(gradient_statistics=...)`): `steps` (the optimizer's
    iteration count of each step, 0-based), `global_norms`, `losses`,
    `clipping_active`, and `variable_norms` (one array per step, ordered as
    `variable_paths`; divide by `sqrt(variable_sizes)` for the RMS), and
    `clipping`, the optimizer's `(kind, threshold)` or `None`. At the end
    of training it prints a `Verdict` (also in `verdict`): non-finite
    gradients, or global-norm spikes above `spike_factor` times the running
    median of the previous `spike_window` steps (exploding gradients), are
    problems.

    Args:
        log_dir: TensorBoard log directory, or `None` to keep everything in
            memory only. Defaults to `None`.
        histogram_freq: write per-variable gradient norms and histograms every
            this many steps (`0`: never, and the gradients themselves are
            not copied). Defaults to 100.
        update_freq: write the global norm every this many steps.
            Defaults to 1.
        spike_window: steps of the running median. Defaults to 20.
        spike_factor: a step whose global norm exceeds this many times the
            running median is a gradient spike. Defaults to 10.0.
        verbose: print the verdict at the end of training. Defaults to 1.

    Example:

    ```python
    model = aezoo.build("convlstm_bidir_predictor", "as_posted")
    stats = aezoo.diagnostics.GradientStatistics(log_dir="logs/grads", histogram_freq=50)
    model.fit(train, epochs=1, callbacks=[stats])
    stats.global_norms[:5], stats.verdict.ok
    ```

    Limitations: TensorFlow and JAX backends. With `histogram_freq > 0` a copy of
    every gradient is kept (as much memory again as the trainable weights).
    With `steps_per_execution > 1`
    every step's norms are recorded but histograms show the last step of
    each execution. Under a multi-replica `tf.distribute` strategy the
    record is replica 0's local gradient (before the all-reduce). The
    recorded loss is the one passed to `optimizer.scale_loss` (what Keras'
    `train_step` does); a custom `train_step` that does not call it gets no
    per-step losses (`losses` holds `None`). With a `LossScaleOptimizer`
    (mixed precision) the gradients are recorded unscaled, and the steps it
    skips for non-finite gradients are not recorded.
    """

    def __init__(
        self,
        log_dir=None,
        histogram_freq=100,
        update_freq=1,
        spike_window=20,
        spike_factor=10.0,
        verbose=1,
    ):
        super().__init__()
        for name, value, minimum in (
            ("histogram_freq", histogram_freq, 0),
            ("update_freq", update_freq, 1),
            ("spike_window", spike_window, 2),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
                raise ValueError(
                    f"`{name}` must be an integer >= {minimum}. Received: {name}={value!r}"
                )
        if not spike_factor > 1.0:
            raise ValueError(
                f"`spike_factor` must be > 1. Received: spike_factor={spike_factor!r}"
            )
        self.log_dir = log_dir
        self.histogram_freq = histogram_freq
        self.update_freq = update_freq
        self.spike_window = spike_window
        self.spike_factor = float(spike_factor)
        self.verbose = verbose
        self.steps = []
        self.global_norms = []
        self.losses = []
        self.clipping_active = []
        self.variable_norms = []
        self.variable_paths = []
        self.variable_sizes = []
        self.clipping = None
        self.verdict = None
        self._tap = None
        self._writer = None

    def on_train_begin(self, logs=None):
        if keras.backend.backend() not in BACKENDS:
            raise ValueError(
                "GradientStatistics records the gradients inside the train step of "
                f"the {' or '.join(BACKENDS)} backend. Received: "
                f"backend={keras.backend.backend()!r}. Leave `gradient_statistics` out "
                "of the recipe's [diagnostics] checks, or set KERAS_BACKEND=tensorflow."
            )
        if getattr(self.model, "optimizer", None) is None:
            raise ValueError("GradientStatistics needs a compiled model (no optimizer).")
        if self._tap is not None:  # an earlier fit() ended without on_train_end
            self._tap.remove()
        self._tap = _OptimizerTap(self.model, keep_gradients=self.histogram_freq > 0)
        self.variable_paths = [v.path for v in self._tap.variables]
        self.variable_sizes = [int(np.prod(v.shape)) for v in self._tap.variables]
        self.clipping = _clipping(self._tap.optimizer)
        self._tap.install()
        # fit() made (not yet traced) its train function before this call; a
        # function traced in an earlier fit() would not see the wrapper.
        self.model.make_train_function(force=True)
        self._writer = _summary.open_writer(self.log_dir)

    def on_train_batch_end(self, batch, logs=None):
        self._collect()

    def on_train_end(self, logs=None):
        self._collect()
        self._tap.remove()
        self._tap = None
        self.model.make_train_function(force=True)
        self.verdict = self.check()
        _summary.close_with_verdict(
            self._writer, self.verdict, self.steps[-1] if self.steps else 0, self.verbose
        )
        self._writer = None

    def check(self):
        """A `Verdict` on the steps recorded so far (non-finite gradients, spikes)."""
        norms = np.asarray(self.global_norms, np.float64)
        if not len(norms):
            return Verdict(CHECK, True, "No training step recorded.", {"steps": 0})
        finite = np.isfinite(norms)
        ratios, _ = _series.running_median_ratios(
            norms, self.spike_window, min(5, self.spike_window)
        )
        spikes = np.flatnonzero(finite & (ratios > self.spike_factor))
        non_finite = np.flatnonzero(~finite)
        clipped = float(np.mean(self.clipping_active)) if self.clipping else 0.0
        numbers = {
            "steps": len(norms),
            "median_global_norm": float(np.median(norms[finite])) if finite.any() else math.nan,
            "max_global_norm": float(np.max(norms[finite])) if finite.any() else math.nan,
            "last_global_norm": float(norms[-1]),
            "non_finite_count": len(non_finite),
            "spike_count": len(spikes),
            "clipped_fraction": clipped,
        }
        details = {
            "spike_steps": [self.steps[i] for i in spikes],
            "non_finite_steps": [self.steps[i] for i in non_finite],
        }
        if finite.any():
            summary = (
                f"global gradient norm over {len(norms)} steps: median "
                f"{numbers['median_global_norm']:.3g}, max {numbers['max_global_norm']:.3g} "
                f"(step {self.steps[int(np.nanargmax(np.where(finite, norms, np.nan)))]})"
            )
        else:
            summary = f"every one of the {len(norms)} steps had a non-finite gradient"
        if self.clipping:
            kind, threshold = self.clipping
            summary += f"; clipping ({kind}={threshold:g}) active on {100 * clipped:.0f}% of steps"
        else:
            summary += "; no gradient clipping"
        problems = []
        if len(non_finite):
            problems.append(
                f"non-finite gradients at {len(non_finite)} steps (first at step "
                f"{self.steps[non_finite[0]]}): the loss diverged"
            )
        if len(spikes):
            problems.append(
                f"{len(spikes)} steps with a global norm above {self.spike_factor:g}x "
                f"its running median (first at step {self.steps[spikes[0]]}, "
                f"{ratios[spikes[0]]:.3g}x): exploding gradients"
            )
        if problems:
            advice = (
                "Clip gradients by global norm (optimizer global_clipnorm=1.0), "
                "lower the learning rate, and average (not sum) the loss."
            )
            message = f"{_capitalized('; '.join(problems))}. {_capitalized(summary)}. {advice}"
        else:
            message = f"Gradients finite and without spikes; {summary}."
        return Verdict(CHECK, not problems, message, numbers, details=details)

    def _collect(self):
        if self._tap is None:
            return
        records = self._tap.read(after=self.steps[-1] if self.steps else -1)
        for step, loss, norms, max_abs in records:
            global_norm = float(np.sqrt(np.sum(np.square(norms.astype(np.float64)))))
            clipped = _clipping_active(self.clipping, global_norm, norms, max_abs)
            self.steps.append(step)
            self.losses.append(loss)
            self.variable_norms.append(norms)
            self.global_norms.append(global_norm)
            self.clipping_active.append(clipped)
            scalars = {}
            if step % self.update_freq == 0:
                scalars["gradients/global_norm"] = global_norm
                if self.clipping:
                    scalars["gradients/clipping_active"] = float(clipped)
            if self.histogram_freq and step % self.histogram_freq == 0:
                scalars.update(
                    {f"gradient_norms/{p}": n for p, n in zip(self.variable_paths, norms)}
                )
            _summary.write_scalars(self._writer, step, scalars)
        if not (records and self.histogram_freq and self._tap.gradients):
            return
        first, last = records[0][0], records[-1][0]
        if last // self.histogram_freq > (first - 1) // self.histogram_freq:
            _summary.write_histograms(
                self._writer,
                last,
                {
                    f"gradient_histograms/{p}": g
                    for p, g in zip(self.variable_paths, self._tap.gradients)
                },
            )


class _OptimizerTap:
    """Wraps an optimizer's `apply` / `scale_loss` to copy gradients into variables.

    The copies live in ring buffers indexed by the optimizer's iteration
    count modulo `steps_per_execution`, so that every step of a multi-step
    execution is kept until `read` runs after it.
    """

    def __init__(self, model, keep_gradients):
        self.model = model
        # LossScaleOptimizer unscales the gradients before calling its inner
        # optimizer's `apply`: that is where they are the real gradients.
        self.loss_optimizer = model.optimizer
        self.optimizer = getattr(model.optimizer, "inner_optimizer", model.optimizer)
        self.variables = list(model.trainable_variables)
        self._index = {id(v): i for i, v in enumerate(self.variables)}
        self.capacity = max(1, int(getattr(model, "steps_per_execution", 1) or 1))
        count = len(self.variables)
        self._host = None
        if keras.backend.backend() == "jax":
            self._host = _HostRecords(keep_gradients)
            self.gradients = self._host.gradients
            self._undo = []
            return
        with model.distribute_strategy.scope():
            self._steps = _buffer(tf.fill([self.capacity], tf.constant(-1, tf.int64)))
            self._loss_steps = _buffer(tf.fill([self.capacity], tf.constant(-1, tf.int64)))
            self._losses = _buffer(tf.zeros([self.capacity]))
            self._norms = _buffer(tf.zeros([self.capacity, count]))
            self._max_abs = _buffer(tf.zeros([self.capacity, count]))
            self.gradients = (
                [_buffer(tf.zeros(v.shape, tf.float32)) for v in self.variables]
                if keep_gradients
                else []
            )
        self._undo = []

    def install(self):
        apply = self.optimizer.apply
        scale_loss = self.loss_optimizer.scale_loss

        def recording_apply(grads, trainable_variables=None):
            grads = list(grads)
            if trainable_variables is None:
                variables = self.variables
            else:
                variables = list(trainable_variables)
            self._record_gradients(grads, variables)
            return apply(grads, None if trainable_variables is None else variables)

        def recording_scale_loss(loss):
            self._record_loss(loss)
            return scale_loss(loss)

        self._undo = [
            override_method(self.optimizer, "apply", recording_apply),
            override_method(self.loss_optimizer, "scale_loss", recording_scale_loss),
        ]

    def remove(self):
        for undo in reversed(self._undo):
            undo()
        self._undo = []

    def read(self, after):
        """`(step, loss or None, norms, max_abs)` of the steps recorded after `after`."""
        if self._host is not None:
            return self._host.read(after)
        steps = self._steps.numpy()
        fresh = np.argsort(steps)
        fresh = [slot for slot in fresh if steps[slot] > after]
        if not fresh:
            return []
        loss_steps, losses = self._loss_steps.numpy(), self._losses.numpy()
        norms, max_abs = self._norms.numpy(), self._max_abs.numpy()
        return [
            (
                int(steps[slot]),
                float(losses[slot]) if loss_steps[slot] == steps[slot] else None,
                norms[slot],
                max_abs[slot],
            )
            for slot in fresh
        ]

    def _slot(self):
        iteration = tf.cast(tf.convert_to_tensor(self.optimizer.iterations), tf.int64)
        return iteration, tf.cast(iteration % self.capacity, tf.int32)

    def _record_gradients(self, grads, variables):
        if self._host is not None:
            return self._host.send_gradients(self._host_gradients(grads, variables), self.optimizer)
        iteration, slot = self._slot()
        norms = [tf.zeros([])] * len(self.variables)
        max_abs = [tf.zeros([])] * len(self.variables)
        for grad, variable in zip(grads, variables):
            index = self._index.get(id(variable))
            if grad is None or index is None:
                continue
            grad = tf.cast(tf.convert_to_tensor(grad), tf.float32)
            norms[index] = tf.norm(grad)
            max_abs[index] = tf.reduce_max(tf.abs(grad))
            if self.gradients:
                self.gradients[index].assign(grad)
        _put(self._norms, slot, tf.stack(norms))
        _put(self._max_abs, slot, tf.stack(max_abs))
        _put(self._steps, slot, iteration)

    def _host_gradients(self, grads, variables):
        """Per-variable norms, max |g| (and the gradients) as `keras.ops` tensors."""
        count = len(self.variables)
        zero = keras.ops.zeros(())
        norms, max_abs, kept = [zero] * count, [zero] * count, [None] * count
        for grad, variable in zip(grads, variables):
            index = self._index.get(id(variable))
            if grad is None or index is None:
                continue
            grad = keras.ops.cast(grad, "float32")
            norms[index] = keras.ops.sqrt(keras.ops.sum(keras.ops.square(grad)))
            max_abs[index] = keras.ops.max(keras.ops.abs(grad))
            kept[index] = grad
        kept = [k if k is not None else keras.ops.zeros(v.shape) for k, v in zip(kept, self.variables)]
        return keras.ops.stack(norms), keras.ops.stack(max_abs), kept

    def _record_loss(self, loss):
        if self._host is not None:
            return self._host.send_loss(loss, self.optimizer)
        iteration, slot = self._slot()
        _put(self._losses, slot, tf.cast(tf.reduce_sum(loss), tf.float32))
        _put(self._loss_steps, slot, iteration)


class _HostRecords:
    """The JAX tap's store: per-step records sent out of the jitted train
    step with `jax.debug.callback`, kept on the host by optimizer step."""

    def __init__(self, keep_gradients):
        self.keep_gradients = keep_gradients
        self.gradients = []  # the last step's, as NumPy (for histograms)
        self._records = {}  # step -> {"loss", "norms", "max_abs"}

    def send_gradients(self, values, optimizer):
        import jax

        norms, max_abs, grads = values
        iteration = keras.ops.convert_to_tensor(optimizer.iterations)
        jax.debug.callback(
            self._receive_gradients, iteration, norms, max_abs,
            grads if self.keep_gradients else [],
        )

    def send_loss(self, loss, optimizer):
        import jax

        iteration = keras.ops.convert_to_tensor(optimizer.iterations)
        jax.debug.callback(self._receive_loss, iteration, keras.ops.sum(loss))

    def _receive_gradients(self, iteration, norms, max_abs, grads):
        record = self._records.setdefault(int(iteration), {})
        record["norms"], record["max_abs"] = np.asarray(norms), np.asarray(max_abs)
        if grads:
            self.gradients[:] = [np.asarray(g) for g in grads]

    def _receive_loss(self, iteration, loss):
        self._records.setdefault(int(iteration), {})["loss"] = float(loss)

    def read(self, after):
        import jax

        jax.effects_barrier()  # every callback of the steps run so far has arrived
        fresh = sorted(step for step, record in self._records.items()
                       if step > after and "norms" in record)
        records = [
            (step, self._records[step].get("loss"), self._records[step]["norms"],
             self._records[step]["max_abs"])
            for step in fresh
        ]
        for step in fresh:
            del self._records[step]
        return records


def _buffer(initial_value):
    return tf.Variable(
        initial_value,
        trainable=False,
        synchronization=tf.VariableSynchronization.ON_WRITE,
        aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA,
    )


def _put(buffer, slot, value):
    buffer.assign(tf.tensor_scatter_nd_update(buffer, [[slot]], [value]))


def _clipping(optimizer):
    for kind in ("global_clipnorm", "clipnorm", "clipvalue"):
        threshold = getattr(optimizer, kind, None)
        if threshold:
            return kind, float(threshold)
    return None


def _clipping_active(clipping, global_norm, norms, max_abs):
    if clipping is None:
        return False
    kind, threshold = clipping
    if kind == "global_clipnorm":
        return bool(global_norm > threshold)
    if kind == "clipnorm":
        return bool(np.any(norms > threshold))
    return bool(np.any(max_abs > threshold))


def _capitalized(text):
    return text[:1].upper() + text[1:]
