"""Every workaround of a Keras or TensorFlow bug, and every use of a private
Keras or TensorFlow attribute, in one place.

Each function names the upstream issue it works around and the versions it
was verified on. `tests/test_keras_workarounds.py` checks, for each one,
that the upstream behaviour it relies on is still there, so that an upgrade
that fixes or changes it fails a test instead of silently changing a run;
`pyproject.toml` pins Keras and TensorFlow to the verified ranges.

Verified on Keras 3.15.1 and TensorFlow 2.21.0 (TensorFlow backend).

A leaf: imports Keras only (TensorFlow where a function needs it), nothing
else of aezoo.
"""

import contextlib

import keras

NAN_STOP_MESSAGE = "NaN or Inf loss"


@contextlib.contextmanager
def fit_under_strategy(model, strategy, batch):
    """Lets `model.fit` train under `strategy` as it would on one device.

    Works around keras-team/keras#20585 and keras-team/keras#20394 (a batch
    drawn for a symbolic build before training). Verified on Keras 3.15.1,
    TensorFlow 2.21.0.

    Keras' `fit` under a strategy first draws a batch for a symbolic build,
    which fails under `MultiWorkerMirroredStrategy` (it calls
    `strategy.reduce` on the `(x, y)` nest) and, under any strategy, moves a
    dataset that reshuffles on each iteration on to its next order, so the
    steps would not see the batches of single-device training. So:

    - the variables that build would create (optimizer, loss and metric
      state) are created here, in the strategy's scope, from a real `batch`
      (`build_training_state`);
    - during `fit` the model drops its link to the strategy (the private
      `model._distribute_strategy`, which is what makes Keras run the
      build), and its train and test functions run in `strategy.scope()`,
      where Keras finds the strategy (callbacks still run outside it, as
      usual);
    - in multi-worker mode Keras reduces each step's logs across workers
      along axis 0, which scalar logs lack: the steps add a leading axis.

    Args:
        model: a compiled model, built in `strategy.scope()`.
        strategy: a `tf.distribute.Strategy`, or `None` (nothing to do).
        batch: one real `(x, y[, sample_weight])` batch.

    Example:

    ```python
    with fit_under_strategy(model, strategy, next(iter(validation_data))):
        model.fit(train_data, epochs=2)
    ```
    """
    if strategy is None:
        yield
        return
    with strategy.scope():
        build_training_state(model, batch)
    patches = {
        "make_train_function": _functions_in_scope(model, "train_function", strategy),
        "make_test_function": _functions_in_scope(model, "test_function", strategy),
    }
    if in_multi_worker_mode(strategy):
        patches["train_step"] = _logs_with_leading_axis(model.train_step)
        patches["test_step"] = _logs_with_leading_axis(model.test_step)
    for name, method in patches.items():
        setattr(model, name, method)
    model._distribute_strategy = None
    try:
        yield
    finally:
        model._distribute_strategy = strategy
        for name in patches:
            vars(model).pop(name)
        model.train_function = model.test_function = None


def build_training_state(model, batch):
    """Creates a compiled model's optimizer, loss and metric variables now.

    Eagerly, from one real `(x, y[, sample_weight])` batch, instead of in
    the first traced training step. Verified on Keras 3.15.1, TensorFlow
    2.21.0 (TensorFlow backend). It works around:

    - the first step traced twice: without a strategy, Keras' TensorFlow
      `fit` (and `train_on_batch`) leaves these variables to its first
      traced step (`_maybe_symbolic_build` returns at once "for backwards
      compatibility"), and a `tf.function` that creates variables when it
      is first traced is traced again without them. Built here, the step is
      traced once: the first `fit` step of each `default` model at full
      size takes 0.38-0.75 of the time, the predictor's 8.0 s instead of
      10.7 s (`benchmarks/first_step.py`, 2 CPU cores);
    - tensorflow/tensorflow#61791 (memory kept after
      `keras.backend.clear_session()`): variables first created in a traced
      step are initialized through `tf.cond` functions that TensorFlow
      keeps after the model is gone (about half of what each new model
      trained in a process leaks).

    It also lets `fit` skip its symbolic build under a strategy
    (`fit_under_strategy`). The forward pass runs on the batch's first row
    (a model with a fixed batch size: the whole batch), and is undone for
    stateful layers: their states are reset, as in a model that never ran.

    Args:
        model: a compiled model.
        batch: one real `(x, y[, sample_weight])` batch.
    """
    x, y, sample_weight = (tuple(batch) + (None,))[:3]
    if all(tensor.shape[0] is None for tensor in model.inputs):
        # The variables do not depend on the batch size: one row is the
        # cheapest forward pass (a stateful model keeps its fixed batch).
        x, y, sample_weight = keras.tree.map_structure(
            lambda value: None if value is None else value[:1], (x, y, sample_weight)
        )
    y_pred = model(x, training=False)
    model.compute_loss(x, y, y_pred, sample_weight)
    model.compute_metrics(x, y, y_pred, sample_weight)
    model.optimizer.build(model.trainable_variables)
    model.reset_metrics()
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_state()


def in_multi_worker_mode(strategy):
    """Whether Keras reduces `strategy`'s step logs across workers.

    The predicate Keras itself uses to choose its multi-worker reduction
    (`keras.src.backend.tensorflow.trainer._collective_all_reduce_multi_worker`):
    the private `strategy.extended._in_multi_worker_mode()`, for which
    TensorFlow has no public equivalent. Part of the keras-team/keras#20585
    workaround. Verified on Keras 3.15.1, TensorFlow 2.21.0.

    Args:
        strategy: a `tf.distribute.Strategy`.

    Returns:
        `True` for a `MultiWorkerMirroredStrategy` with more than one worker.
    """
    return strategy.extended._in_multi_worker_mode()


def _functions_in_scope(model, attribute, strategy):
    """A `make_train_function` / `make_test_function` whose function runs
    (and so is traced) in `strategy.scope()` (see `fit_under_strategy`)."""
    make = getattr(model, f"make_{attribute}")
    made = {}

    def make_in_scope(force=False):
        make(force=force)
        function = getattr(model, attribute)
        if function is not made.get("wrapper"):

            def function_in_scope(iterator):
                with strategy.scope():
                    return function(iterator)

            made["wrapper"] = function_in_scope
            setattr(model, attribute, function_in_scope)
        return made["wrapper"]

    return make_in_scope


def _logs_with_leading_axis(step):
    """`step` (a `train_step` / `test_step`) with a leading axis on each log,
    which Keras' multi-worker reduction (`axis=0`) needs (see
    `fit_under_strategy`)."""

    def step_with_leading_axis(data):
        return {key: keras.ops.expand_dims(value, 0) for key, value in step(data).items()}

    return step_with_leading_axis


def stop_on_nan():
    """A callback that stops `fit` at a NaN or infinite loss by raising.

    Works around keras-team/keras#21771: the default, graceful stop of
    `keras.callbacks.TerminateOnNaN` still runs the epoch-end callbacks
    (checkpoints save the NaN weights) and `on_train_end`
    (`BackupAndRestore` deletes its backup). `raise_error=True` raises a
    `RuntimeError` instead; recognize it with `is_nan_stop`. Put it first
    among the callbacks. Verified on Keras 3.15.1.

    Returns:
        A `keras.callbacks.TerminateOnNaN(raise_error=True)`.
    """
    return keras.callbacks.TerminateOnNaN(raise_error=True)


def is_nan_stop(error):
    """Whether `error` is the `RuntimeError` raised by `stop_on_nan()`'s
    callback (Keras gives it no class of its own: its message is matched).
    Verified on Keras 3.15.1."""
    return isinstance(error, RuntimeError) and NAN_STOP_MESSAGE in str(error)


def restored_epoch(model):
    """The epoch `BackupAndRestore` restored for `model` (0: none).

    `BackupAndRestore` passes it to `fit` through the private
    `model._initial_epoch`, which `fit` starts from instead of its
    `initial_epoch` argument (keras-team/keras#19179). Verified on
    Keras 3.15.1.
    """
    return model._initial_epoch or 0


def resume_at_epoch(model, backup, epoch):
    """Makes `fit` start at `epoch`, and `backup` record it.

    `fit` starts from the private `model._initial_epoch`. A restored
    `BackupAndRestore` leaves its private `_current_epoch` at 0 until the
    first epoch ends, so a backup written mid-epoch in a resumed call would
    record epoch 0 (keras-team/keras#19179). Verified on Keras 3.15.1.

    Args:
        model: the model being fitted.
        backup: its `keras.callbacks.BackupAndRestore`.
        epoch: the epoch to start at.
    """
    model._initial_epoch = epoch
    backup._current_epoch = epoch


def save_backup(backup):
    """Writes `backup`'s backup now and restarts its count of steps to the
    next one. `BackupAndRestore` has no public way to do it (private
    `_save_model` and `_batches_seen_since_last_saving`). Verified on
    Keras 3.15.1.

    Args:
        backup: a `keras.callbacks.BackupAndRestore` with its model set.
    """
    backup._batches_seen_since_last_saving = 0
    backup._save_model()


def override_method(instance, name, function):
    """Makes `instance.<name>` call `function`, for this one instance.

    Keras has no hook for the gradients of a training step (`TensorBoard`
    lost `write_grads`: tensorflow/tensorflow#31173), so
    `aezoo.diagnostics.GradientStatistics` wraps the optimizer's methods
    that Keras' TensorFlow `train_step` calls: `scale_loss(loss)`, and
    `apply(grads, variables)` (through `apply_gradients`, or from a
    `LossScaleOptimizer`). The function is stored in the instance's
    `__dict__`, past the optimizer's `__setattr__` (which tracks what is
    assigned), so the class and every other instance stay untouched.
    Verified on Keras 3.15.1, TensorFlow 2.21.0.

    Args:
        instance: the object (an optimizer).
        name: the method's name.
        function: what `instance.<name>` calls from now on.

    Returns:
        A function of no arguments that undoes the override.
    """
    previous = instance.__dict__.get(name)
    instance.__dict__[name] = function

    def undo():
        if previous is None:
            instance.__dict__.pop(name, None)
        else:
            instance.__dict__[name] = previous

    return undo
