"""Argument checks, split seeds and the batching step shared by the datasets."""

import math
import numbers

# Each split of a generated dataset draws from its own random stream. The
# evaluation splits are fixed (their stream ignores `seed`) so that scores from
# different runs are computed on the same examples.
_SPLIT_STREAMS = {"train": 0, "validation": 1, "test": 2}


def check_choice(argument, value, choices):
    """Raises `ValueError` unless `value` is one of `choices`."""
    if value not in choices:
        raise ValueError(
            f"Invalid value for `{argument}`. Received: {argument}={value!r}. "
            f"Valid choices: {', '.join(repr(c) for c in choices)}."
        )


def check_int(argument, value, minimum):
    """Returns `value` as an int; `ValueError` unless it is an integer >= minimum."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"`{argument}` must be an integer >= {minimum}. "
            f"Received: {argument}={value!r}"
        )
    if value < minimum:
        raise ValueError(
            f"`{argument}` must be >= {minimum}. Received: {argument}={value!r}"
        )
    return int(value)


def check_number(argument, value, low, high=math.inf):
    """Returns `value` as a float; `ValueError` unless low <= value < high."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not low <= value < high
    ):
        raise ValueError(
            f"`{argument}` must be a number in [{low}, {high}). "
            f"Received: {argument}={value!r}"
        )
    return float(value)


def resolve_shuffle(shuffle, split):
    """`shuffle`, with `None` meaning "shuffle the training split only"."""
    if shuffle is None:
        return split == "train"
    if not isinstance(shuffle, bool):
        raise ValueError(
            f"`shuffle` must be True, False or None. Received: shuffle={shuffle!r}"
        )
    return shuffle


def split_seed(split, seed):
    """The `[seed, stream]` pair that generates `split`; only "train" uses `seed`."""
    return (seed if split == "train" else 0, _SPLIT_STREAMS[split])


def batch_examples(examples, *, num_examples, batch_size, shuffle, seed, shard):
    """Shards, optionally reshuffles every epoch, and batches a dataset of examples.

    Args:
        examples: a `tf.data.Dataset` of single examples.
        num_examples: how many examples it holds (the shuffle buffer covers
            them all, so even a split sorted by label is mixed); may be `None`
            when `shuffle` is False.
        batch_size: examples per batch.
        shuffle: whether to reshuffle every epoch.
        seed: the shuffle seed.
        shard: `(num_shards, index)`: keep every `num_shards`-th example.

    Returns:
        A batched `tf.data.Dataset`.
    """
    examples = examples.shard(*shard)
    if shuffle:
        examples = examples.shuffle(
            num_examples, seed=seed, reshuffle_each_iteration=True
        )
    return examples.batch(batch_size)
