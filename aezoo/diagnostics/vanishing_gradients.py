"""Vanishing gradients: how much of the loss gradient reaches the first layer (seed 004)."""

import keras
import numpy as np
import tensorflow as tf

from aezoo.diagnostics import _inputs
from aezoo.diagnostics import _summary
from aezoo.diagnostics._callback import PeriodicCheck
from aezoo.diagnostics.verdict import Verdict
from aezoo.keras_workarounds import override_method

CHECK = "vanishing_gradients"


def vanishing_gradients(
    model,
    x,
    y=None,
    sample_weight=None,
    threshold=1e-4,
    max_examples=256,
    log_dir=None,
    step=0,
):
    """Measures the loss gradient that reaches each layer, relative to the last.

    For every top-level layer with trainable weights, the gradient of the
    training loss with respect to the layer's output is computed on one batch
    (training mode; the model's non-trainable state, such as BatchNorm
    statistics, is restored afterwards). Its scale is the per-example norm
    (Frobenius norm over the batch / sqrt(examples)); each layer's **ratio**
    is that scale over the last layer's. When the first layer's ratio is
    below `threshold`, the gradient vanishes on its way down and the early
    layers barely learn: the seed-004 MLP with N(0, 1e-3) weights and two
    ReLU layers gives ~1e-5, its Glorot version ~1. Deep healthy models
    sit well above the default threshold but below 1e-2 (aezoo's default
    conv autoencoder ~5e-3, its conv-LSTM predictor ~2e-3 at
    initialization).

    The gradient with respect to layer outputs, not the weight gradient,
    is compared, because a weight gradient also scales with the layer's
    input: the posted MLP's first-layer kernel gradient is only ~30x
    smaller than its output layer's, while the gradient reaching it is
    ~1e5x smaller. The weight gradients' RMS are reported in
    `details["weight_gradient_rms"]`.

    Args:
        model: a compiled functional or Sequential Keras model.
        x: inputs, or a dataset of `(x, y[, sample_weight])` batches.
        y: targets (`None` when `x` is a dataset).
        sample_weight: optional sample weights.
        threshold: first-layer ratio below which gradients vanish.
            Defaults to 1e-4.
        max_examples: examples used at most. Defaults to 256.
        log_dir: TensorBoard log directory, or `None`. Defaults to `None`.
        step: the TensorBoard step. Defaults to 0.

    Returns:
        A `Verdict`, not `ok` when the first layer's ratio is below
        `threshold`. Numbers: `first_layer_ratio`, `min_layer_ratio`,
        `first_layer_gradient`, `last_layer_gradient`, and
        `layer_ratio/<layer>` for each layer; details: `layers`,
        `layer_gradients`, `weight_gradient_rms`.

    Example:

    >>> model = aezoo.build("mlp_autoencoder", "as_posted")
    >>> x = np.random.uniform(-1, 1, (256, 1)).astype("float32")
    >>> verdict = vanishing_gradients(model, x, x)
    >>> verdict.ok, verdict["first_layer_ratio"]
    (False, 6.6e-06)
    """
    x, y, sample_weight = _inputs.collect(x, y, sample_weight, max_examples=max_examples)
    count = _inputs.num_examples(x)
    layers, scales, weight_rms = _gradient_scales(model, x, y, sample_weight, count)
    reached = [(layer, scale) for layer, scale in zip(layers, scales) if scale is not None]
    if len(reached) < 2:
        raise ValueError(
            f"vanishing_gradients needs at least 2 layers with weights on the loss "
            f"path. Model '{model.name}' has {len(reached)}."
        )
    (first, first_scale), (last, last_scale) = reached[0], reached[-1]
    ratios = {
        layer.name: scale / last_scale if last_scale > 0 else np.nan for layer, scale in reached
    }
    first_ratio = ratios[first.name]
    numbers = {
        "first_layer_ratio": first_ratio,
        "min_layer_ratio": float(np.nanmin(list(ratios.values()))),
        "first_layer_gradient": first_scale,
        "last_layer_gradient": last_scale,
        **{f"layer_ratio/{name}": ratio for name, ratio in ratios.items()},
    }
    ok = bool(first_ratio >= threshold)
    described = (
        f"the loss gradient reaching the first layer '{first.name}' is "
        f"{first_ratio:.2g} of the one at the last layer '{last.name}' "
        f"({first_scale:.2g} vs {last_scale:.2g} per example; threshold {threshold:g})"
    )
    if ok:
        message = f"Gradients reach the first layers: {described}."
    else:
        message = (
            f"Vanishing gradients: {described}, so the first layers barely learn. "
            "Usual causes: tiny initial weights (such as N(0, 1e-3)), saturating "
            "activations, a deep stack without normalization. Use Glorot/He "
            "initialization, a small positive bias for ReLU layers, and Adam; watch "
            "GradientStatistics' histograms."
        )
    verdict = Verdict(
        CHECK,
        ok,
        message,
        numbers,
        details={
            "layers": [layer.name for layer in layers],
            "layer_gradients": {layer.name: scale for layer, scale in zip(layers, scales)},
            "weight_gradient_rms": weight_rms,
        },
    )
    return _summary.log_verdict(verdict, log_dir, step)


class VanishingGradientMonitor(PeriodicCheck):
    """Checks `vanishing_gradients` on a fixed batch at epoch ends.

    Writes `vanishing_gradients/first_layer_ratio` and
    `vanishing_gradients/layer_ratio/<layer>` to TensorBoard, so the
    per-layer gradient flow can be followed over training.

    Args:
        x: inputs, or a dataset of `(x, y[, sample_weight])` batches.
        y: targets (`None` when `x` is a dataset). Defaults to `None`.
        sample_weight: optional sample weights. Defaults to `None`.
        threshold: see `vanishing_gradients`. Defaults to 1e-4.
        freq: check every this many epochs. Defaults to 1.
        log_dir: TensorBoard log directory, or `None`. Defaults to `None`.
        verbose: print the last verdict at the end of training. Defaults to 1.

    Example:

    ```python
    monitor = VanishingGradientMonitor(x[:256], x[:256], log_dir="logs/run1")
    model.fit(x, x, epochs=5, callbacks=[monitor])
    ```
    """

    def __init__(
        self, x, y=None, sample_weight=None, threshold=1e-4, freq=1, log_dir=None, verbose=1
    ):
        super().__init__(freq=freq, log_dir=log_dir, verbose=verbose)
        self.x, self.y, self.sample_weight = _inputs.collect(x, y, sample_weight, max_examples=256)
        self.threshold = threshold

    def measure(self):
        return vanishing_gradients(self.model, self.x, self.y, self.sample_weight, self.threshold)


def _gradient_scales(model, x, y, sample_weight, count):
    """Per-layer output-gradient scales (None off the loss path) and weight-gradient RMS."""
    layers = [layer for layer in model.layers if layer.trainable_weights]
    if keras.backend.backend() == "jax":
        return _jax_gradient_scales(model, layers, x, y, sample_weight, count)
    if keras.backend.backend() != "tensorflow":
        raise ValueError(
            "vanishing_gradients takes the gradients with tf.GradientTape or jax.grad: "
            f"the tensorflow or jax backend. Received: backend={keras.backend.backend()!r}. "
            "Leave `vanishing_gradients` out of the recipe's [diagnostics] checks, or set "
            "KERAS_BACKEND=tensorflow."
        )
    outputs = keras.tree.flatten(model.output)
    layer_outputs = [keras.tree.flatten(_output(model, layer))[0] for layer in layers]
    extra = [t for t in layer_outputs if all(t is not o for o in outputs)]
    probe = keras.Model(model.input, outputs + extra)
    variables = list(model.trainable_variables)
    state = [v.numpy() for v in model.non_trainable_variables]
    try:
        with tf.GradientTape() as tape:
            values = list(probe(x, training=True))
            # A fresh tensor per output: Keras' cross-entropy reads the logits
            # attached to a softmax output, which would bypass the output itself.
            values[: len(outputs)] = [tf.identity(v) for v in values[: len(outputs)]]
            y_pred = keras.tree.pack_sequence_as(model.output, values[: len(outputs)])
            loss = model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)
        by_tensor = {id(t): v for t, v in zip(outputs + extra, values)}
        tensors = [by_tensor[id(t)] for t in layer_outputs]
        gradients = tape.gradient(loss, tensors + variables)
    finally:
        for variable, value in zip(model.non_trainable_variables, state):
            variable.assign(value)
    scales = [
        None if g is None else float(tf.norm(tf.cast(g, tf.float32))) / np.sqrt(count)
        for g in gradients[: len(layers)]
    ]
    weight_rms = {
        v.path: float(tf.sqrt(tf.reduce_mean(tf.square(tf.cast(g, tf.float32)))))
        for v, g in zip(variables, gradients[len(layers) :])
        if g is not None
    }
    return layers, scales, weight_rms


def _jax_gradient_scales(model, layers, x, y, sample_weight, count):
    """`_gradient_scales` on JAX: `jax.grad` of the loss with respect to the
    weights and to a zero added to each layer's output (the gradient with
    respect to that output). A layer off the loss path gets a zero gradient
    here (None on TensorFlow)."""
    import jax

    variables = list(model.trainable_variables)
    added = {"deltas": None, "shapes": []}

    def with_delta(index, call):
        def perturbed(*args, **kwargs):
            outputs = call(*args, **kwargs)
            flat = keras.tree.flatten(outputs)
            if added["deltas"] is None:  # the shape-finding pass
                added["shapes"].append(tuple(flat[0].shape))
            else:
                flat[0] = flat[0] + added["deltas"][index]
            return keras.tree.pack_sequence_as(outputs, flat)

        return perturbed

    undo = [override_method(layer, "call", with_delta(i, layer.call)) for i, layer in enumerate(layers)]

    def loss(weights, deltas):
        added["deltas"] = deltas
        mapping = list(zip(variables, weights)) + [
            (v, v.value) for v in model.non_trainable_variables
        ]
        with keras.StatelessScope(state_mapping=mapping):  # no state is changed
            y_pred = model(x, training=True)
            return model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)

    try:
        with keras.StatelessScope():
            model(x, training=True)
        deltas = [jax.numpy.zeros(shape, "float32") for shape in added["shapes"]]
        weight_grads, output_grads = jax.grad(loss, argnums=(0, 1))([v.value for v in variables], deltas)
    finally:
        for undo_one in undo:
            undo_one()
    scales = [float(np.linalg.norm(np.asarray(g, np.float64))) / np.sqrt(count) for g in output_grads]
    weight_rms = {
        v.path: float(np.sqrt(np.mean(np.square(np.asarray(g, np.float64)))))
        for v, g in zip(variables, weight_grads)
    }
    return layers, scales, weight_rms


def _output(model, layer):
    try:
        return layer.output
    except (AttributeError, ValueError) as error:
        raise ValueError(
            f"Cannot read the output of layer '{layer.name}' of model '{model.name}': "
            f"vanishing_gradients needs a functional or Sequential model whose layers "
            f"are used once ({error})"
        ) from None
