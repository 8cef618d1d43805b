"""The sparse autoencoder's data: `(images, images)`, flat `(batch, 784)`."""

from aezoo.family import DataLayout
from aezoo.models.reconstruction import check_mnist_size
from aezoo.models.reconstruction import reconstruct


def layout(config):
    """MNIST digits flattened to 784 values, each its own target."""
    check_mnist_size("input_dim", config["input_dim"], 28 * 28)
    return DataLayout({"flatten": True}, reconstruct)
