"""What the predictor's error is made of: can a change to its outputs alone lower it?

    AEZOO_MNIST_DIR=../shared/data/mnist .venv/bin/python benchmarks/predictor_post_hoc.py \
        [--artifact artifacts/convlstm_bidir_predictor/model.keras] [--sequences 256] \
        [--split validation|test] [--thresholds 0.05,0.1,0.15] [--log FILE]

Two changes that cost no training, each measured on the same sequences:

1. Test-time augmentation. Moving MNIST's motion (straight lines,
   bouncing off the walls of a square canvas) is the same under the 8
   rotations and reflections of the square; only the digits' shapes are
   not. The model predicts each of the 8 transformed clips, each
   prediction is transformed back, and the first 1, 2, 4 and 8 of them
   are averaged (identity, 90, 180, 270 degrees; then the same mirrored).
   If the model's error were variance (a different guess per view), the
   average would be better than any view; if it is bias (the same blur in
   every view), it stays where it is. The model's own `HazeFloor` is
   switched off, and the average goes through `HazeFloor(threshold)` for
   each `--thresholds` value (and 0: raw), as `predictor_haze.py` does for
   one view. Prints, per number of views and threshold, future frame MSE,
   the worst future frame's ratio to the all-zero frame's, future SSIM and
   past frame MSE.
2. Recalibration. For squared error the best output for a pixel the model
   predicts as `p` is the mean truth over the pixels it predicts as `p`.
   A reliability table of the raw future frames (their values in 10 bins:
   the share of pixels, their mean prediction, their mean truth) shows how
   far they are from that; then a map from prediction to mean truth,
   fitted on the first half of the sequences (40 bins, per future frame,
   linear between bin means), is applied to the second half, and its
   future frame MSE is compared with the raw frames' on that half.

Choose on `--split validation`, never on the test split the card reports.
"""

import argparse
import time

import numpy as np
from predictor_haze import add_arguments  # this folder: the scripts run from it
from predictor_haze import floor_scores
from predictor_haze import frame_mse
from predictor_haze import load_split
from predictor_haze import log_row
from predictor_haze import raw_model

VIEWS = [(mirror, quarter_turns) for mirror in (False, True) for quarter_turns in range(4)]


def _to_view(frames, mirror, quarter_turns):
    frames = np.rot90(frames, quarter_turns, axes=(2, 3))
    return frames[:, :, :, ::-1] if mirror else frames


def _from_view(frames, mirror, quarter_turns):
    frames = frames[:, :, :, ::-1] if mirror else frames
    return np.rot90(frames, -quarter_turns, axes=(2, 3))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser, sequences=256, split="validation", thresholds="0.05,0.1,0.15")
    args = parser.parse_args()
    thresholds = [0.0] + [float(t) for t in args.thresholds.split(",")]

    from aezoo.models.convlstm_bidir_predictor.metrics import frame_ssim

    model, _ = raw_model(args.artifact)
    frames, truth, past_truth = load_split(args.split, args.sequences)

    views, start = [], time.perf_counter()
    for mirror, turns in VIEWS:
        out = model.predict(np.ascontiguousarray(_to_view(frames, mirror, turns)), batch_size=16, verbose=0)
        views.append((_from_view(np.asarray(out["future"]), mirror, turns),
                      _from_view(np.asarray(out["past"]), mirror, turns)))
    seconds_per_view = (time.perf_counter() - start) / len(VIEWS)

    zero_mse = frame_mse(truth, np.zeros_like(truth))
    print(f"{args.artifact}: {len(frames)} {args.split} sequences; {seconds_per_view:.1f} s per view; "
          f"all-zero frame: future frame MSE {zero_mse.mean():.1f}, "
          f"SSIM {float(frame_ssim(truth, np.zeros_like(truth)).mean()):.3f}")
    print("\nTest-time augmentation:")
    print("| views | haze floor | future frame MSE | worst frame / all-zero's | future SSIM | past frame MSE |")
    print("|---:|---:|---:|---:|---:|---:|")
    for count in (1, 2, 4, 8):
        future = np.mean([v[0] for v in views[:count]], axis=0)
        past = np.mean([v[1] for v in views[:count]], axis=0)
        for threshold in thresholds:
            row = {
                "artifact": args.artifact, "split": args.split, "sequences": len(frames),
                "views": count, "haze_floor": threshold,
                **floor_scores(threshold, future, past, truth, past_truth),
            }
            print(f"| {count} | {threshold} | {row['future_frame_mse']:.1f} | "
                  f"{row['worst_frame_to_zero']:.3f} | {row['ssim_future']:.3f} | {row['past_frame_mse']:.1f} |")
            log_row(args.log, row)

    raw = views[0][0]
    print("\nReliability of the raw future frames (one view):")
    print("| predicted in | share of pixels | mean predicted | mean truth |")
    print("|---|---:|---:|---:|")
    edges = np.linspace(0.0, 1.0, 11)
    which = np.clip(np.digitize(raw, edges) - 1, 0, 9)
    for i in range(10):
        chosen = which == i
        print(f"| [{edges[i]:.1f}, {edges[i + 1]:.1f}) | {chosen.mean():.4f} | "
              f"{raw[chosen].mean():.3f} | {truth[chosen].mean():.3f} |")
    half = len(frames) // 2
    fitted = np.empty_like(raw[half:])
    bins = np.linspace(0.0, 1.0, 41)
    for t in range(raw.shape[1]):
        fit_p, fit_y = raw[:half, t].ravel(), truth[:half, t].ravel()
        which = np.clip(np.digitize(fit_p, bins) - 1, 0, 39)
        used = [i for i in range(40) if (which == i).any()]
        means_p = [fit_p[which == i].mean() for i in used]
        means_y = [fit_y[which == i].mean() for i in used]
        fitted[:, t] = np.interp(raw[half:, t], means_p, means_y)
    row = {
        "artifact": args.artifact, "split": args.split, "sequences": len(frames) - half,
        "recalibration": "40 bins per future frame, fitted on the first half",
        "future_frame_mse_raw": float(frame_mse(truth[half:], raw[half:]).mean()),
        "future_frame_mse_recalibrated": float(frame_mse(truth[half:], fitted).mean()),
    }
    print(f"\nSecond half ({row['sequences']} sequences): future frame MSE raw "
          f"{row['future_frame_mse_raw']:.2f}, recalibrated {row['future_frame_mse_recalibrated']:.2f}")
    log_row(args.log, row)


if __name__ == "__main__":
    main()
