"""Matplotlib drawing primitives: image pairs, filter grids, frame rows and
GIFs, estimate and class plots.

Every function writes one PNG (or GIF) and returns its path. The Agg
backend is used, so no display is needed. This module imports nothing of
aezoo: the families draw their pictures with it (imported when they draw,
so that `import aezoo` does not load matplotlib).
"""

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import animation  # noqa: E402


def image_pairs(inputs, outputs, path, count=10, title="inputs (top) vs reconstructions (bottom)"):
    """Rows of input images above their reconstructions (28x28 or flat 784)."""
    inputs, outputs = _as_images(inputs[:count]), _as_images(outputs[:count])
    figure, axes = plt.subplots(2, len(inputs), figsize=(len(inputs) * 1.1, 2.4), squeeze=False)
    for column, (a, b) in enumerate(zip(inputs, outputs)):
        for row, image in enumerate((a, b)):
            axes[row, column].imshow(image, cmap="gray", vmin=0, vmax=1)
            axes[row, column].axis("off")
    figure.suptitle(title, fontsize=9)
    return save(figure, path)


def filters_grid(kernel, path, title="hidden units' input weights"):
    """Each hidden unit's incoming weights `(784, units)` as a 28x28 tile."""
    kernel = np.asarray(kernel)
    units = kernel.shape[1]
    side = int(np.ceil(np.sqrt(units)))
    tiles = np.zeros((side * 29, side * 29))
    for unit in range(units):
        weights = kernel[:, unit].reshape(28, 28)
        scale = np.abs(weights).max() or 1.0
        row, column = divmod(unit, side)
        tiles[row * 29 : row * 29 + 28, column * 29 : column * 29 + 28] = weights / scale
    figure = plt.figure(figsize=(8, 8))
    plt.imshow(tiles, cmap="gray", vmin=-1, vmax=1)
    plt.axis("off")
    plt.title(title)
    return save(figure, path)


def frame_rows(rows, path, labels):
    """Rows of video frames: `rows` is a list of `(frames, H, W, 1)` arrays."""
    frames = max(len(r) for r in rows)
    figure, axes = plt.subplots(
        len(rows), frames, figsize=(frames * 0.9, len(rows) * 1.0), squeeze=False
    )
    for row, (video, label) in enumerate(zip(rows, labels)):
        for column in range(frames):
            axis = axes[row, column]
            axis.axis("off")
            if column < len(video):
                axis.imshow(video[column, ..., 0], cmap="gray", vmin=0, vmax=1)
        axes[row, 0].set_title(label, fontsize=7, loc="left")
    return save(figure, path)


def frames_gif(panels, path, fps=4):
    """An animated GIF of side-by-side panels of video frames.

    Args:
        panels: one list per panel of `(frames, label)` segments, played one
            after another; every panel has as many frames in all. Each frame
            is titled with its segment's label and its number in the segment
            (`gif_titles`), so input frames read "input 3", never "predicted".
        path: the GIF to write.
        fps: frames per second.
    """
    titles = [gif_titles(segments) for segments in panels]
    videos = [np.concatenate([frames for frames, _ in segments]) for segments in panels]
    if len({len(video) for video in videos}) != 1:
        raise ValueError(f"every panel needs as many frames; got {[len(v) for v in videos]}")
    figure, axes = plt.subplots(1, len(panels), figsize=(2 * len(panels), 2.2), squeeze=False)
    images, headings = [], []
    for axis, video, panel_titles in zip(axes[0], videos, titles):
        axis.axis("off")
        headings.append(axis.set_title(panel_titles[0], fontsize=8))
        images.append(axis.imshow(video[0, ..., 0], cmap="gray", vmin=0, vmax=1))

    def update(index):
        for image, heading, video, panel_titles in zip(images, headings, videos, titles):
            image.set_data(video[index, ..., 0])
            heading.set_text(panel_titles[index])
        return images + headings

    movie = animation.FuncAnimation(figure, update, frames=len(videos[0]))
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    movie.save(path, writer=animation.PillowWriter(fps=fps))
    plt.close(figure)
    return path


def gif_titles(segments):
    """The title of each frame of `frames_gif` segments: `"label k"`, k from 1."""
    return [f"{label} {k}" for frames, label in segments for k in range(1, len(frames) + 1)]


def estimate_plot(inputs, estimates, path):
    """Estimate against input for a 1-D autoencoder (the identity is ideal)."""
    figure, axis = plt.subplots(figsize=(3.5, 3.2))
    axis.plot([-1, 1], [-1, 1], color="0.8", linewidth=3, label="identity")
    axis.scatter(np.ravel(inputs), np.ravel(estimates), s=8, label="estimate")
    axis.set_xlabel("input")
    axis.set_ylabel("estimate")
    axis.legend(fontsize=7)
    return save(figure, path)


def classes_plot(bits, classes, probabilities, path, scored=None):
    """A bit sequence, its true per-step classes and the predicted ones.

    Steps that are not scored (weight 0: step 0 has no previous bit, so its
    class is undefined) are shaded and their prediction drawn in grey.

    Args:
        scored: per-step sample weights. Defaults to the task's: every step
            but step 0.
    """
    steps = np.arange(len(bits))
    if scored is None:
        scored = steps > 0
    scored = np.ravel(scored) > 0
    predicted = np.argmax(probabilities, axis=-1)
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(6, 3), sharex=True)
    top.step(steps, np.ravel(bits), where="mid")
    top.set_ylabel("bit")
    for step in steps[~scored]:
        label = "not scored (no previous bit)" if step == steps[~scored][0] else None
        bottom.axvspan(step - 0.5, step + 0.5, color="0.88", label=label)
    bottom.plot(steps, np.ravel(classes), "o", markersize=8, fillstyle="none", label="true")
    bottom.plot(steps[scored], predicted[scored], "x", label="predicted")
    bottom.plot(steps[~scored], predicted[~scored], "x", color="0.6")
    bottom.set_ylabel("class")
    bottom.set_xlabel("step")
    bottom.legend(fontsize=7, ncol=3)
    return save(figure, path)


def _as_images(batch):
    batch = np.asarray(batch)
    if batch.ndim == 2:
        batch = batch.reshape(len(batch), 28, 28)
    return batch.reshape(batch.shape[:3])


def save(figure, path):
    """Writes `figure` to `path` (PNG, 90 dpi), closes it; returns the path."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path
