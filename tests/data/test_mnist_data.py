from unittest import mock

import numpy as np
import pytest
import tensorflow_datasets as tfds

from aezoo.data import load
from aezoo.data.mnist import mnist_digits


def labels_of(dataset):
    return np.concatenate([labels.numpy() for _, labels in dataset])


def test_images_and_labels(mnist_dir):
    dataset = load("mnist", "test", batch_size=1000, data_dir=mnist_dir)
    images, labels = next(iter(dataset))
    assert images.shape == (1000, 28, 28, 1) and images.dtype == "float32"
    assert labels.shape == (1000,) and labels.dtype == "int32"
    assert 0.0 <= images.numpy().min() and images.numpy().max() == 1.0
    assert sum(len(batch[1]) for batch in dataset) == 8000


def test_flatten(mnist_dir):
    images, _ = next(iter(load("mnist", "test", batch_size=4, flatten=True, data_dir=mnist_dir)))
    assert images.shape == (4, 784)


def test_training_split_is_shuffled_every_epoch(mnist_dir):
    in_order = load("mnist", "train", batch_size=100, shuffle=False, data_dir=mnist_dir)
    assert len(np.unique(next(iter(in_order))[1])) == 1, "the offline subset is sorted"

    dataset = load("mnist", "train", batch_size=100, seed=3, data_dir=mnist_dir)
    first_epoch, second_epoch = labels_of(dataset), labels_of(dataset)
    assert len(np.unique(first_epoch[:100])) == 10
    assert len(first_epoch) == 5000
    assert not np.array_equal(first_epoch, second_epoch)
    np.testing.assert_array_equal(np.sort(first_epoch), np.sort(second_epoch))

    same_seed = load("mnist", "train", batch_size=100, seed=3, data_dir=mnist_dir)
    np.testing.assert_array_equal(labels_of(same_seed), first_epoch)
    other_seed = load("mnist", "train", batch_size=100, seed=4, data_dir=mnist_dir)
    assert not np.array_equal(labels_of(other_seed), first_epoch)


def test_validation_is_held_out_of_train(mnist_dir):
    full, _ = mnist_digits("train", data_dir=mnist_dir)
    kept, _ = mnist_digits("train", data_dir=mnist_dir, validation_fraction=0.1)
    held_out, held_out_labels = mnist_digits(
        "validation", data_dir=mnist_dir, validation_fraction=0.1
    )
    assert (len(full), len(kept), len(held_out)) == (5000, 4500, 500)
    assert len(np.unique(held_out_labels)) == 10
    as_bytes = lambda images: {image.tobytes() for image in images}  # noqa: E731
    assert as_bytes(kept) | as_bytes(held_out) == as_bytes(full)
    assert not as_bytes(kept) & as_bytes(held_out)
    again, _ = mnist_digits("validation", data_dir=mnist_dir, validation_fraction=0.1)
    np.testing.assert_array_equal(again, held_out)


def test_validation_needs_a_fraction(mnist_dir):
    with pytest.raises(ValueError, match=r"validation_fraction > 0.*Received: validation_fraction=0.0"):
        load("mnist", "validation", data_dir=mnist_dir)
    with pytest.raises(ValueError, match=r"must be a number in \[0.0, 1.0\). Received: validation_fraction=1.5"):
        load("mnist", "train", validation_fraction=1.5, data_dir=mnist_dir)


def test_prepared_tfds_mnist_is_used(tmp_path):
    with tfds.testing.mock_data(num_examples=12), mock.patch.object(
        tfds.core.DatasetBuilder, "is_prepared", return_value=True
    ):
        dataset = load("mnist", "test", batch_size=5, tfds_data_dir=str(tmp_path))
        batches = list(dataset)
    assert [len(labels) for _, labels in batches] == [5, 5, 2]
    assert batches[0][0].shape == (5, 28, 28, 1)
