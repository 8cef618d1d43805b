"""Where the predictor loses its SSIM, and what a haze floor does (issue 13).

    AEZOO_MNIST_DIR=../shared/data/mnist .venv/bin/python benchmarks/predictor_haze.py \
        [--artifact artifacts/convlstm_bidir_predictor/model.keras] [--sequences 64] \
        [--split test|validation] [--thresholds 0.05,0.1,0.15,0.2] [--log FILE]

On the first `--sequences` sequences of `--split`, per future frame: the
model's SSIM and the all-zero frame's, its frame MSE, and how much of the
intensity it predicts lies on pixels that are black (< 0.02) in the truth,
beside its total intensity and the truth's. The model's own `HazeFloor`
layers (`haze_floor` of the predictor's factory) are switched off for
this, so these are its raw frames. Then, for each threshold, the future
SSIM, future and past frame MSE and the worst future frame's ratio to the
all-zero frame's, through the `HazeFloor` of that threshold (0 up to it,
unchanged from twice it, a ramp between): what `haze_floor=threshold`
gives. Choose the threshold on `--split validation`
(the held-out training digits, as in the recipes: `validation_fraction`
0.1), never on the test split the card reports.
"""

import argparse
import json

import numpy as np


def add_arguments(parser, sequences, split, thresholds):
    """The options this script shares with `predictor_post_hoc.py`."""
    parser.add_argument("--artifact", default="artifacts/convlstm_bidir_predictor/model.keras")
    parser.add_argument("--sequences", type=int, default=sequences)
    parser.add_argument("--split", default=split, choices=("test", "validation"))
    parser.add_argument("--thresholds", default=thresholds)
    parser.add_argument("--log", help="append one JSON line per row to this file")


def raw_model(artifact):
    """The predictor at `artifact` with its `HazeFloor` layers switched
    off (its raw frames), and the threshold it shipped with."""
    from aezoo.artifact.loading import load_float32
    from aezoo.layers import HazeFloor

    # A run's checkpoint trained under mixed_bfloat16 computes in bfloat16;
    # measure it in float32, as it ships.
    model = load_float32(artifact)
    floors = [layer for layer in model.layers if isinstance(layer, HazeFloor)]
    shipped = floors[0].threshold if floors else 0.0
    for layer in floors:
        layer.threshold = 0.0  # read at trace time, before the first predict
    return model, shipped


def load_split(split, sequences):
    """The first `sequences` clips of `split` ("validation": the recipes'
    held-out 10% of the training digits): input frames, future, past."""
    from aezoo import data

    options = {"validation_fraction": 0.1} if split == "validation" else {}
    frames, truth, past_truth = [], [], []
    for x, y in data.for_model("convlstm_bidir_predictor", split, batch_size=16,
                               num_sequences=sequences, **options):
        frames.append(np.asarray(x))
        truth.append(np.asarray(y["future"]))
        past_truth.append(np.asarray(y["past"]))
    return tuple(map(np.concatenate, (frames, truth, past_truth)))


def frame_mse(a, b):
    """Per future frame: squared error summed over a frame, mean over clips."""
    return ((a - b) ** 2).sum(axis=(2, 3, 4)).mean(axis=0)


def floor_scores(threshold, future, past, truth, past_truth):
    """Future and past frames through `HazeFloor(threshold)`: future frame
    MSE, the worst future frame's ratio to the all-zero frame's, future SSIM
    and past frame MSE."""
    from aezoo.layers import HazeFloor
    from aezoo.models.convlstm_bidir_predictor.metrics import frame_ssim

    floor = HazeFloor(threshold)
    cut, cut_past = np.asarray(floor(future)), np.asarray(floor(past))
    return {
        "future_frame_mse": float(frame_mse(truth, cut).mean()),
        "worst_frame_to_zero": float((frame_mse(truth, cut) / frame_mse(truth, np.zeros_like(truth))).max()),
        "ssim_future": float(frame_ssim(truth, cut).mean()),
        "past_frame_mse": float(frame_mse(past_truth, cut_past).mean()),
    }


def log_row(path, row):
    """Appends `row` as one JSON line to `path` (nothing when `path` is None)."""
    if path:
        with open(path, "a") as log:
            log.write(json.dumps(row) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser, sequences=64, split="test", thresholds="0.05,0.1,0.2")
    args = parser.parse_args()
    thresholds = [float(t) for t in args.thresholds.split(",")]

    from aezoo.models.convlstm_bidir_predictor.metrics import frame_ssim

    model, shipped_floor = raw_model(args.artifact)
    frames, truth, past_truth = load_split(args.split, args.sequences)
    outputs = model.predict(frames, batch_size=16, verbose=0)
    predicted, past = np.asarray(outputs["future"]), np.asarray(outputs["past"])

    def per_frame_ssim(a, b):
        # frame_ssim averages a sequence's frames; one frame at a time here.
        return np.array([frame_ssim(a[:, t : t + 1], b[:, t : t + 1]).mean()
                         for t in range(a.shape[1])])

    def show(values, digits):
        return [round(float(v), digits) for v in values]

    black = truth < 0.02
    zero = np.zeros_like(truth)
    print(f"{args.artifact}: {len(frames)} {args.split} sequences, future frames "
          f"1..{truth.shape[1]}; its haze_floor {shipped_floor} switched off")
    print("SSIM, model:          ", show(per_frame_ssim(truth, predicted), 3))
    print("SSIM, all-zero frame: ", show(per_frame_ssim(truth, zero), 3))
    print("frame MSE, model:     ", show(frame_mse(truth, predicted), 1))
    print("intensity on black:   ", show((predicted * black).sum(axis=(2, 3, 4)).mean(0), 1))
    print("intensity, predicted: ", show(predicted.sum(axis=(2, 3, 4)).mean(0), 1))
    print("intensity, truth:     ", show(truth.sum(axis=(2, 3, 4)).mean(0), 1))
    zero_mse = frame_mse(truth, zero)
    zero_ssim = float(frame_ssim(truth, zero).mean())
    print(f"all-zero frame: SSIM {zero_ssim:.3f}, future frame MSE {zero_mse.mean():.1f}")
    print("| haze_floor | future frame MSE | worst frame / all-zero's | future SSIM | past frame MSE |")
    print("|---:|---:|---:|---:|---:|")
    for threshold in [0.0] + thresholds:
        row = {
            "artifact": args.artifact, "split": args.split, "sequences": len(frames),
            "haze_floor": threshold,
            **floor_scores(threshold, predicted, past, truth, past_truth),
            "baseline_zero_ssim_future": zero_ssim,
        }
        print(f"| {threshold} | {row['future_frame_mse']:.1f} | {row['worst_frame_to_zero']:.3f} "
              f"| {row['ssim_future']:.3f} | {row['past_frame_mse']:.1f} |")
        log_row(args.log, row)


if __name__ == "__main__":
    main()
