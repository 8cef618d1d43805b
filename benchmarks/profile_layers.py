"""Where a predictor training step spends its time, level by level.

    .venv/bin/python benchmarks/profile_layers.py [--batch 16]

Each conv-LSTM level of the default `convlstm_bidir_predictor` is rebuilt
alone (same config, same input shape) and timed through a full training
step (`train_on_batch`, forward + backward + Adam), median of 5 after 2
warm-up steps. The sum is close to the whole model's step time, so the
table shows which levels to optimize: the full-resolution decoder levels,
whose per-step gate arithmetic over (batch, 64, 64, 4 * filters) is
memory-bound.
"""

import argparse
import statistics
import time

import numpy as np

import aezoo
from aezoo.layers.spatial_lstm import SpatialLSTM2D
from aezoo.models.flops import count_flops


def main(argv=None):
    import keras

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args(argv)
    model = aezoo.build("convlstm_bidir_predictor")
    rng = np.random.default_rng(0)
    rows = []
    for layer in model.layers:
        if not isinstance(layer, SpatialLSTM2D):
            continue
        config = layer.get_config()
        config.pop("name")
        config["return_state"] = False
        source = layer.input[0] if isinstance(layer.input, list) else layer.input
        shape = tuple(source.shape[1:])
        inputs = keras.Input(shape)
        alone = keras.Model(inputs, type(layer).from_config(config)(inputs))
        alone.compile("adam", "mse")
        x = rng.random((args.batch,) + shape, "float32")
        y = rng.random((args.batch,) + tuple(alone.output.shape[1:]), "float32")
        for _ in range(2):
            alone.train_on_batch(x, y)
        times = []
        for _ in range(5):
            start = time.perf_counter()
            alone.train_on_batch(x, y)
            times.append(time.perf_counter() - start)
        step = statistics.median(times)
        gflops = 3 * count_flops(alone) * args.batch / 1e9
        rows.append((layer.name, shape, layer.filters, step, gflops / step))
    total = sum(r[3] for r in rows)
    print("| level | input (time, rows, cols, channels) | filters | step ms | share | GFLOP/s |")
    print("|---|---|---:|---:|---:|---:|")
    for name, shape, filters, step, rate in rows:
        print(f"| {name} | {shape} | {filters} | {1000 * step:.0f} | {100 * step / total:.0f}% | {rate:.0f} |")
    print(f"| all levels | | | {1000 * total:.0f} | 100% | |")
    return rows


if __name__ == "__main__":
    main()
