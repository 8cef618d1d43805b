"""Fine-tuning the shipped predictor with an SSIM term (issue 13).

    AEZOO_MNIST_DIR=../shared/data/mnist .venv/bin/python benchmarks/predictor_finetune.py \
        [--ssim-weight 0.02] [--learning-rate 1e-3] [--checkpoints 0,1000,2000,3000] \
        [--context-loss-weight 1.0] [--loss-weights 1,1] [--batch-size 16] [--seed 1] \
        [--log benchmarks/results/predictor_finetune.jsonl]

Starts from `artifacts/convlstm_bidir_predictor/model.keras` (trained with
squared error), recompiles it with `aezoo.losses.L2SSIMError` on both heads
(the one-step context loss stays squared error) and Adam at a constant
rate with global-norm clipping 1, and trains it one `train_on_batch` per
batch of 16 generated training sequences (seed 1: not the stream the
artifact saw first). After each checkpoint's number of sequences it
measures, on the 128 validation sequences of `predictor_designs.py`, the
future and past frame MSE and the future's SSIM, and appends a JSON line
to `--log`.

`--context-loss-weight` replaces the weight of the one-step context loss
(the teacher-forced predictions of the input frames; the model's own, 1.0,
when not given), `--loss-weights` weighs the future and past heads, and
`--batch-size` sets the training batch (validation stays at 16). Session 14
used them to ask whether the free-running future learns faster when the
gradient is spent on it alone.
"""

import argparse
import json
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifact", default="artifacts/convlstm_bidir_predictor/model.keras")
    parser.add_argument("--ssim-weight", type=float, default=0.02)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--checkpoints", default="0,1000,2000,3000")
    parser.add_argument("--context-loss-weight", type=float, default=None)
    parser.add_argument("--loss-weights", default="1,1", help="future,past")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1, help="seed of the training stream")
    parser.add_argument("--log", default="benchmarks/results/predictor_finetune.jsonl")
    args = parser.parse_args()

    import keras

    import aezoo  # noqa: F401  (registers the layers)
    from aezoo import data
    from aezoo.losses import FrameMSE
    from aezoo.losses import L2SSIMError
    from predictor_designs import _measure
    from predictor_designs import _validation

    keras.utils.set_random_seed(0)
    model = keras.saving.load_model(args.artifact)
    stack = model.get_layer("future_stack")
    if args.context_loss_weight is not None:
        stack.context_loss_weight = args.context_loss_weight
    future_weight, past_weight = (float(w) for w in args.loss_weights.split(","))
    model.compile(
        optimizer=keras.optimizers.Adam(args.learning_rate, global_clipnorm=1.0),
        # Weight 0 is squared error alone: the same loss without the SSIM's cost.
        loss={head: L2SSIMError(ssim_weight=args.ssim_weight) if args.ssim_weight else keras.losses.MeanSquaredError()
              for head in ("future", "past")},
        loss_weights={"future": future_weight, "past": past_weight},
        metrics={head: [FrameMSE()] for head in ("future", "past")},
    )
    validation = _validation(128)
    checkpoints = sorted(int(c) for c in args.checkpoints.split(","))
    batches = iter(data.for_model("convlstm_bidir_predictor", "train", batch_size=args.batch_size, seed=args.seed,
                                  validation_fraction=0.1, sequences_per_epoch=max(checkpoints) or args.batch_size))
    pathlib.Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    seen, start = 0, time.perf_counter()
    for target in checkpoints:
        while seen < target:
            x, y = next(batches)
            model.train_on_batch(x, y)
            seen += len(x)
        future, past, zero, ssim = _measure(model, validation)
        row = {"start": args.artifact, "ssim_weight": args.ssim_weight, "learning_rate": args.learning_rate,
               "context_loss_weight": stack.context_loss_weight,
               "loss_weights": [future_weight, past_weight], "batch_size": args.batch_size,
               "seed": args.seed, "sequences": seen, "val_future_frame_mse": round(future, 2),
               "val_future_to_zero": round(future / zero, 3), "val_past_frame_mse": round(past, 2),
               "val_future_ssim": round(ssim, 3), "seconds": round(time.perf_counter() - start, 1)}
        print(json.dumps(row), flush=True)
        with open(args.log, "a") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
