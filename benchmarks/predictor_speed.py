"""Training throughput of `convlstm_bidir_predictor` against a plain Keras
ConvLSTM2D stack of similar FLOPs, measured in the same run.

    .venv/bin/python benchmarks/predictor_speed.py [--repeats 5] [--batch 16]

Models (batch 16, 10 input frames of 64x64):

- `aezoo default` / `aezoo unconditioned` / `aezoo as_posted`: the
  registry presets (the conditional design, the encoder-decoder shipped
  before issue 13, the post).
- `aezoo default, one filter per pixel`: the default with
  `filter_sharing="pixel"` (the default until session 20; since then the
  default shares one dynamic filter per 4x4 patch, session 15).
- `aezoo default, unroll` and `aezoo default, unroll + XLA`: the default
  with the Python-unrolled time loop, and that compiled with
  `jit_compile=True` (XLA cannot compile the gradient of `ops.scan`).
- `keras ConvLSTM2D next-frame stack`: the reference of the conditional
  design (`keras_next_frame_reference`); each aezoo design is compared per
  FLOP with the Keras stack of its own shape (`REFERENCES`).
- `aezoo default, eager`: the default with `run_eagerly=True` (no
  `tf.function`: every op dispatched from Python, the time loop included).
- `keras ConvLSTM2D stack`: the keras-io approach: strided `ConvLSTM2D`
  levels 16/32/64 (3x3) over the 10 input frames, then per-frame
  `Conv2DTranspose` layers back to 64x64 with `ConvLSTM2D` levels at 16x16
  (32 filters) and 64x64 (8 filters) for each of the 10 + 9 output frames;
  its forward FLOPs per sequence are printed next to ours.

Each timed window is `--steps` training steps (`train_on_batch` on a fixed
batch) after 2 warm-up steps; windows of all models are interleaved and
repeated `--repeats` times, and the median is reported. Training FLOPs are
taken as 3x the forward FLOPs (forward + two backward products per
multiply-add), the usual convention. The CPU peak is measured the same way
as the models: a large float32 matmul through TensorFlow on this machine.
"""

import argparse
import statistics
import time

import keras
import numpy as np
import tensorflow as tf

import aezoo
from aezoo.layers.next_frame_conv_lstm import _folded_neighbourhood_kernel
from aezoo.models.flops import count_flops


def keras_reference(frames_in=10, frames_out=10, frames_past=9, size=64):
    """A plain Keras conv-LSTM stack with the predictor's inputs and outputs."""
    inputs = keras.Input((frames_in, size, size, 1))
    x = inputs
    for filters in (16, 32, 64):
        x = keras.layers.ConvLSTM2D(filters, 3, strides=2, padding="same", return_sequences=True)(x)
    outputs = {}
    for head, steps in (("future", frames_out), ("past", frames_past)):
        y = keras.layers.Lambda(lambda t, n=steps: t[:, -n:])(x) if steps < frames_in else x
        y = keras.layers.TimeDistributed(keras.layers.Conv2DTranspose(32, 3, strides=2, padding="same"))(y)
        y = keras.layers.ConvLSTM2D(32, 3, padding="same", return_sequences=True)(y)
        y = keras.layers.TimeDistributed(keras.layers.Conv2DTranspose(16, 3, strides=2, padding="same"))(y)
        y = keras.layers.ConvLSTM2D(8, 3, padding="same", return_sequences=True)(
            keras.layers.TimeDistributed(keras.layers.Conv2DTranspose(8, 3, strides=2, padding="same"))(y)
        )
        outputs[head] = keras.layers.Dense(1, activation="sigmoid", name=head)(y)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3, global_clipnorm=1.0),
        loss={"future": "mse", "past": "mse"},
    )
    return model


def keras_next_frame_reference(
    steps=28, size=64, patch=4, channels=(64, 64), motion_input=False, dynamic_filter=False,
    shared_filter=False,
):
    """A plain Keras ConvLSTM2D stack with the conditional design's work:
    frames folded into 4x4 patches (16x16x16), two ConvLSTM2D(64, 3) levels
    over the 19 + 9 steps the future and past stacks run, a 1x1 convolution
    to the dynamic filters' 16 x 81 channels per position. Not
    autoregressive (its frames are inputs), so the same FLOPs with every
    input convolution batched over time: a fair bar for speed per FLOP.

    With `motion_input` each step reads `[frame, frame - previous]` (32
    channels after folding), as the `default` preset does; with
    `dynamic_filter` the head does what the `default`'s does after its 1x1
    convolution, with the same ops (`NextFrameConvLSTM._predict`, in the
    folded layout): a softmax over 81 weights at every pixel and their
    weighted sum over the frame's 9x9 neighbourhood (a one-hot convolution
    of the folded frame lists it). Its FLOPs, counted
    as for the aezoo layer (2 x 81 per pixel and step), are
    `dynamic_filter_flops`. With `shared_filter` the 1x1 convolution makes
    one filter per 4x4 patch (81 channels), which its 16 pixels share, as
    the `default` preset's `filter_sharing="patch"` does."""
    from keras import ops

    cells = size // patch
    inputs = keras.Input((steps, size, size, 1))
    x = inputs
    if motion_input:
        x = keras.layers.Lambda(
            lambda t: ops.concatenate(
                [t, t - ops.concatenate([t[:, :1], t[:, :-1]], axis=1)], axis=-1
            )
        )(inputs)
    depth = x.shape[-1]
    x = keras.layers.Reshape((steps, cells, patch, cells, patch, depth))(x)
    x = keras.layers.Permute((1, 2, 4, 3, 5, 6))(x)
    x = keras.layers.Reshape((steps, cells, cells, patch * patch * depth))(x)
    for filters in channels:
        x = keras.layers.ConvLSTM2D(filters, 3, padding="same", return_sequences=True)(x)
    filters_per_cell = 1 if shared_filter else patch * patch
    x = keras.layers.TimeDistributed(keras.layers.Conv2D(filters_per_cell * 81, 1))(x)
    if dynamic_filter:
        kernel = _folded_neighbourhood_kernel(patch, 9)
        pixels = patch * patch

        def head(tensors):
            maps, frames = tensors
            w = ops.softmax(ops.reshape(maps, (-1, cells, cells, filters_per_cell, 81)), axis=-1)
            folded = ops.reshape(frames, (-1, cells, patch, cells, patch, 1))
            folded = ops.transpose(folded, (0, 1, 3, 2, 4, 5))
            folded = ops.reshape(folded, (-1, cells, cells, pixels))
            patches = ops.conv(folded, ops.convert_to_tensor(kernel, dtype=folded.dtype), strides=1, padding="same")
            y = ops.sum(w * ops.reshape(patches, (-1, cells, cells, pixels, 81)), axis=-1)
            y = ops.reshape(y, (-1, steps, cells, cells, patch, patch))
            y = ops.transpose(y, (0, 1, 2, 4, 3, 5))
            return ops.reshape(y, (-1, steps, size, size, 1))

        x = keras.layers.Lambda(head, name="dynamic_filter")([x, inputs])
    model = keras.Model(inputs, x)
    model.compile(optimizer=keras.optimizers.Adam(1e-3, global_clipnorm=1.0), loss="mse")
    return model


def dynamic_filter_flops(model, filter_size=9):
    """FLOPs per example of a reference's `dynamic_filter` Lambda, counted as
    `aezoo.models.flops` counts the aezoo head: 2 per weight and pixel."""
    try:
        layer = model.get_layer("dynamic_filter")
    except ValueError:
        return 0
    _, steps, rows, cols, channels = layer.output.shape
    return steps * 2 * rows * cols * channels * filter_size**2


# Each aezoo design and the plain Keras stack it is measured against.
REFERENCES = {
    "aezoo default": "keras ConvLSTM2D next-frame stack, motion input + dynamic filter per patch",
    "aezoo default, unroll": "keras ConvLSTM2D next-frame stack, motion input + dynamic filter per patch",
    "aezoo default, one filter per pixel": (
        "keras ConvLSTM2D next-frame stack, motion input + dynamic filter"),
    "aezoo unconditioned": "keras ConvLSTM2D stack",
}
# Also printed: the default against the reference without the dynamic
# filter's softmax and weighted sum (the bar of the 2026-12-04 runs).
HEADLESS = ("aezoo default", "keras ConvLSTM2D next-frame stack")


def make_models():
    models = {
        "aezoo default": aezoo.build("convlstm_bidir_predictor"),
        "aezoo default, unroll": aezoo.build("convlstm_bidir_predictor", unroll=True),
        # Session 15: the pixels of a 4x4 patch share one dynamic filter; the
        # `default` since session 20. One filter per pixel was the default
        # before.
        "aezoo default, one filter per pixel": aezoo.build(
            "convlstm_bidir_predictor", filter_sharing="pixel"),
        "keras ConvLSTM2D next-frame stack": keras_next_frame_reference(),
        "keras ConvLSTM2D next-frame stack, motion input + dynamic filter": (
            keras_next_frame_reference(motion_input=True, dynamic_filter=True)
        ),
        "keras ConvLSTM2D next-frame stack, motion input + dynamic filter per patch": (
            keras_next_frame_reference(motion_input=True, dynamic_filter=True, shared_filter=True)
        ),
        "aezoo unconditioned": aezoo.build("convlstm_bidir_predictor", "unconditioned"),
        "aezoo as_posted": aezoo.build("convlstm_bidir_predictor", "as_posted"),
        "keras ConvLSTM2D stack": keras_reference(),
    }
    # Before tracing: the same model run op by op in eager mode.
    eager = aezoo.build("convlstm_bidir_predictor")
    eager.compile(optimizer=eager.optimizer, loss=eager.loss, run_eagerly=True)
    models["aezoo default, eager"] = eager
    # XLA needs the unrolled loop: the gradient of `ops.scan`'s while loop
    # has no maximum_iterations, which tf2xla refuses.
    xla = aezoo.build("convlstm_bidir_predictor", unroll=True)
    xla.compile(optimizer=xla.optimizer, loss=xla.loss, jit_compile=True)
    models["aezoo default, unroll + XLA"] = xla
    return models


def batch_for(model, batch_size, rng):
    x = rng.random((batch_size,) + tuple(model.inputs[0].shape[1:]), "float32")
    if not isinstance(model.output, dict):
        return x, rng.random((batch_size,) + tuple(model.output.shape[1:]), "float32")
    y = {k: rng.random((batch_size,) + tuple(v.shape[1:]), "float32") for k, v in model.output.items()}
    return x, y


def matmul_peak(n=4096, repeats=5, dtype="float32"):
    a = tf.cast(tf.random.normal((n, n)), dtype)
    b = tf.cast(tf.random.normal((n, n)), dtype)
    matmul = tf.function(lambda: tf.reduce_sum(tf.matmul(a, b)))
    matmul()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        matmul().numpy()
        times.append(time.perf_counter() - start)
    return 2 * n**3 / statistics.median(times) / 1e9


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", action="append", help="model label (repeatable)")
    parser.add_argument(
        "--dtype-policy", default="float32", choices=("float32", "mixed_bfloat16"),
        help="Keras dtype policy every model is built under (the predictor's recipe "
             "trains under mixed_bfloat16); the matmul peak is then bfloat16's")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    keras.config.set_dtype_policy(args.dtype_policy)
    models = make_models()
    if args.only:
        models = {k: v for k, v in models.items() if k in args.only}
    batches = {name: batch_for(model, args.batch, rng) for name, model in models.items()}
    for name, model in models.items():
        for _ in range(2):
            model.train_on_batch(*batches[name])
    times = {name: [] for name in models}
    for _ in range(args.repeats):
        for name, model in models.items():
            start = time.perf_counter()
            for _ in range(args.steps):
                model.train_on_batch(*batches[name])
            times[name].append((time.perf_counter() - start) / args.steps)
    compute = "bfloat16" if args.dtype_policy == "mixed_bfloat16" else "float32"
    peak = matmul_peak(dtype=compute)
    print(f"\nbatch {args.batch}, median of {args.repeats} windows of {args.steps} steps; "
          f"dtype policy {args.dtype_policy}; measured {compute} matmul peak {peak:.0f} GFLOP/s\n")
    print("| model | params | forward GFLOP/seq | step s | sequences/s | GFLOP/s (3x fwd) | % of matmul peak |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    rates = {}
    for name, model in models.items():
        step = statistics.median(times[name])
        flops = (count_flops(model) + dynamic_filter_flops(model)) / 1e9
        rate = 3 * flops * args.batch / step
        rates[name] = rate
        print(f"| {name} | {model.count_params():,} | {flops:.2f} | {step:.3f} | "
              f"{args.batch / step:.1f} | {rate:.0f} | {100 * rate / peak:.0f}% |")
    ratios = {
        name: rates[name] / rates[reference]
        for name, reference in REFERENCES.items() if name in rates and reference in rates
    }
    for name, ratio in ratios.items():
        print(f"GFLOP/s ratio of {name} to the {REFERENCES[name]}: {ratio:.2f}")
    if all(name in rates for name in HEADLESS):
        print(f"GFLOP/s ratio of {HEADLESS[0]} to the {HEADLESS[1]} (no softmax, no "
              f"weighted sum): {rates[HEADLESS[0]] / rates[HEADLESS[1]]:.2f}")
    return {
        "peak_gflops": peak,
        "step_s": {name: statistics.median(t) for name, t in times.items()},
        "gflops": rates,
        "ratio_to_keras": ratios,
        "batch": args.batch,
    }


if __name__ == "__main__":
    main()
