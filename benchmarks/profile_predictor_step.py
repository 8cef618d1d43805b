"""Where the predictor's training step spends its time, by TensorFlow op type.

    .venv/bin/python benchmarks/profile_predictor_step.py [--dtype-policy mixed_bfloat16] \
        [--steps 3] [--top 20] [--logdir /tmp/aezoo-profile]

Builds the `default` predictor under `--dtype-policy`, trains two warm-up
steps on a fixed batch of 16, then records `--steps` steps with
TensorFlow's profiler (`tf.profiler.experimental`) and sums the recorded op
times on the CPU's threads by op type, forward and backward (the gradient
ops are those under `gradient_tape/`). Times are summed over the threads
(two cores: about twice the wall time) and divided by `--steps`. Prints the
`--top` op types with their share of the total, and how much of it the
convolutions, the sigmoids and the dynamic filter's product and sum
take.
"""

import argparse
import collections
import glob
import tempfile

import keras
import numpy as np
import tensorflow as tf

import aezoo

# Executor and eager bookkeeping that wraps the ops (counted once per op already).
_WRAPPERS = ("ExecutorState", "one_step", "Eager", "KernelAndDevice", "TFE_", "ParallelFor")


def op_times(logdir, steps):
    """{(direction, op type): ms per step}, summed over the CPU threads."""
    try:
        from tsl.profiler.protobuf import xplane_pb2
    except ImportError:  # older TensorFlow
        from tensorflow.tsl.profiler.protobuf import xplane_pb2

    path = sorted(glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True))[-1]
    space = xplane_pb2.XSpace()
    with open(path, "rb") as file:
        space.ParseFromString(file.read())
    plane = next(p for p in space.planes if p.name == "/host:CPU")
    totals = collections.Counter()
    for line in plane.lines:
        for event in line.events:
            name = plane.event_metadata[event.metadata_id].name
            if name.startswith(_WRAPPERS):
                continue
            last = name.split("/")[-1]
            op_type = last.split(":")[-1]
            direction = "backward" if name.startswith("gradient_tape") else "forward"
            totals[(direction, op_type)] += event.duration_ps / 1e9 / steps
    return totals


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype-policy", default="mixed_bfloat16", choices=("float32", "mixed_bfloat16"))
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--logdir", default=None)
    args = parser.parse_args(argv)
    logdir = args.logdir or tempfile.mkdtemp(prefix="aezoo-profile-")

    keras.utils.set_random_seed(0)
    keras.config.set_dtype_policy(args.dtype_policy)
    model = aezoo.build("convlstm_bidir_predictor")
    keras.config.set_dtype_policy("float32")
    rng = np.random.default_rng(0)
    x = rng.random((16, 10, 64, 64, 1), "float32")
    y = {k: rng.random((16,) + tuple(v.shape[1:]), "float32") for k, v in model.output.items()}
    for _ in range(2):
        model.train_on_batch(x, y)
    tf.profiler.experimental.start(logdir)
    for _ in range(args.steps):
        model.train_on_batch(x, y)
    tf.profiler.experimental.stop()

    totals = op_times(logdir, args.steps)
    total = sum(totals.values())
    print(f"{args.dtype_policy}, batch 16: {total:.0f} ms of op time per step, summed over threads\n")
    print("| op type | direction | ms per step | share |")
    print("|---|---|---:|---:|")
    for (direction, op_type), ms in totals.most_common(args.top):
        print(f"| {op_type} | {direction} | {ms:.1f} | {100 * ms / total:.1f}% |")

    def share(predicate):
        return 100 * sum(ms for key, ms in totals.items() if predicate(*key)) / total

    print(f"\nconvolutions (forward and backward): {share(lambda d, t: 'Conv2D' in t):.0f}%")
    print(f"sigmoids (forward): {share(lambda d, t: d == 'forward' and t == 'Sigmoid'):.0f}%")
    print(f"products, sums, tiles and batched matrix products (both directions): "
          f"{share(lambda d, t: t in ('Mul', 'Sum', 'Tile', 'BatchMatMulV2', '_MklBatchMatMulV2')):.0f}%")


if __name__ == "__main__":
    main()
