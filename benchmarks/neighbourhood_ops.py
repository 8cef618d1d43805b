"""Each pixel's 9x9 neighbourhood (the dynamic-filter head), three ways.

    .venv/bin/python benchmarks/neighbourhood_ops.py

Forward + backward of `sum(weights * neighbourhoods(frame))` at batch 16 on
64x64 frames (one step of `NextFrameConvLSTM`'s head), mean of 30 calls of
a `tf.function`: a convolution with a one-hot 9x9x1x81 kernel (what the
layer does), `tf.image.extract_patches`, and 81 shifted slices.
"""

import time, numpy as np, tensorflow as tf
x = tf.random.uniform((16, 64, 64, 1)); w = tf.random.uniform((16, 64, 64, 81))
eye = np.zeros((9, 9, 1, 81), "float32")
for i in range(9):
    for j in range(9): eye[i, j, 0, i * 9 + j] = 1
eye = tf.constant(eye)
@tf.function
def conv(x, w):
    with tf.GradientTape() as t:
        t.watch([x, w]); p = tf.nn.conv2d(x, eye, 1, "SAME"); y = tf.reduce_sum(w * p)
    return t.gradient(y, [x, w])
@tf.function
def patches(x, w):
    with tf.GradientTape() as t:
        t.watch([x, w]); p = tf.image.extract_patches(x, [1, 9, 9, 1], [1, 1, 1, 1], [1, 1, 1, 1], "SAME"); y = tf.reduce_sum(w * p)
    return t.gradient(y, [x, w])
@tf.function
def shifts(x, w):
    with tf.GradientTape() as t:
        t.watch([x, w])
        xp = tf.pad(x, [[0, 0], [4, 4], [4, 4], [0, 0]])
        y = 0.0
        acc = []
        for i in range(9):
            for j in range(9):
                acc.append(xp[:, i:i + 64, j:j + 64, 0])
        p = tf.stack(acc, -1)
        y = tf.reduce_sum(w * p)
    return t.gradient(y, [x, w])
for f in (conv, patches, shifts):
    f(x, w)
    t = time.perf_counter()
    for _ in range(30): f(x, w)
    print(f.__name__, (time.perf_counter() - t) / 30 * 1000, "ms")
