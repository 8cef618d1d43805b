"""The conv autoencoder's data: `(images, images)`, `(batch, 28, 28, 1)`."""

from aezoo.family import DataLayout
from aezoo.models.reconstruction import check_mnist_size
from aezoo.models.reconstruction import reconstruct


def layout(config):
    """MNIST digits as 28x28x1 images, each its own target."""
    check_mnist_size("image_size", config["image_size"], 28)
    return DataLayout({"flatten": False}, reconstruct)
