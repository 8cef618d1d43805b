"""How much of the predictor's error is one digit's motion, and how much two digits meeting.

    AEZOO_MNIST_DIR=../shared/data/mnist .venv/bin/python benchmarks/predictor_digit_count.py \
        [--artifact artifacts/convlstm_bidir_predictor/model.keras] [--sequences 256] \
        [--split validation|test] [--log FILE]

The predictor is trained and measured on clips of two digits. This script
measures it, as shipped (its own haze floor, float32), on the first
`--sequences` clips of `--split` generated with one digit and with two
(`aezoo.data.load("moving_mnist", ..., num_digits=...)`; the same
rules otherwise), and prints, for each, the future frame MSE per frame and
overall, and the all-zero frame's. If the two digits of a clip did not
interact, a two-digit clip's error would be about twice a one-digit
clip's; what the two-digit error has beyond that is the cost of the digits
overlapping and occluding each other. Choose on `--split validation`, never
on the test split the card reports.

The one-digit clips are then split by whether the digit bounces off a wall
between the last input frame and the last future frame: a change of sign
of its centre of mass's displacement along either axis (displacements under
0.3 pixels are ignored), measured on the true frames. A digit moves 3.6
pixels per frame across a free range of 36, so most clips bounce.
"""

import argparse
import json

import numpy as np


def future_errors(model, split, num_digits, sequences):
    """Per clip and future frame: the model's squared error summed over the
    frame, and the all-zero frame's; and whether each clip's digits bounce
    in the future frames (`bounces`)."""
    from aezoo import data

    options = {"validation_fraction": 0.1} if split == "validation" else {}
    batches = data.load(
        "moving_mnist", split, batch_size=32, num_digits=num_digits,
        num_sequences=sequences, **options,
    )
    errors, zeros, bounced = [], [], []
    for frames, future in batches:
        predicted = model.predict(frames, verbose=0)["future"]
        future = np.asarray(future)
        errors.append(((predicted - future) ** 2).sum(axis=(2, 3, 4)))
        zeros.append((future**2).sum(axis=(2, 3, 4)))
        bounced.append(bounces(np.concatenate([np.asarray(frames)[:, -1:], future], axis=1)))
    return np.concatenate(errors), np.concatenate(zeros), np.concatenate(bounced)


def bounces(frames, still=0.3):
    """Per clip `(batch, frames, rows, cols, 1)`: whether its centre of mass
    reverses along an axis (a bounce, for a single digit), ignoring
    displacements under `still` pixels."""
    frames = frames[..., 0]
    mass = frames.sum(axis=(2, 3))
    reversed_ = np.zeros(len(frames), bool)
    for profile in (frames.sum(axis=3), frames.sum(axis=2)):  # rows, then columns
        centre = (profile * np.arange(profile.shape[-1])).sum(axis=-1) / np.maximum(mass, 1e-6)
        step = np.diff(centre, axis=1)
        sign = np.where(np.abs(step) < still, 0, np.sign(step))
        for clip, signs in enumerate(sign):
            moving = signs[signs != 0]
            reversed_[clip] |= bool(np.any(moving[1:] != moving[:-1]))
    return reversed_


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifact", default="artifacts/convlstm_bidir_predictor/model.keras")
    parser.add_argument("--sequences", type=int, default=256)
    parser.add_argument("--split", default="validation", choices=("validation", "test"))
    parser.add_argument("--log", help="append one JSON line per digit count to this file")
    args = parser.parse_args(argv)

    from aezoo.artifact.loading import load_float32

    model = load_float32(args.artifact)
    rows = {}
    print("| digits per clip | future frame MSE | all-zero frame's | ratio | per future frame |")
    print("|---:|---:|---:|---:|---|")
    split_by_bounce = {}
    for num_digits in (1, 2):
        errors, zeros, bounced = future_errors(model, args.split, num_digits, args.sequences)
        per_frame, zero = errors.mean(axis=0), zeros.mean(axis=0)
        if num_digits == 1:
            split_by_bounce = {"bounces": (errors[bounced], zeros[bounced]),
                               "moves straight": (errors[~bounced], zeros[~bounced])}
        rows[num_digits] = float(per_frame.mean())
        print(f"| {num_digits} | {per_frame.mean():.1f} | {zero.mean():.1f} | "
              f"{per_frame.mean() / zero.mean():.3f} | {', '.join(f'{v:.1f}' for v in per_frame)} |")
        if args.log:
            with open(args.log, "a") as log:
                log.write(json.dumps({
                    "artifact": args.artifact, "split": args.split, "sequences": args.sequences,
                    "num_digits": num_digits, "future_frame_mse": round(float(per_frame.mean()), 2),
                    "all_zero_frame_mse": round(float(zero.mean()), 2),
                    "per_frame": [round(float(v), 2) for v in per_frame],
                }) + "\n")
    beyond = rows[2] - 2 * rows[1]
    print(f"\nTwo digits: {rows[2]:.1f} = twice one digit's {2 * rows[1]:.1f} "
          f"+ {beyond:.1f} ({100 * beyond / rows[2]:.0f}%) from the digits meeting.")
    print("\n| one digit, in the future frames | clips | future frame MSE | all-zero frame's | per future frame |")
    print("|---|---:|---:|---:|---|")
    for name, (errors, zeros) in split_by_bounce.items():
        if len(errors):
            print(f"| {name} | {len(errors)} | {errors.mean():.1f} | {zeros.mean():.1f} | "
                  f"{', '.join(f'{v:.1f}' for v in errors.mean(axis=0))} |")


if __name__ == "__main__":
    main()
