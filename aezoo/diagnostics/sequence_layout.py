"""Sequence layout: does a per-step classifier use any history (seed 002)?"""

import numpy as np

from aezoo.diagnostics import _inputs
from aezoo.diagnostics import _summary
from aezoo.diagnostics.verdict import Verdict

CHECK = "sequence_layout"


def sequence_layout(
    model,
    x,
    y=None,
    sample_weight=None,
    min_gain=0.1,
    max_values=256,
    max_examples=4096,
    batch_size=None,
    log_dir=None,
    step=0,
):
    """Checks that a per-step sequence classifier does better than the current step alone.

    The best predictor that sees only the current step's input is computed
    from the evaluation data itself: for each distinct input value, the
    majority label. When the labels need more than the current step (that
    predictor is wrong on some steps) but the model fixes less than
    `min_gain` of its errors, the model uses no history: seed 002 fed
    `(time, batch, features)` to an LSTM that reads `(batch, time,
    features)`, so it ran across sequences and learned only the current bit
    (50% on class = 2 * previous + current, the current-step-only score).

    Args:
        model: a model mapping `(batch, time, features)` to per-step class
            probabilities `(batch, time, classes)`.
        x: inputs `(batch, time, features)` (discrete values), or a dataset of
            `(x, y[, sample_weight])` batches.
        y: integer labels `(batch, time)` or one-hot `(batch, time, classes)`.
        sample_weight: optional `(batch, time)` weights (0 masks a step).
        min_gain: the fraction of the current-step-only predictor's errors
            the model must fix. Defaults to 0.1.
        max_values: with more distinct per-step inputs than this, the inputs
            are not discrete and the check does not apply. Defaults to 256.
        max_examples: sequences used at most. Defaults to 4096.
        batch_size: prediction batch size; a model with a fixed batch size
            (stateful) needs it. Defaults to `None` (Keras' 32).
        log_dir: TensorBoard log directory, or `None`. Defaults to `None`.
        step: the TensorBoard step. Defaults to 0.

    Returns:
        A `Verdict`. Numbers: `model_accuracy`, `current_step_accuracy`,
        `history_gain` (the fraction of the current-step-only predictor's
        errors that the model fixes), `distinct_inputs`, `steps`,
        `applicable`.

    Example:

    >>> model = aezoo.build("lstm_sequence_classifier", "as_posted")
    >>> model.fit(bits, classes, sample_weight=weights, epochs=5)
    >>> verdict = sequence_layout(model, bits, classes, weights)
    >>> verdict.ok, verdict["model_accuracy"], verdict["current_step_accuracy"]
    (False, 0.5, 0.5)
    """
    x, y, sample_weight = _inputs.collect(x, y, sample_weight, max_examples=max_examples)
    inputs, labels, weights, correct = _scored_steps(model, x, y, sample_weight, batch_size)
    model_accuracy = float((correct * weights).sum() / weights.sum())
    values, value_index = np.unique(inputs, axis=0, return_inverse=True)
    numbers = {
        "model_accuracy": model_accuracy,
        "distinct_inputs": len(values),
        "steps": len(labels),
        "applicable": False,
    }
    if len(values) > max_values:
        message = (
            f"Not applicable: {len(values)} distinct per-step inputs (> {max_values}); "
            "the check needs discrete inputs."
        )
        return _summary.log_verdict(Verdict(CHECK, True, message, numbers), log_dir, step)
    current = _majority_accuracy(value_index.reshape(-1), labels, weights)
    numbers["current_step_accuracy"] = current
    if current >= 1.0:
        message = (
            "Not applicable: the current step alone determines every label, so the "
            f"data needs no history (model accuracy {model_accuracy:.3f})."
        )
        return _summary.log_verdict(Verdict(CHECK, True, message, numbers), log_dir, step)
    gain = (model_accuracy - current) / (1.0 - current)
    numbers.update(applicable=True, history_gain=gain)
    described = (
        f"per-step accuracy {model_accuracy:.3f} vs {current:.3f} for the best "
        f"predictor that sees only the current step: history gain {gain:.2f} (the "
        "fraction of that predictor's errors the model fixes)"
    )
    ok = gain >= min_gain
    if ok:
        message = f"The model uses the sequence's history: {described}."
    else:
        undertrained = (
            " It does worse than the current step alone, so train it longer as well."
            if gain < -min_gain
            else ""
        )
        message = (
            f"The model uses no history: {described}, below {min_gain:g}. Check the "
            "layout: recurrent layers read batch-major (batch, time, features), so a "
            "time-major array runs the recurrence across sequences; with a stateful "
            "model, check that row i of each batch continues row i of the previous one."
            f"{undertrained}"
        )
    return _summary.log_verdict(Verdict(CHECK, ok, message, numbers), log_dir, step)


def _majority_accuracy(value_index, labels, weights):
    """Accuracy of predicting, for each input value, its most frequent label."""
    counts = np.zeros((value_index.max() + 1, labels.max() + 1))
    np.add.at(counts, (value_index, labels), weights)
    return float(counts.max(axis=1).sum() / weights.sum())


def _scored_steps(model, x, y, sample_weight, batch_size):
    """The unmasked steps, flat: `(inputs, labels, weights, correct)`, where
    `correct` says whether the model's class at that step is the label."""
    if y is None:
        raise ValueError("sequence_layout needs labels `y`.")
    x = np.asarray(x)
    if x.ndim == 2:
        x = x[..., None]
    labels = np.asarray(y)
    if labels.ndim == 3:
        labels = labels.argmax(-1)
    if x.ndim != 3 or labels.shape != x.shape[:2]:
        raise ValueError(
            "sequence_layout needs inputs (batch, time, features) and labels "
            f"(batch, time). Received: x.shape={x.shape}, y.shape={np.shape(y)}"
        )
    weights = np.ones(labels.shape) if sample_weight is None else np.asarray(sample_weight)
    predictions = np.asarray(model.predict(x, batch_size=batch_size, verbose=0)).argmax(-1)
    if predictions.shape != labels.shape:
        raise ValueError(
            f"The model's per-step predictions have shape {predictions.shape}, the "
            f"labels {labels.shape}: sequence_layout needs one class per step."
        )
    keep = weights.reshape(-1) > 0
    inputs = x.reshape(-1, x.shape[-1])[keep]
    labels, weights = labels.reshape(-1)[keep], weights.reshape(-1)[keep]
    return inputs, labels, weights, predictions.reshape(-1)[keep] == labels
