"""The conv autoencoder's pictures: digits above their reconstructions."""

from aezoo.models import reconstruction
from aezoo.models.reconstruction import image_pairs as pictures  # noqa: F401 (the family's hook)


def prediction_picture(inputs, outputs, path, output):
    """Inputs above the predicted reconstructions (`.png` only)."""
    from aezoo import drawing

    reconstruction.refuse_gif("conv_autoencoder", path)
    return drawing.image_pairs(inputs, outputs, path)
