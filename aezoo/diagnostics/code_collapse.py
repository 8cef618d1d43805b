"""Code collapse: every input gets the same bottleneck code (seed 001)."""

import keras
import numpy as np

from aezoo.diagnostics import _inputs
from aezoo.diagnostics import _summary
from aezoo.diagnostics._callback import PeriodicCheck
from aezoo.diagnostics.verdict import Verdict

CHECK = "code_collapse"


def code_spread(
    model,
    inputs,
    layer_name="code",
    threshold=1e-2,
    max_examples=1024,
    batch_size=256,
    log_dir=None,
    step=0,
):
    """Measures how much a bottleneck code varies across different inputs.

    For each code dimension `j`, the spread `s_j` is the standard deviation of
    the code over the inputs; the **relative spread** is `mean_j s_j` divided
    by the code's mean magnitude `mean |code|` (so it does not depend on the
    code's scale). An autoencoder whose code does not vary with the input is
    collapsed: its decoder can only produce one output (the post of seed 001
    got a blurry "0" for every digit; its code spread was ~1e-5).

    Args:
        model: a functional or Sequential Keras model.
        inputs: different inputs (an array, or a dataset of `x` or `(x, y)`
            batches), e.g. a batch of test images.
        layer_name: the code layer. Defaults to `"code"`. For a recurrent
            layer with `return_state` (e.g. the predictor's deepest encoder
            level), the code is its first output.
        threshold: relative spread below which the code is collapsed.
            Defaults to 1e-2.
        max_examples: inputs used at most. Defaults to 1024.
        batch_size: prediction batch size. Defaults to 256.
        log_dir: TensorBoard log directory, or `None`. Defaults to `None`.
        step: the TensorBoard step. Defaults to 0.

    Returns:
        A `Verdict`, not `ok` when the relative spread is below `threshold`.
        Numbers: `relative_spread`, `mean_spread`, `magnitude`,
        `collapsed_fraction` (dimensions whose own spread is below
        `threshold * magnitude`), `input_relative_spread`, `examples`;
        histogram `dimension_spread` (`s_j`).

    Raises:
        ValueError: no such layer, fewer than 2 inputs, or identical inputs.

    Example:

    >>> model = aezoo.build("conv_autoencoder")
    >>> verdict = code_spread(model, test_images)
    >>> verdict.ok, verdict["relative_spread"]
    (True, 0.77)
    """
    layer = model.get_layer(layer_name)
    x, _, _ = _inputs.collect(inputs, max_examples=max_examples)
    count = _inputs.num_examples(x)
    if count < 2:
        raise ValueError(f"code_spread needs at least 2 different inputs. Received: {count}")
    _, _, input_spread = _spread(_matrix(x, count))
    if not input_spread > 0:
        raise ValueError(
            "The inputs are identical, so their codes must be too: pass different inputs."
        )
    codes = _inputs.layer_outputs(model, layer, x, batch_size)
    if getattr(layer, "return_state", False):
        # A recurrent level's code is its output, not the states it returns too.
        codes = codes[0]
    codes = _matrix(codes, count)
    spread, magnitude, relative = _spread(codes)
    numbers = {
        "relative_spread": relative,
        "mean_spread": float(spread.mean()),
        "magnitude": magnitude,
        "collapsed_fraction": float(np.mean(spread < threshold * magnitude)),
        "input_relative_spread": input_spread,
        "examples": count,
    }
    ok = relative >= threshold
    described = (
        f"across {count} different inputs the code of layer '{layer_name}' varies by "
        f"{relative:.2g} of its magnitude (mean per-dimension std {spread.mean():.2g}, "
        f"mean |code| {magnitude:.2g}; threshold {threshold:g})"
    )
    if ok:
        message = (
            f"The code is not collapsed: {described}; "
            f"{100 * numbers['collapsed_fraction']:.0f}% of its dimensions vary less "
            "than the threshold."
        )
    else:
        message = (
            f"The code is collapsed: {described}, so every input gets nearly the "
            "same code and nothing the decoder produces can come from it (an "
            "autoencoder whose decoder reads only the code produces one output). "
            "Usual causes: "
            "saturating activations (sigmoid everywhere), too small kernels, an "
            "unshuffled dataset; use ReLU hidden layers, a linear code, 5x5 / 3x3 "
            "kernels, and shuffle every epoch."
        )
    verdict = Verdict(CHECK, ok, message, numbers, histograms={"dimension_spread": spread})
    return _summary.log_verdict(verdict, log_dir, step)


class CodeCollapseMonitor(PeriodicCheck):
    """Checks the code spread (`code_spread`) on fixed inputs at epoch ends.

    Args:
        inputs: different inputs (array or dataset), e.g. 512 test images.
        layer_name: the code layer. Defaults to `"code"`.
        threshold: relative spread below which the code is collapsed.
            Defaults to 1e-2.
        freq: check every this many epochs. Defaults to 1.
        log_dir: TensorBoard log directory, or `None`. Defaults to `None`.
        verbose: print the last verdict at the end of training. Defaults to 1.

    Example:

    ```python
    monitor = CodeCollapseMonitor(test_images[:512], log_dir="logs/run1")
    model.fit(train, epochs=10, callbacks=[monitor])
    monitor.verdict.ok
    ```
    """

    def __init__(self, inputs, layer_name="code", threshold=1e-2, freq=1, log_dir=None, verbose=1):
        super().__init__(freq=freq, log_dir=log_dir, verbose=verbose)
        self.inputs, _, _ = _inputs.collect(inputs, max_examples=1024)
        self.layer_name = layer_name
        self.threshold = threshold

    def measure(self):
        return code_spread(self.model, self.inputs, self.layer_name, self.threshold)


def _matrix(structure, count):
    """All arrays of a structure as one `(count, features)` float64 matrix."""
    return np.concatenate(
        [np.reshape(a, (count, -1)) for a in keras.tree.flatten(structure)], axis=1
    ).astype(np.float64)


def _spread(matrix):
    """Per-column std, mean magnitude, and their ratio (the relative spread)."""
    spread = matrix.std(axis=0)
    magnitude = float(np.mean(np.abs(matrix)))
    return spread, magnitude, float(spread.mean() / magnitude) if magnitude > 0 else 0.0
