"""Moving MNIST input pipeline speed versus the predictor's training speed.

Measures, in sequences per second (batch 16, 20 frames of 64x64):
- `aezoo.data.load("moving_mnist", "train")`, the shipped pipeline;
- the same sequences drawn with tfds's `image_as_moving_sequence` per digit
  (the reference generator, for the choice of a vectorized renderer);
- `train_on_batch` of the default `convlstm_bidir_predictor` on batches from
  `aezoo.data.for_model`, when aezoo's models are importable.
Each rate is the median over repeats of a timed window after a warm-up. The
pipeline should be at least 10x faster than the model consumes.

Usage:
    python benchmarks/data_pipeline.py [--mnist-dir DIR] [--repeats 5]
"""

import argparse
import os
import pathlib
import statistics
import time

import tensorflow as tf
from tensorflow_datasets.video.moving_sequence import image_as_moving_sequence

from aezoo import data
from aezoo.data.mnist import mnist_digits

BATCH_SIZE = 16
NUM_FRAMES = 20


def batches_per_second(next_batch, warmup, window_seconds, repeats):
    """Median rate over `repeats` windows of about `window_seconds` each."""
    for _ in range(warmup):
        next_batch()
    rates = []
    for _ in range(repeats):
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < window_seconds:
            next_batch()
            count += 1
        rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates)


def iterator_step(dataset):
    iterator = iter(dataset.repeat())
    return lambda: next(iterator)


def reference_pipeline():
    """Two digits per sequence via tfds's per-image generator, max-combined."""
    images = tf.constant(mnist_digits("train")[0][..., None])

    def one_digit(seed):
        index_seed, start_seed, direction_seed = tf.unstack(
            tf.random.experimental.stateless_split(seed, 3)
        )
        index = tf.random.stateless_uniform(
            [], index_seed, maxval=images.shape[0], dtype=tf.int32
        )
        direction = tf.random.stateless_normal([2], direction_seed)
        return image_as_moving_sequence(
            tf.gather(images, index),
            sequence_length=NUM_FRAMES,
            velocity=0.1 * direction / tf.norm(direction),
            start_position=tf.random.stateless_uniform([2], start_seed),
        ).image_sequence

    def sequence(key):
        seeds = tf.random.experimental.stateless_split(tf.stack([key, key]), 2)
        frames = tf.maximum(one_digit(seeds[0]), one_digit(seeds[1]))
        return tf.cast(frames, tf.float32) / 255.0

    return (
        tf.data.Dataset.random(seed=0)
        .map(sequence, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(BATCH_SIZE)
        .prefetch(tf.data.AUTOTUNE)
    )


def model_step():
    """A `train_on_batch` closure for the default predictor, or None."""
    try:
        import aezoo

        model = aezoo.build("convlstm_bidir_predictor")
    except (ImportError, AttributeError, ValueError) as error:
        print(f"(no model timing: {error})")
        return None
    inputs, targets = next(
        iter(data.for_model("convlstm_bidir_predictor", "train", batch_size=BATCH_SIZE))
    )
    return lambda: model.train_on_batch(inputs, targets)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_dir = pathlib.Path(__file__).resolve().parents[2] / "shared/data/mnist"
    parser.add_argument(
        "--mnist-dir",
        default=os.environ.get("AEZOO_MNIST_DIR", str(default_dir)),
        help="MNIST IDX directory (default: $AEZOO_MNIST_DIR or ../shared/data/mnist)",
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0, help="timed window (pipelines)")
    parser.add_argument("--model-seconds", type=float, default=5.0, help="timed window (model)")
    args = parser.parse_args(argv)
    os.environ["AEZOO_MNIST_DIR"] = args.mnist_dir

    shipped = data.load("moving_mnist", "train", batch_size=BATCH_SIZE, num_frames=NUM_FRAMES)
    rows = [
        ("aezoo.data moving_mnist (vectorized)", batches_per_second(
            iterator_step(shipped), 20, args.seconds, args.repeats)),
        ("tfds image_as_moving_sequence per digit", batches_per_second(
            iterator_step(reference_pipeline()), 20, args.seconds, args.repeats)),
    ]
    step = model_step()
    if step is not None:
        rows.append(("convlstm_bidir_predictor train_on_batch (default)", batches_per_second(
            step, 2, args.model_seconds, args.repeats)))

    print(f"\nbatch {BATCH_SIZE}, {NUM_FRAMES} frames of 64x64, "
          f"{os.cpu_count()} CPU cores, median of {args.repeats} windows\n")
    print("| what | sequences/s |")
    print("|---|---:|")
    for name, rate in rows:
        print(f"| {name} | {rate * BATCH_SIZE:,.0f} |")
    if step is not None:
        ratio = rows[0][1] / rows[-1][1]
        print(f"\npipeline / model: {ratio:,.0f}x "
              f"({'meets' if ratio >= 10 else 'FAILS'} the 10x target)")


if __name__ == "__main__":
    main()
