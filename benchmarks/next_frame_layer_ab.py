"""The predictor's training step with this checkout's `NextFrameConvLSTM` against an earlier commit's.

    .venv/bin/python benchmarks/next_frame_layer_ab.py --rev e3f32d2 \
        [--pairs 16] [--dtype-policy mixed_bfloat16|float32] [--batch 16]
    .venv/bin/python benchmarks/next_frame_layer_ab.py --old-file PATH ...

Builds the `default` predictor twice in one process: once with the layer
file `aezoo/layers/next_frame_conv_lstm.py` as it was at `--rev` (read with
`git show`, loaded as a module of its own) or as it is in `--old-file` (an
edited copy, to time one change alone), once with this checkout's. Both
train on the same fixed batch; after two warm-up steps each, their steps
alternate (`--pairs` pairs of two-step windows), so a drift in the
machine's speed hits both alike. Prints each one's median step, and the
median over pairs of old / new (above 1: this checkout is faster). On a
machine whose speed wanders from minute to minute (docs/BENCHMARKS.md,
sessions 21 and 22), the paired ratio is the figure to quote. Also prints
the largest difference of the two models' float32 outputs on one batch with
the same weights, to show that they compute the same function.
"""

import argparse
import importlib.util
import inspect
import pathlib
import statistics
import subprocess
import tempfile
import time

import keras
import numpy as np

import aezoo
import aezoo.models.convlstm_bidir_predictor.model as family

LAYER_FILE = "aezoo/layers/next_frame_conv_lstm.py"


def layer_at(rev, old_file=None):
    """`NextFrameConvLSTM` as it was at `rev` (or in `old_file`), accepting
    (and ignoring, if it predates them) the arguments this checkout's
    factory passes."""
    if old_file:
        source = pathlib.Path(old_file).read_text()
    else:
        source = subprocess.run(
            ["git", "show", f"{rev}:{LAYER_FILE}"], capture_output=True, text=True, check=True
        ).stdout
    path = pathlib.Path(tempfile.mkdtemp()) / "next_frame_conv_lstm_at_rev.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("next_frame_conv_lstm_at_rev", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    known = set(inspect.signature(module.NextFrameConvLSTM.__init__).parameters)

    class Earlier(module.NextFrameConvLSTM):
        def __init__(self, *args, **kwargs):
            extra = {k: kwargs.pop(k) for k in list(kwargs) if k not in known and k != "name"}
            if any(extra.values()):
                raise ValueError(f"{rev}'s layer has no {sorted(extra)}")
            super().__init__(*args, **kwargs)

    return Earlier


def build_with(layer_class):
    current = family.NextFrameConvLSTM
    family.NextFrameConvLSTM = layer_class
    try:
        return aezoo.build("convlstm_bidir_predictor")
    finally:
        family.NextFrameConvLSTM = current


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    old = parser.add_mutually_exclusive_group(required=True)
    old.add_argument("--rev", help="the commit whose layer file is the old one")
    old.add_argument("--old-file", help="a layer file to use as the old one")
    parser.add_argument("--pairs", type=int, default=16)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--dtype-policy", default="mixed_bfloat16", choices=("float32", "mixed_bfloat16"))
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((args.batch, 10, 64, 64, 1), "float32")
    # The same function: both layers in float32, the old one holding the new one's weights.
    label = args.rev or args.old_file
    old32, new32 = build_with(layer_at(args.rev, args.old_file)), aezoo.build("convlstm_bidir_predictor")
    old32.set_weights(new32.get_weights())
    difference = max(
        float(np.abs(np.asarray(old32(x)[k]) - np.asarray(new32(x)[k])).max()) for k in ("future", "past")
    )

    keras.config.set_dtype_policy(args.dtype_policy)
    models = {"old": build_with(layer_at(args.rev, args.old_file)),
              "new": aezoo.build("convlstm_bidir_predictor")}
    keras.config.set_dtype_policy("float32")
    y = {k: rng.random((args.batch,) + tuple(v.shape[1:]), "float32")
         for k, v in models["new"].output.items()}
    for model in models.values():
        for _ in range(2):
            model.train_on_batch(x, y)
    times = {name: [] for name in models}
    for _ in range(args.pairs):
        for name, model in models.items():
            start = time.perf_counter()
            for _ in range(2):
                model.train_on_batch(x, y)
            times[name].append((time.perf_counter() - start) / 2)
    ratios = [old / new for old, new in zip(times["old"], times["new"])]
    print(f"batch {args.batch}, {args.dtype_policy}, {args.pairs} pairs of 2-step windows")
    for name in models:
        step = statistics.median(times[name])
        print(f"{name} ({label if name == 'old' else 'this checkout'}): median step {step:.3f} s, "
              f"{args.batch / step:.1f} sequences/s")
    print(f"old / new step time, median over pairs: {statistics.median(ratios):.3f} "
          f"(pairs from {min(ratios):.2f} to {max(ratios):.2f})")
    print(f"largest float32 output difference, same weights: {difference:.2e}")


if __name__ == "__main__":
    main()
