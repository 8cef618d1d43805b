"""A reader for IDX files, the format of the MNIST distribution (.gz or not)."""

import gzip
import zlib

import numpy as np

from aezoo.data.errors import IdxFormatError

# The third byte of the magic number gives the element type (big-endian).
_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path, magic=None):
    """Reads an IDX file into a numpy array, checking it against its header.

    The header is a 4-byte magic number (two zero bytes, the element type,
    the number of dimensions) followed by one 4-byte big-endian size per
    dimension. The payload must hold exactly the product of the sizes.

    Args:
        path: the file; a name ending in `.gz` is decompressed.
        magic: the magic number the file must have (MNIST: 2051 for images,
            2049 for labels), or `None` to accept any valid IDX type.

    Returns:
        A numpy array of the header's shape and element type (native byte
        order).

    Raises:
        FileNotFoundError: the file does not exist.
        IdxFormatError: bad gzip stream, unexpected magic number, or a payload
            that is shorter or longer than the header says.

    Example:

    >>> images = read_idx("mnist/train-images-idx3-ubyte.gz", magic=2051)
    >>> images.shape
    (5000, 28, 28)
    """
    path = str(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise IdxFormatError(
            f"{path}: too short for an IDX header ({len(data)} bytes, need at "
            "least 4): the file is truncated."
        )
    found_magic = int.from_bytes(data[:4], "big")
    if magic is not None and found_magic != magic:
        raise IdxFormatError(
            f"{path}: bad magic number {found_magic}, expected {magic}: this is "
            "not the IDX file its name says, or it is corrupt."
        )
    ndim = data[3]
    if data[:2] != b"\x00\x00" or data[2] not in _DTYPES or ndim == 0:
        raise IdxFormatError(
            f"{path}: bad magic number {found_magic} (0x{found_magic:08x}): not "
            "an IDX file."
        )
    dtype = _DTYPES[data[2]]
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise IdxFormatError(
            f"{path}: truncated header: {ndim} dimensions need {header_size} "
            f"bytes, the file has {len(data)}."
        )
    shape = tuple(
        int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)
    )
    expected = int(np.prod(shape)) * dtype.itemsize
    found = len(data) - header_size
    if found != expected:
        problem = "truncated" if found < expected else "longer than its header says"
        raise IdxFormatError(
            f"{path}: {problem}: the header declares shape {shape} "
            f"({expected} bytes of data) but the file holds {found} bytes."
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def _read_bytes(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as file:
        try:
            return file.read()
        except (gzip.BadGzipFile, EOFError, zlib.error) as error:
            raise IdxFormatError(
                f"{path}: not a valid gzip file ({error}): the download is "
                "incomplete or the file is corrupt."
            ) from error
