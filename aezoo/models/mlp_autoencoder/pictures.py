"""The MLP autoencoder's pictures: its estimates against its inputs."""

from aezoo.models import reconstruction


def pictures(model, inputs, targets, folder):
    """`estimates.png`: estimate against input (the identity is ideal)."""
    from aezoo import drawing

    return [drawing.estimate_plot(inputs, model.predict_on_batch(inputs), folder / "estimates.png")]


def prediction_picture(inputs, outputs, path, output):
    """Estimates against inputs (`.png` only)."""
    from aezoo import drawing

    reconstruction.refuse_gif("mlp_autoencoder", path)
    return drawing.estimate_plot(inputs, outputs, path)
