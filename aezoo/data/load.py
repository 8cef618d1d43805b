"""`load`: a dataset by name, as batches of `(inputs, targets)`."""

import inspect

import tensorflow as tf

from aezoo.data._common import check_choice
from aezoo.data._common import check_int
from aezoo.data.mnist import mnist_dataset
from aezoo.data.moving_mnist import moving_mnist_dataset
from aezoo.data.synthetic import bit_pairs_dataset
from aezoo.data.synthetic import signal_dataset

# name -> function(split, *, batch_size, shuffle, seed, shard, **options)
# returning unprefetched batches; its docstring documents splits and options.
DATASETS = {
    "mnist": mnist_dataset,
    "moving_mnist": moving_mnist_dataset,
    "bit_pairs": bit_pairs_dataset,
    "signal": signal_dataset,
}
_COMMON_ARGUMENTS = ("split", "batch_size", "shuffle", "seed", "shard")


def load(
    name,
    split="train",
    *,
    batch_size=32,
    shuffle=None,
    seed=0,
    deterministic=True,
    shard=None,
    **options,
):
    """Loads a dataset as a batched, prefetched `tf.data.Dataset`.

    Datasets (each builder's docstring lists its splits and options):
    - `"mnist"` (`mnist_dataset`): `(images, labels)`, images float32 in
      [0, 1] `(batch, 28, 28, 1)` or `(batch, 784)` with `flatten=True`,
      int32 labels. Splits "train", "validation", "test".
    - `"moving_mnist"` (`moving_mnist_dataset`): `(input_frames,
      target_frames)`, float32 in [0, 1] `(batch, frames, 64, 64, 1)`. Splits
      "train" (generated anew every epoch), "validation", "test" (fixed,
      generated), "official_test" (tfds `moving_mnist`).
    - `"bit_pairs"` (`bit_pairs_dataset`): `(bits, classes, sample_weight)`,
      class = 2*previous + current, step 0 weighted 0; `stream=True` for
      stateful models.
    - `"signal"` (`signal_dataset`): `(x, x)`, x uniform in [-1, 1).

    Generated data is deterministic: a given `seed` gives the same examples
    in the same order, and the evaluation splits ("validation", "test") are
    the same whatever `seed`, so that scores are comparable across runs.

    Args:
        name: one of `DATASETS`.
        split: a split of that dataset.
        batch_size: examples per batch.
        shuffle: reshuffle the examples every epoch (buffer = whole split,
            seeded). `None`: shuffle "train" only.
        seed: integer >= 0: the shuffle seed and, for "train", the generator
            seed.
        deterministic: `tf.data.Options().deterministic`: `False` lets
            parallel maps return elements out of order, a little faster.
        shard: `None`, or `(num_shards, index)` to keep every `num_shards`-th
            example starting at `index`, before batching (multi-worker input;
            `distributed` sets it).
        **options: the dataset's own options.

    Returns:
        A `tf.data.Dataset` of `(inputs, targets)` (bit_pairs: `(inputs,
        targets, sample_weight)`), ready for `model.fit`.

    Raises:
        ValueError: unknown name, split or option, or an invalid value; the
            message gives the value received and the valid ones.
        aezoo.data.DataNotFoundError: MNIST or a tfds dataset is missing.
        aezoo.data.IdxFormatError: an MNIST IDX file is damaged.

    Example:

    ```python
    train = aezoo.data.load("mnist", "train", batch_size=128, seed=1)
    test = aezoo.data.load("mnist", "test", batch_size=1000)
    sequences = aezoo.data.load("moving_mnist", "test", batch_size=16)
    ```
    """
    batches = load_batches(
        name, split, batch_size=batch_size, shuffle=shuffle, seed=seed,
        shard=shard, options=options,
    )
    return finish(batches, deterministic)


def load_batches(name, split, *, batch_size, shuffle, seed, shard, options):
    """`load` without the final prefetch: batches to map further."""
    check_choice("name", name, tuple(DATASETS))
    builder = DATASETS[name]
    valid = [p for p in inspect.signature(builder).parameters if p not in _COMMON_ARGUMENTS]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        received = ", ".join(f"{key}={options[key]!r}" for key in unknown)
        raise ValueError(
            f"Unknown option for dataset '{name}'. Received: {received}. "
            f"Valid options: {', '.join(valid)}."
        )
    batch_size = check_int("batch_size", batch_size, 1)
    seed = check_int("seed", seed, 0)
    return builder(
        split,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        shard=_check_shard(shard),
        **options,
    )


def _check_shard(shard):
    if shard is None:
        return (1, 0)
    if isinstance(shard, (tuple, list)) and len(shard) == 2:
        num_shards = check_int("shard[0]", shard[0], 1)
        index = check_int("shard[1]", shard[1], 0)
        if index < num_shards:
            return (num_shards, index)
    raise ValueError(
        "`shard` must be None or (num_shards, index) with 0 <= index < "
        f"num_shards. Received: shard={shard!r}"
    )


def finish(batches, deterministic):
    """Prefetches, sets `tf.data.Options().deterministic` and turns tf.data's
    autotuning off."""
    if not isinstance(deterministic, bool):
        raise ValueError(
            "`deterministic` must be True or False. Received: "
            f"deterministic={deterministic!r}"
        )
    options = tf.data.Options()
    options.deterministic = deterministic
    # No autotuning thread: deleting an iterator waits for that thread to
    # wake, and beside another busy process it slept 21-22 s in 3 of 4 runs
    # (benchmarks/interrupted_run_gc.py; docs/BENCHMARKS.md, "The test
    # suite's time (session 19)"): a garbage collection that freed an
    # interrupted run's iterators blocked that long. `AUTOTUNE` then means
    # tf.data's defaults (parallel maps over the cores, a self-sized
    # prefetch buffer), which keep up with every model (same page).
    options.autotune.enabled = False
    return batches.prefetch(tf.data.AUTOTUNE).with_options(options)
