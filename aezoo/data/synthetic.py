"""Generated toy datasets: `bit_pairs` (seed 002) and `signal` (seed 004).

Both are drawn once from `numpy.random.default_rng` seeded by the split and
`seed`: the same seed gives the same examples, and the evaluation splits are
the same whatever `seed` (see `aezoo.data.load`).
"""

import numpy as np
import tensorflow as tf

from aezoo.data._common import batch_examples
from aezoo.data._common import check_choice
from aezoo.data._common import check_int
from aezoo.data._common import resolve_shuffle
from aezoo.data._common import split_seed

SPLITS = ("train", "validation", "test")
_DEFAULT_SIZES = {"train": 10000, "validation": 1000, "test": 1000}


def _size(argument, value, split):
    return check_int(argument, _DEFAULT_SIZES[split] if value is None else value, 1)


def bit_pair_labels(bits):
    """Inputs, classes and weights for rows of random bits.

    The class of step t is `2 * bits[t-1] + bits[t]`. Step 0 has no previous
    bit: its class is `bits[0]` and its weight 0, so that losses and metrics
    ignore it.

    Args:
        bits: integer array `(rows, steps)` of 0s and 1s.

    Returns:
        `(inputs, classes, weights)`: float32 `(rows, steps, 1)`, int32
        `(rows, steps)` in 0..3, float32 `(rows, steps)`.
    """
    previous = np.pad(bits[:, :-1], ((0, 0), (1, 0)))
    weights = np.ones(bits.shape, np.float32)
    weights[:, 0] = 0.0
    return (
        bits[..., None].astype(np.float32),
        (2 * previous + bits).astype(np.int32),
        weights,
    )


def bit_pairs_dataset(
    split,
    *,
    batch_size,
    shuffle,
    seed,
    shard,
    sequence_length=20,
    num_sequences=None,
    stream=False,
):
    """Batches of `(bits, classes, sample_weight)`: random bits, class = 2*previous + current.

    Batch-major: inputs `(batch, sequence_length, 1)` float32, classes
    `(batch, sequence_length)` int32 in 0..3, sample weights
    `(batch, sequence_length)` float32, 0 where a step has no previous bit.

    Args:
        split: `"train"`, `"validation"` or `"test"`.
        batch_size, shuffle, seed, shard: see `aezoo.data.load`.
        sequence_length: steps per sequence.
        num_sequences: number of sequences (default 10,000 for "train",
            1,000 otherwise).
        stream: `False`: independent sequences, step 0 of each masked.
            `True` (for stateful models): `batch_size` independent streams,
            cut into consecutive chunks of `sequence_length` so that row i of
            batch k+1 continues row i of batch k; only the first step of each
            stream is masked. Gives `num_sequences // batch_size` full batches
            in order; `shuffle` and `shard` must be left off.

    Returns:
        A `tf.data.Dataset` of `(inputs, classes, sample_weight)`.
    """
    check_choice("split", split, SPLITS)
    steps = check_int("sequence_length", sequence_length, 2)
    count = _size("num_sequences", num_sequences, split)
    if not isinstance(stream, bool):
        raise ValueError(f"`stream` must be True or False. Received: stream={stream!r}")
    rng = np.random.default_rng(split_seed(split, seed))
    if not stream:
        bits = rng.integers(0, 2, (count, steps))
        return batch_examples(
            tf.data.Dataset.from_tensor_slices(bit_pair_labels(bits)),
            num_examples=count,
            batch_size=batch_size,
            shuffle=resolve_shuffle(shuffle, split),
            seed=seed,
            shard=shard,
        )
    if shuffle or shard != (1, 0):
        raise ValueError(
            "stream=True keeps each row's chunks in order across batches, so it "
            f"cannot be shuffled or sharded. Received: shuffle={shuffle!r}, "
            f"shard={shard!r}"
        )
    num_batches = count // batch_size
    if num_batches == 0:
        raise ValueError(
            "stream=True needs num_sequences >= batch_size (one chunk per "
            f"stream at least). Received: num_sequences={count}, "
            f"batch_size={batch_size}"
        )
    bits = rng.integers(0, 2, (batch_size, num_batches * steps))

    def to_batches(array):
        # (streams, time, ...) -> (batch index, streams, sequence_length, ...)
        chunks = array.reshape((batch_size, num_batches, steps) + array.shape[2:])
        return np.swapaxes(chunks, 0, 1)

    batches = tuple(to_batches(array) for array in bit_pair_labels(bits))
    return tf.data.Dataset.from_tensor_slices(batches)


def signal_dataset(split, *, batch_size, shuffle, seed, shard, dim=1, num_examples=None):
    """Batches of `(x, x)` with x uniform in [-1, 1): the identity task of seed 004.

    Args:
        split: `"train"`, `"validation"` or `"test"`.
        batch_size, shuffle, seed, shard: see `aezoo.data.load`.
        dim: features per example.
        num_examples: number of examples (default 10,000 for "train", 1,000
            otherwise).

    Returns:
        A `tf.data.Dataset` of `(x, x)`, float32 `(batch, dim)`.
    """
    check_choice("split", split, SPLITS)
    dim = check_int("dim", dim, 1)
    count = _size("num_examples", num_examples, split)
    rng = np.random.default_rng(split_seed(split, seed))
    x = rng.uniform(-1.0, 1.0, (count, dim)).astype(np.float32)
    return batch_examples(
        tf.data.Dataset.from_tensor_slices((x, x)),
        num_examples=count,
        batch_size=batch_size,
        shuffle=resolve_shuffle(shuffle, split),
        seed=seed,
        shard=shard,
    )
