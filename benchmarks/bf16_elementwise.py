"""Two parts of the predictor's step under bfloat16 on the CPU, each timed two ways.

    .venv/bin/python benchmarks/bf16_elementwise.py [--repeats 200]

Forward and backward (`tf.GradientTape`, `tf.function`), median over
`--repeats` calls, at the `default` predictor's sizes (batch 16, 16x16
positions, 64 channels per level, 4x4 patches, 9x9 filters):

1. A conv-LSTM cell's gate arithmetic (sigmoids, tanh, products) on a
   16x16x16x256 gate map and a 64-channel cell state: all in bfloat16, or
   the gate map cast to float32 and the arithmetic and `c` in float32 (what
   `NextFrameConvLSTM` does since session 22).
2. The dynamic filter with one filter per patch: softmax over the 81 taps,
   the one-hot neighbourhood convolution of the folded frame, and the
   weighted sum, as a broadcast product summed over the taps (the layer
   before session 22) or as a batched matrix product (since). Also prints
   the largest difference of the two, in float32.
"""

import argparse
import statistics
import time

import numpy as np
import tensorflow as tf

from aezoo.layers.next_frame_conv_lstm import _folded_neighbourhood_kernel

BATCH, POSITIONS, FILTERS, PIXELS, TAPS = 16, 16, 64, 16, 81


def cell(dtype):
    def run(z, c):
        z = tf.cast(z, dtype)
        c = tf.cast(c, dtype)
        i, f, g, o = tf.split(z, 4, axis=-1)
        c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
        h = tf.sigmoid(o) * tf.tanh(c)
        return tf.cast(h, tf.bfloat16), c

    return run


def dynamic_filter(form, dtype=tf.bfloat16):
    kernel = tf.constant(_folded_neighbourhood_kernel(4, 9))

    def run(logits, frame):
        weights = tf.nn.softmax(tf.cast(logits, dtype), axis=-1)  # (b, 16, 16, 1, 81)
        patches = tf.nn.conv2d(tf.cast(frame, dtype), tf.cast(kernel, dtype), 1, "SAME")
        patches = tf.reshape(patches, (-1, POSITIONS, POSITIONS, PIXELS, TAPS))
        if form == "broadcast":
            return tf.reduce_sum(weights * patches, axis=-1)
        return tf.matmul(patches, weights, transpose_b=True)[..., 0]

    return run


def time_gradient(fn, args, repeats):
    @tf.function
    def step(*inputs):
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            outputs = fn(*inputs)
            outputs = outputs if isinstance(outputs, tuple) else (outputs,)
            total = tf.add_n([tf.reduce_sum(tf.cast(o, tf.float32) ** 2) for o in outputs])
        return tape.gradient(total, inputs)

    step(*args)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step(*args)
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    z = tf.cast(rng.normal(size=(BATCH, POSITIONS, POSITIONS, 4 * FILTERS)), tf.bfloat16)
    c = tf.constant(rng.normal(size=(BATCH, POSITIONS, POSITIONS, FILTERS)), tf.float32)
    logits = tf.constant(rng.normal(size=(BATCH, POSITIONS, POSITIONS, 1, TAPS)), tf.float32)
    frame = tf.constant(rng.random((BATCH, POSITIONS, POSITIONS, PIXELS)), tf.float32)
    rows = [
        ("cell arithmetic, bfloat16", time_gradient(cell(tf.bfloat16), (z, c), args.repeats)),
        ("cell arithmetic, float32 (the layer)", time_gradient(cell(tf.float32), (z, c), args.repeats)),
        ("dynamic filter, broadcast product (before)",
         time_gradient(dynamic_filter("broadcast"), (logits, frame), args.repeats)),
        ("dynamic filter, matrix product (the layer)",
         time_gradient(dynamic_filter("matmul"), (logits, frame), args.repeats)),
    ]
    print(f"forward + backward, median of {args.repeats} calls\n")
    print("| part | ms per call |")
    print("|---|---:|")
    for name, ms in rows:
        print(f"| {name} | {ms:.2f} |")
    difference = np.abs(
        dynamic_filter("broadcast", tf.float32)(logits, frame)
        - dynamic_filter("matmul", tf.float32)(logits, frame)
    ).max()
    print(f"\nlargest float32 difference of the two dynamic filters: {difference:.1e}")


if __name__ == "__main__":
    main()
