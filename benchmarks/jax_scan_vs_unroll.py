"""On JAX, one training step of `NextFrameConvLSTM` with `ops.scan` vs unrolled.

Session 6 found the gradient of `keras.ops.scan` (`lax.scan`) over the
predictor's stack far slower than the unrolled Python loop on JAX (about 80x
per step on an H200, 11-17x on the 2 CPU cores here); docs/BENCHMARKS.md
quotes this script's output::

    KERAS_BACKEND=jax python benchmarks/jax_scan_vs_unroll.py [BATCH]

Prints compile time and the mean of 3 timed steps (value and gradient of a
mean-square loss, jitted) for each head and each loop.
"""

import os
import sys
import time

import numpy as np

if os.environ.get("KERAS_BACKEND") != "jax":
    raise SystemExit("set KERAS_BACKEND=jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from aezoo.layers import NextFrameConvLSTM  # noqa: E402


def main(batch=4):
    frames = np.random.default_rng(0).random((batch, 10, 64, 64, 1), dtype=np.float32)
    for head in ("pixel", "dynamic_filter"):
        for unroll in (False, True):
            layer = NextFrameConvLSTM(
                filters=(64, 64), patch_size=4, head=head, predict_steps=10, unroll=unroll
            )
            layer.build(frames.shape)
            weights = [v.value for v in layer.trainable_variables]

            def loss(weights, frames):
                outputs, _ = layer.stateless_call(weights, [], frames)
                return jnp.mean(outputs**2)

            step = jax.jit(jax.value_and_grad(loss))
            start = time.perf_counter()
            jax.block_until_ready(step(weights, frames))
            compile_s = time.perf_counter() - start
            start = time.perf_counter()
            for _ in range(3):
                jax.block_until_ready(step(weights, frames))
            step_s = (time.perf_counter() - start) / 3
            print(f"{head:15s} unroll={unroll!s:5s} compile {compile_s:5.1f} s  "
                  f"step {step_s:.3f} s", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4)
