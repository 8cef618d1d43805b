"""What the autoencoder families share: MNIST digits as their own targets,
the per-pixel MSE of a reconstruction, and its pictures."""


def reconstruct(images, labels):
    """An autoencoder's batch: the images are the targets (labels dropped)."""
    return images, images


def check_mnist_size(key, value, expected):
    """Raises `ValueError` unless a size key fits the 28x28 MNIST digits."""
    if value != expected:
        raise ValueError(
            f"MNIST digits are 28x28, so `{key}` must be {expected}. "
            f"Received: {key}={value!r}"
        )


def pixel_mse(model, batches, config):
    """Per-pixel MSE of the model's outputs against the targets.

    Returns:
        `{"examples": count, "mse": mean over examples of the per-pixel MSE}`.
    """
    total, count = 0.0, 0
    for inputs, targets in batches:
        predicted = model.predict_on_batch(inputs)
        total += float(((predicted - targets) ** 2).reshape(len(inputs), -1).mean(axis=1).sum())
        count += len(inputs)
    return {"examples": count, "mse": total / count}


def image_pairs(model, inputs, targets, folder):
    """Inputs above their reconstructions (`reconstructions.png`)."""
    from aezoo import drawing

    return [drawing.image_pairs(inputs, model.predict_on_batch(inputs[:10]), folder / "reconstructions.png")]


def refuse_gif(name, path):
    """Raises `ValueError` for a `.gif` prediction picture of a model that
    does not predict frames."""
    if path.suffix == ".gif":
        raise ValueError(f"a .gif picture is for frame predictors; use .png for {name}")
