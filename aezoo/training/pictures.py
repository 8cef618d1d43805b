"""The pictures of a run: its loss curves, and what the trained model does.

`loss_curves` draws a run's history; `model_pictures` and
`prediction_picture` ask the model's family (`aezoo.family.ModelFamily`)
for its pictures, drawn with `aezoo.drawing`'s primitives. Every function
writes PNG (or GIF) files and returns their paths.
"""

import csv
import pathlib

from aezoo import drawing  # sets matplotlib's Agg backend
from aezoo import registry

import matplotlib.pyplot as plt  # noqa: E402, I001  (after the backend is set)


def loss_curves(history_csv, path, gradient_log=None):
    """Loss per epoch; per-step loss and global gradient norm when logged.

    Args:
        history_csv: a Keras `CSVLogger` file.
        path: the PNG to write.
        gradient_log: optional CSV `step,loss,global_norm` (written by
            training with the `gradient_statistics` check).
    """
    with open(history_csv) as handle:
        rows = list(csv.DictReader(handle))
    steps = []
    if gradient_log is not None and pathlib.Path(gradient_log).exists():
        with open(gradient_log) as handle:
            steps = list(csv.DictReader(handle))
    panels = 2 if steps else 1
    figure, axes = plt.subplots(1, panels, figsize=(6 * panels, 4), squeeze=False)
    axis = axes[0, 0]
    for key in [k for k in (rows[0] if rows else {}) if "loss" in k]:
        axis.plot([int(r["epoch"]) + 1 for r in rows], [float(r[key]) for r in rows], label=key)
    axis.set_xlabel("epoch")
    axis.set_yscale("log")
    axis.set_title("loss")
    axis.legend()
    if steps:
        axis = axes[0, 1]
        x = [int(r["step"]) + 1 for r in steps]
        axis.plot(x, [float(r["global_norm"]) for r in steps], lw=0.8, label="gradient norm (before clipping)")
        axis.plot(x, [float(r["loss"]) for r in steps], lw=0.8, label="step loss")
        axis.set_xlabel("step")
        axis.set_yscale("log")
        axis.set_title("per step")
        axis.legend()
    return drawing.save(figure, path)


def model_pictures(model, family, inputs, targets, folder):
    """The pictures that show what a trained registry model does.

    Args:
        model: the trained model.
        family: its `aezoo.family.ModelFamily`, or its registry name.
        inputs, targets: one evaluation batch (NumPy).
        folder: where to write.

    Returns:
        The list of paths written (none for a family without pictures).
    """
    family = _family(family)
    if family.pictures is None:
        return []
    return family.pictures(model, inputs, targets, pathlib.Path(folder))


def prediction_picture(family, inputs, outputs, path, output=None):
    """The picture of an `aezoo predict` call: `.png` (images or frame rows)
    or `.gif` (the input frames, then the predicted ones).

    Args:
        family: the model's `aezoo.family.ModelFamily`, or its registry name.
        inputs: the batch the model was given.
        outputs: its outputs (an array, or a dict of named arrays).
        path: the `.png` or `.gif` to write.
        output: the named output to draw; defaults to the first.

    Raises:
        ValueError: another suffix, an unknown output, or a family without
            prediction pictures (or without GIFs, for `.gif`).
    """
    path = pathlib.Path(path)
    if path.suffix not in (".png", ".gif"):
        raise ValueError(f"--picture must end in .png or .gif; got {path.name!r}")
    if isinstance(outputs, dict):
        output = output or next(iter(outputs))
        if output not in outputs:
            raise ValueError(f"--output must be one of {sorted(outputs)}; got {output!r}")
    family = _family(family)
    return family.require("prediction_picture")(inputs, outputs, path, output)


def _family(family):
    return registry.get_model_info(family) if isinstance(family, str) else family
