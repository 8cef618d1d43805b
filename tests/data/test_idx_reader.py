import gzip

import numpy as np
import pytest

from aezoo.data import DataNotFoundError
from aezoo.data import IdxFormatError
from aezoo.data import load
from aezoo.data import read_idx
from aezoo.data import read_mnist
from aezoo.data.mnist import mnist_digits


def idx_bytes(array, magic):
    header = magic.to_bytes(4, "big") + b"".join(
        size.to_bytes(4, "big") for size in array.shape
    )
    return header + array.astype(">u1").tobytes()


def write(path, data):
    if str(path).endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)


TEN_IMAGES = idx_bytes(np.random.default_rng(0).integers(0, 256, (10, 28, 28)), 2051)
TEN_LABELS = idx_bytes(np.arange(10), 2049)


def write_mnist(directory, images=TEN_IMAGES, labels=TEN_LABELS):
    """A 10-digit training split; valid unless given other file contents."""
    write(directory / "train-images-idx3-ubyte.gz", images)
    write(directory / "train-labels-idx1-ubyte", labels)


@pytest.mark.parametrize("name", ["digits-idx3-ubyte", "digits-idx3-ubyte.gz"])
def test_read_idx_round_trip(tmp_path, name):
    array = np.random.default_rng(1).integers(0, 256, (3, 5, 7)).astype(np.uint8)
    write(tmp_path / name, idx_bytes(array, 2051))
    read = read_idx(tmp_path / name, magic=2051)
    assert read.dtype == np.uint8
    np.testing.assert_array_equal(read, array)


def test_read_mnist_offline_files(mnist_dir):
    images, labels = read_mnist(mnist_dir, "train")
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (5000,)
    assert np.all(np.diff(labels) >= 0), "the offline training subset is sorted"
    images, labels = read_mnist(mnist_dir, "test")
    assert images.shape == (8000, 28, 28) and labels.shape == (8000,)


DAMAGED = {
    "truncated images": (
        dict(images=TEN_IMAGES[:-28 * 28 * 5]),
        r"train-images-idx3-ubyte.gz: truncated: the header declares shape "
        r"\(10, 28, 28\) \(7840 bytes of data\) but the file holds 3920 bytes",
    ),
    "trailing bytes": (
        dict(labels=TEN_LABELS + b"\x00\x00"),
        r"train-labels-idx1-ubyte: longer than its header says",
    ),
    "header cut short": (
        dict(labels=TEN_LABELS[:6]),
        r"train-labels-idx1-ubyte: truncated header: 1 dimensions need 8 bytes",
    ),
    "empty file": (
        dict(labels=b""),
        r"train-labels-idx1-ubyte: too short for an IDX header \(0 bytes",
    ),
    "labels as images": (
        dict(images=TEN_LABELS),
        r"train-images-idx3-ubyte.gz: bad magic number 2049, expected 2051",
    ),
    "not IDX at all": (
        dict(labels=b"<html>404 Not Found</html>"),
        r"train-labels-idx1-ubyte: bad magic number \d+, expected 2049",
    ),
    "wrong digit size": (
        dict(images=idx_bytes(np.zeros((10, 27, 27)), 2051)),
        r"images have shape \(10, 27, 27\), expected \(n, 28, 28\)",
    ),
    "count mismatch": (
        dict(labels=idx_bytes(np.arange(9), 2049)),
        r"holds 10 images but .*train-labels-idx1-ubyte holds 9 labels",
    ),
    "label out of range": (
        dict(labels=idx_bytes(np.full(10, 12), 2049)),
        r"label 12 is out of range 0..9",
    ),
}


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_damaged_idx_files_raise_with_fix(tmp_path, case):
    contents, message = DAMAGED[case]
    write_mnist(tmp_path, **contents)
    with pytest.raises(IdxFormatError, match=message) as raised:
        read_mnist(tmp_path, "train")
    assert "AEZOO_MNIST_DIR" in str(raised.value)
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize("damage", ["garbage", "cut"])
def test_bad_gzip_raises(tmp_path, damage):
    write_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    data = path.read_bytes()
    path.write_bytes(b"this is not gzip" if damage == "garbage" else data[: len(data) // 2])
    with pytest.raises(IdxFormatError, match=r"train-images-idx3-ubyte.gz: not a valid gzip file"):
        read_mnist(tmp_path, "train")


def test_missing_file_raises_with_fix(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte").unlink()
    with pytest.raises(
        DataNotFoundError,
        match=r"MNIST file train-labels-idx1-ubyte \(or train-labels-idx1-ubyte.gz\) "
        r"not found in .*AEZOO_MNIST_DIR",
    ):
        read_mnist(tmp_path, "train")


def test_missing_directory_raises(tmp_path):
    with pytest.raises(DataNotFoundError, match=r"nowhere does not exist.*data_dir="):
        load("mnist", data_dir=str(tmp_path / "nowhere"))


def test_no_source_raises(tmp_path, monkeypatch):
    monkeypatch.delenv("AEZOO_MNIST_DIR", raising=False)
    with pytest.raises(
        DataNotFoundError,
        match=r"tfds dataset 'mnist' is not prepared \(in .*\), and AEZOO_MNIST_DIR is not set",
    ):
        mnist_digits("test", tfds_data_dir=str(tmp_path))


def test_environment_variable_names_the_directory(tmp_path, monkeypatch, mnist_dir):
    monkeypatch.setenv("AEZOO_MNIST_DIR", mnist_dir)
    images, _ = mnist_digits("test", tfds_data_dir=str(tmp_path))
    assert images.shape == (8000, 28, 28)
