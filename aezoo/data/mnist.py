"""MNIST digits, from a prepared tfds `mnist` or from a directory of IDX files."""

import functools
import os

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from aezoo.data._common import batch_examples
from aezoo.data._common import check_choice
from aezoo.data._common import check_number
from aezoo.data._common import resolve_shuffle
from aezoo.data.errors import DataNotFoundError
from aezoo.data.errors import IdxFormatError
from aezoo.data.idx import read_idx

SPLITS = ("train", "validation", "test")
ENV_VAR = "AEZOO_MNIST_DIR"
IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
DIGIT_SIZE = 28
_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
# The held-out validation examples must not depend on the user's seed.
_HOLDOUT_SEED = 20260101
_HOW_TO_PROVIDE = (
    "To provide MNIST, pass data_dir=<a directory holding "
    "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte "
    f"and t10k-labels-idx1-ubyte, each .gz or not>, or set the {ENV_VAR} "
    "environment variable to such a directory, or prepare the tfds dataset "
    "'mnist' (`tfds build mnist` on a machine with internet, then copy its "
    "data directory here)."
)


def read_mnist(directory, split):
    """Reads one MNIST split from a directory of IDX files.

    Counts come from the file headers (a subset holds fewer than the official
    60,000 / 10,000 digits). The images must be 28x28 with magic number 2051,
    the labels must have magic number 2049, values 0..9, and one label per
    image.

    Args:
        directory: a directory holding the standard MNIST file names, each
            compressed (`.gz`) or not.
        split: `"train"` or `"test"` (the `t10k` files).

    Returns:
        `(images, labels)`: uint8 arrays of shape `(n, 28, 28)` and `(n,)`.

    Raises:
        DataNotFoundError: the directory or one of the two files is missing.
        IdxFormatError: a file is corrupt, truncated, or not the expected
            IDX content.

    Example:

    >>> images, labels = read_mnist("../shared/data/mnist", "test")
    >>> images.shape, labels.shape
    ((8000, 28, 28), (8000,))
    """
    check_choice("split", split, tuple(_FILES))
    directory = str(directory)
    if not os.path.isdir(directory):
        raise DataNotFoundError(
            f"The MNIST directory {directory} does not exist. {_HOW_TO_PROVIDE}"
        )
    images_path, labels_path = (_find(directory, name) for name in _FILES[split])
    try:
        images = read_idx(images_path, magic=IMAGES_MAGIC)
        labels = read_idx(labels_path, magic=LABELS_MAGIC)
        _check_mnist(images, labels, images_path, labels_path)
    except IdxFormatError as error:
        raise IdxFormatError(f"{error} {_HOW_TO_PROVIDE}") from error
    return images, labels


def _find(directory, name):
    for candidate in (name, name + ".gz"):
        path = os.path.join(directory, candidate)
        if os.path.isfile(path):
            return path
    raise DataNotFoundError(
        f"MNIST file {name} (or {name}.gz) not found in {directory}. "
        f"{_HOW_TO_PROVIDE}"
    )


def _check_mnist(images, labels, images_path, labels_path):
    if images.ndim != 3 or images.shape[1:] != (DIGIT_SIZE, DIGIT_SIZE):
        raise IdxFormatError(
            f"{images_path}: images have shape {images.shape}, expected "
            f"(n, {DIGIT_SIZE}, {DIGIT_SIZE})."
        )
    if len(images) != len(labels):
        raise IdxFormatError(
            f"{images_path} holds {len(images)} images but {labels_path} holds "
            f"{len(labels)} labels: the files belong to different sets."
        )
    if labels.size and labels.max() > 9:
        raise IdxFormatError(
            f"{labels_path}: label {labels.max()} is out of range 0..9."
        )


def mnist_digits(split, *, data_dir=None, tfds_data_dir=None, validation_fraction=0.0):
    """The digits of an MNIST split, decoded once per process.

    Source, in this order: the IDX directory `data_dir` if given; else the
    tfds dataset `mnist` if it is prepared (never downloaded); else the IDX
    directory named by the `AEZOO_MNIST_DIR` environment variable.

    Args:
        split: `"train"`, `"validation"` or `"test"`. `"validation"` is the
            last `validation_fraction` of a fixed permutation of the training
            digits, and `"train"` then leaves them out.
        data_dir: an MNIST IDX directory (see `read_mnist`).
        tfds_data_dir: where tfds looks for a prepared `mnist` (tfds's
            default when `None`).
        validation_fraction: fraction of the training digits held out for
            `"validation"`, in [0, 1). 0 keeps "train" complete.

    Returns:
        `(images, labels)`: uint8 arrays `(n, 28, 28)` and `(n,)`.

    Raises:
        DataNotFoundError: no source is available.
        IdxFormatError: the IDX files are damaged.
        ValueError: bad split or fraction.
    """
    check_choice("split", split, SPLITS)
    fraction = check_number("validation_fraction", validation_fraction, 0.0, 1.0)
    if split == "validation" and fraction == 0.0:
        raise ValueError(
            "split='validation' holds out part of the training digits: pass "
            "validation_fraction > 0 (e.g. 0.1), and the same value when "
            "loading 'train' so that it leaves those digits out. Received: "
            f"validation_fraction={validation_fraction!r}"
        )
    if split == "test":
        return _decoded("test", data_dir, tfds_data_dir)
    images, labels = _decoded("train", data_dir, tfds_data_dir)
    order = np.random.default_rng(_HOLDOUT_SEED).permutation(len(images))
    num_kept = len(images) - round(len(images) * fraction)
    chosen = order[num_kept:] if split == "validation" else order[:num_kept]
    chosen = np.sort(chosen)
    return images[chosen], labels[chosen]


def describe_source(data_dir=None, tfds_data_dir=None):
    """Where `mnist_digits` reads from, in words (for model cards)."""
    if data_dir is None:
        if _tfds_mnist(tfds_data_dir)[0]:
            return "tfds mnist (prepared)"
        data_dir = os.environ.get(ENV_VAR)
        if not data_dir:
            return "none"
        return f"MNIST IDX files in {ENV_VAR}={data_dir}"
    return f"MNIST IDX files in {data_dir}"


def _decoded(split, data_dir, tfds_data_dir):
    directory = data_dir
    if directory is None:
        prepared, tfds_folder = _tfds_mnist(tfds_data_dir)
        if prepared:
            return _read_tfds(split, tfds_data_dir)
        directory = os.environ.get(ENV_VAR)
        if not directory:
            raise DataNotFoundError(
                "No MNIST data: data_dir is not given, the tfds dataset 'mnist' "
                f"is not prepared (in {tfds_folder}), and {ENV_VAR} is not "
                f"set. {_HOW_TO_PROVIDE}"
            )
    return _read_idx_cached(os.path.abspath(directory), split)


@functools.lru_cache(maxsize=None)
def _tfds_mnist(tfds_data_dir):
    """`(prepared, folder)` of the tfds dataset `mnist`, checked once per
    process and quietly: tfds logs an absl warning for every look at a
    folder that does not hold it."""
    from absl import logging as absl_logging

    verbosity = absl_logging.get_verbosity()
    absl_logging.set_verbosity(absl_logging.ERROR)
    try:
        builder = tfds.builder("mnist", data_dir=tfds_data_dir)
        return builder.is_prepared(), builder.data_dir
    finally:
        absl_logging.set_verbosity(verbosity)


@functools.lru_cache(maxsize=None)
def _read_idx_cached(directory, split):
    return _read_only(*read_mnist(directory, split))


@functools.lru_cache(maxsize=None)
def _read_tfds(split, tfds_data_dir):
    builder = tfds.builder("mnist", data_dir=tfds_data_dir)
    chunks = list(
        tfds.as_numpy(builder.as_dataset(split=split, as_supervised=True, batch_size=10000))
    )
    images = np.concatenate([chunk_images[..., 0] for chunk_images, _ in chunks])
    labels = np.concatenate([chunk_labels for _, chunk_labels in chunks])
    return _read_only(images, labels)


def _read_only(*arrays):
    # Cached arrays are shared by every caller.
    for array in arrays:
        array.flags.writeable = False
    return arrays


def mnist_dataset(
    split,
    *,
    batch_size,
    shuffle,
    seed,
    shard,
    flatten=False,
    validation_fraction=0.0,
    data_dir=None,
    tfds_data_dir=None,
):
    """Batches of MNIST `(images, labels)`.

    Args:
        split: `"train"`, `"validation"` or `"test"` (see `mnist_digits`).
        batch_size, shuffle, seed, shard: see `aezoo.data.load`. The shuffle
            buffer covers the whole split (the offline training subset is
            sorted by label).
        flatten: `False` gives images `(batch, 28, 28, 1)`, `True` gives
            `(batch, 784)`.
        validation_fraction, data_dir, tfds_data_dir: see `mnist_digits`.

    Returns:
        A `tf.data.Dataset` of `(images, labels)`: float32 pixels in [0, 1],
        int32 labels `(batch,)`.
    """
    if not isinstance(flatten, bool):
        raise ValueError(f"`flatten` must be True or False. Received: flatten={flatten!r}")
    images, labels = mnist_digits(
        split,
        data_dir=data_dir,
        tfds_data_dir=tfds_data_dir,
        validation_fraction=validation_fraction,
    )
    shape = (-1, DIGIT_SIZE * DIGIT_SIZE) if flatten else (-1, DIGIT_SIZE, DIGIT_SIZE, 1)

    def scale(images, labels):
        images = tf.reshape(tf.cast(images, tf.float32) / 255.0, shape)
        return images, tf.cast(labels, tf.int32)

    batches = batch_examples(
        tf.data.Dataset.from_tensor_slices((images, labels)),
        num_examples=len(images),
        batch_size=batch_size,
        shuffle=resolve_shuffle(shuffle, split),
        seed=seed,
        shard=shard,
    )
    return batches.map(scale, num_parallel_calls=tf.data.AUTOTUNE)
