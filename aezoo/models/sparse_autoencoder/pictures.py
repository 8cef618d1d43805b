"""The sparse autoencoder's pictures: reconstructions and the learned filters."""

from aezoo.models import reconstruction


def pictures(model, inputs, targets, folder):
    """`reconstructions.png` and `filters.png` (each hidden unit's input weights)."""
    from aezoo import drawing

    return [
        *reconstruction.image_pairs(model, inputs, targets, folder),
        drawing.filters_grid(model.get_layer("hidden").kernel, folder / "filters.png"),
    ]


def prediction_picture(inputs, outputs, path, output):
    """Inputs above the predicted reconstructions (`.png` only)."""
    from aezoo import drawing

    reconstruction.refuse_gif("sparse_autoencoder", path)
    return drawing.image_pairs(inputs, outputs, path)
