"""Where the dynamic-filter head's time goes, and the folded layout's gain.

    .venv/bin/python benchmarks/dynamic_filter_layout.py [--repeats 4]
    KERAS_BACKEND=jax .venv/bin/python benchmarks/dynamic_filter_layout.py

Times one training step (forward and backward, `tf.function` on
TensorFlow; a compiled `train_on_batch` on the other backends) of the
`default`'s future stack alone, `NextFrameConvLSTM((64, 64),
predict_steps=10, motion_input=True)` on a batch of 16 sequences of 10
frames, with its head's `_predict` swapped for:

- `folded`: the layer as it is (softmax and weighted sum in the folded
  16x16 layout, one-hot 3x3 convolution of the folded frame);
- `full resolution`: the layer before session 10 (weights unfolded to
  64x64x81, one-hot 9x9 convolution of the 64x64 frame);
- `no filter work`: a trivial map of the head (a sigmoid of the mean of its
  channels times the frame), to see what the filter costs.

Prints the median step time of each and the largest output difference of
the first two (they compute the same thing). On JAX the loop is unrolled
(`ops.scan`'s gradient is slow there, docs/BENCHMARKS.md) and the first
step (compilation) is printed too.
"""

import argparse
import statistics
import time

import keras
import numpy as np
from keras import ops

from aezoo.layers import NextFrameConvLSTM


def full_resolution(layer, frame, head):
    n = layer.filter_size
    eye = np.zeros((n, n, 1, n * n), "float32")
    for i in range(n):
        for j in range(n):
            eye[i, j, 0, i * n + j] = 1.0
    weights = ops.softmax(layer._unfold(head, n * n), axis=-1)
    patches = ops.conv(frame, eye, strides=1, padding="same")
    return ops.sum(weights * patches, axis=-1, keepdims=True)


def no_filter_work(layer, frame, head):
    return ops.sigmoid(ops.mean(layer._unfold(head, layer.filter_size**2), -1, keepdims=True)) * frame


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=4)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    x = rng.random((16, 10, 64, 64, 1)).astype("float32")
    y = rng.random((16, 19, 64, 64, 1)).astype("float32")
    unroll = keras.backend.backend() != "tensorflow"
    folded = NextFrameConvLSTM._predict
    outputs = {}
    for name, predict in (("folded", folded), ("full resolution", full_resolution),
                          ("no filter work", no_filter_work)):
        NextFrameConvLSTM._predict = predict
        try:
            keras.utils.set_random_seed(0)
            inputs = keras.Input((10, 64, 64, 1))
            layer = NextFrameConvLSTM((64, 64), predict_steps=10, motion_input=True, unroll=unroll)
            model = keras.Model(inputs, layer(inputs))
            model.compile("adam", "mse")
            outputs[name] = np.asarray(model.predict_on_batch(x))
            start = time.perf_counter()
            model.train_on_batch(x, y)
            first = time.perf_counter() - start
            model.train_on_batch(x, y)
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                model.train_on_batch(x, y)
                times.append(time.perf_counter() - start)
        finally:
            NextFrameConvLSTM._predict = folded
        print(f"{keras.backend.backend()} {name}: step {statistics.median(times):.3f} s "
              f"(first step {first:.1f} s)", flush=True)
    difference = np.abs(outputs["folded"] - outputs["full resolution"]).max()
    print(f"largest output difference, folded vs full resolution: {difference:.3g}")


if __name__ == "__main__":
    main()
