"""Argument checks, split seeds and the batching step shared by the datasets."""

from aezoo import validation
from aezoo.validation import check_float as check_number  # noqa: F401 (for the datasets)

# Each split of a generated dataset draws from its own random stream. The
# evaluation splits are fixed (their stream ignores `seed`) so that scores from
# different runs are computed on the same examples.
_SPLIT_STREAMS = {"train": 0, "validation": 1, "test": 2}


def check_choice(argument, value, choices):
    """`aezoo.validation.check_choice`, in the datasets' wording (the value
    received, then the valid choices)."""
    return validation.check_choice(argument, value, choices, received_first=True)


def check_int(argument, value, minimum):
    """`aezoo.validation.check_int`, in the datasets' wording (an integer
    out of range is told only the bound it misses)."""
    return validation.check_int(argument, value, minimum, restate_type=False)


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
