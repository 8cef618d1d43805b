import keras
import numpy as np
import pytest

@pytest.fixture(autouse=True)
def _seeded():
    keras.utils.set_random_seed(0)


@pytest.fixture(scope="session")
def mnist_images(mnist_dir):
    """2,048 MNIST training images, float32 in [0, 1], `(n, 28, 28, 1)`."""
    from aezoo.data import read_mnist

    images, _ = read_mnist(mnist_dir, "train")
    return (images[:2048, ..., None] / 255.0).astype("float32")


@pytest.fixture(scope="session")
def signal():
    """x ~ U[-1, 1], `(1024, 1)` float32: the seed-004 identity task's data."""
    return np.random.default_rng(0).uniform(-1, 1, (1024, 1)).astype("float32")
