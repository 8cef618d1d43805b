"""Sparsity: is each hidden unit's mean activation near the target rho (seed 003)?"""

import numpy as np

from aezoo.diagnostics import _inputs
from aezoo.diagnostics import _summary
from aezoo.diagnostics._callback import PeriodicCheck
from aezoo.diagnostics.verdict import Verdict

CHECK = "sparsity"


def activation_sparsity(
    model,
    inputs,
    layer_name=None,
    rho=None,
    tolerance=0.2,
    unit_factor=2.0,
    max_examples=2048,
    batch_size=256,
    log_dir=None,
    step=0,
):
    """Compares each unit's mean activation with the sparsity target rho.

    A sparse autoencoder should have every hidden unit active on about a
    fraction rho of the inputs: unit j's mean activation `rho_hat_j` (over
    the inputs, and over every axis but the last) near rho. The posted
    seed-003 model applied its KL penalty per sample, so the mean activation
    stayed ~0.46 for rho = 0.1, as without any penalty.

    Args:
        model: a functional or Sequential Keras model.
        inputs: evaluation inputs (an array, or a dataset of `x` or `(x, y)`
            batches).
        layer_name: the hidden layer. Defaults to `None`: the layer whose
            activity regularizer has a `rho` (e.g. `aezoo.layers.KLSparsity`).
        rho: the target mean activation. Defaults to `None`: the regularizer's.
        tolerance: the verdict is `ok` when the mean of `rho_hat_j` is within
            `tolerance * rho` of rho. Defaults to 0.2.
        unit_factor: a unit is near rho when `rho / unit_factor <= rho_hat_j
            <= rho * unit_factor`. Defaults to 2.0.
        max_examples: inputs used at most. Defaults to 2048.
        batch_size: prediction batch size. Defaults to 256.
        log_dir: TensorBoard log directory, or `None`. Defaults to `None`.
        step: the TensorBoard step. Defaults to 0.

    Returns:
        A `Verdict`. Numbers: `rho`, `mean_activation`, `min_unit_mean`,
        `max_unit_mean`, `fraction_units_near_rho`, `units`; histogram
        `unit_means` (`rho_hat_j`).

    Raises:
        ValueError: no layer given and none has a regularizer with `rho`,
            or no `rho` given and the layer's regularizer has none.

    Example:

    >>> model = aezoo.build("sparse_autoencoder")
    >>> model.fit(train, epochs=5)
    >>> activation_sparsity(model, test_pixels).numbers["mean_activation"]
    0.104
    """
    layer = _sparse_layer(model, layer_name)
    if rho is None:
        rho = getattr(layer.activity_regularizer, "rho", None)
        if rho is None:
            raise ValueError(
                f"Layer '{layer.name}' has no activity regularizer with a `rho`: "
                "pass `rho`."
            )
    rho = float(rho)
    x, _, _ = _inputs.collect(inputs, max_examples=max_examples)
    activations = np.asarray(_inputs.layer_outputs(model, layer, x, batch_size), np.float64)
    unit_means = activations.reshape(-1, activations.shape[-1]).mean(axis=0)
    mean = float(unit_means.mean())
    near = (unit_means >= rho / unit_factor) & (unit_means <= rho * unit_factor)
    numbers = {
        "rho": rho,
        "mean_activation": mean,
        "min_unit_mean": float(unit_means.min()),
        "max_unit_mean": float(unit_means.max()),
        "fraction_units_near_rho": float(near.mean()),
        "units": len(unit_means),
    }
    ok = abs(mean - rho) <= tolerance * rho
    described = (
        f"mean activation of layer '{layer.name}' {mean:.3g} for rho = {rho:g} "
        f"(units {unit_means.min():.3g}..{unit_means.max():.3g}; "
        f"{100 * near.mean():.0f}% of {len(unit_means)} units within a factor "
        f"{unit_factor:g} of rho)"
    )
    if ok:
        message = f"Sparse as intended: {described}."
    else:
        message = _not_sparse_message(model, layer, described, mean, rho, tolerance)
    verdict = Verdict(CHECK, ok, message, numbers, histograms={"unit_means": unit_means})
    return _summary.log_verdict(verdict, log_dir, step)


class SparsityMonitor(PeriodicCheck):
    """Checks `activation_sparsity` on fixed inputs at epoch ends.

    Writes `sparsity/mean_activation`, `sparsity/min_unit_mean`,
    `sparsity/max_unit_mean`, `sparsity/fraction_units_near_rho` and the
    histogram `sparsity/unit_means` to TensorBoard.

    Args:
        inputs: evaluation inputs (array or dataset).
        layer_name: the hidden layer, or `None` for the layer with a `rho`
            regularizer. Defaults to `None`.
        rho: the target, or `None` for the regularizer's. Defaults to `None`.
        tolerance: see `activation_sparsity`. Defaults to 0.2.
        unit_factor: see `activation_sparsity`. Defaults to 2.0.
        freq: check every this many epochs. Defaults to 1.
        log_dir: TensorBoard log directory, or `None`. Defaults to `None`.
        verbose: print the last verdict at the end of training. Defaults to 1.

    Example:

    ```python
    monitor = SparsityMonitor(test_pixels[:1024], log_dir="logs/run1")
    model.fit(train, epochs=10, callbacks=[monitor])
    ```
    """

    def __init__(
        self,
        inputs,
        layer_name=None,
        rho=None,
        tolerance=0.2,
        unit_factor=2.0,
        freq=1,
        log_dir=None,
        verbose=1,
    ):
        super().__init__(freq=freq, log_dir=log_dir, verbose=verbose)
        self.inputs, _, _ = _inputs.collect(inputs, max_examples=2048)
        self.layer_name = layer_name
        self.rho = rho
        self.tolerance = tolerance
        self.unit_factor = unit_factor

    def measure(self):
        return activation_sparsity(
            self.model,
            self.inputs,
            layer_name=self.layer_name,
            rho=self.rho,
            tolerance=self.tolerance,
            unit_factor=self.unit_factor,
        )


def _not_sparse_message(model, layer, described, mean, rho, tolerance):
    """Names the posted mistake only when the layer has it; otherwise says
    what was measured and what to try."""
    wanted = f"the verdict wants the mean within {100 * tolerance:.0f}% of rho"
    dead = (
        "Nearly every unit is off: dead units, from a diverged run or too strong a "
        "penalty. Lower the learning rate or the penalty's weight."
    )
    if getattr(layer.activity_regularizer, "per_sample", False):
        return (
            f"Not sparse as intended: {described}; {wanted}. The layer's KL penalty "
            "compares rho with every sample's activation (per_sample=True, the posted "
            "mistake): it must compare rho with each unit's mean activation over the "
            "batch (KLSparsity(per_sample=False))." + (f" {dead}" if mean < 0.01 else "")
        )
    optimizer = getattr(model, "optimizer", None)
    steps = int(optimizer.iterations.numpy()) if optimizer is not None and optimizer.built else 0
    if mean < 0.01:
        advice = dead
    elif mean > rho:
        advice = (
            "The penalty has not pulled the units down to rho yet: train longer, or "
            "raise the penalty's weight (aezoo: model_overrides.kl_weight)."
        )
    else:
        advice = "The units are sparser than rho: lower the penalty's weight."
    return f"Not yet sparse after {steps} training steps: {described}; {wanted}. {advice}"


def _sparse_layer(model, layer_name):
    if layer_name is not None:
        return model.get_layer(layer_name)
    found = [
        layer
        for layer in model.layers
        if getattr(getattr(layer, "activity_regularizer", None), "rho", None) is not None
    ]
    if not found:
        raise ValueError(
            f"No layer of model '{model.name}' has an activity regularizer with a "
            "`rho` (e.g. KLSparsity): pass `layer_name` and `rho`."
        )
    return found[0]
