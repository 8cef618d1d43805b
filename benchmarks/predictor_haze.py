"""Where the shipped predictor loses its SSIM: haze (issue 13).

    AEZOO_MNIST_DIR=../shared/data/mnist .venv/bin/python benchmarks/predictor_haze.py \
        [--artifact artifacts/convlstm_bidir_predictor/model.keras] [--sequences 64]

On the first `--sequences` test sequences, per future frame: the model's
SSIM and the all-zero frame's, its frame MSE, and how much of the
intensity it predicts lies on pixels that are black (< 0.02) in the truth,
beside its total intensity and the truth's. Then the SSIM and MSE the same
predictions would have with every pixel below a threshold set to zero
(an analysis of the failure, not a fix: aezoo ships no such step).
"""

import argparse

import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifact", default="artifacts/convlstm_bidir_predictor/model.keras")
    parser.add_argument("--sequences", type=int, default=64)
    args = parser.parse_args()

    import keras

    import aezoo  # noqa: F401  (registers the layers)
    from aezoo import data
    from aezoo.models.convlstm_bidir_predictor.metrics import frame_ssim

    model = keras.saving.load_model(args.artifact)
    frames, truth = [], []
    for x, y in data.for_model("convlstm_bidir_predictor", "test", batch_size=16,
                               num_sequences=args.sequences):
        frames.append(np.asarray(x))
        truth.append(np.asarray(y["future"]))
    frames, truth = np.concatenate(frames), np.concatenate(truth)
    predicted = np.asarray(model.predict(frames, batch_size=16, verbose=0)["future"])

    def per_frame_ssim(a, b):
        # frame_ssim averages a sequence's frames; one frame at a time here.
        return np.array([frame_ssim(a[:, t : t + 1], b[:, t : t + 1]).mean()
                         for t in range(a.shape[1])])

    def mse(a, b):
        return ((a - b) ** 2).sum(axis=(2, 3, 4)).mean(axis=0)

    def show(values, digits):
        return [round(float(v), digits) for v in values]

    black = truth < 0.02
    print(f"{len(frames)} test sequences, future frames 1..{truth.shape[1]}")
    print("SSIM, model:          ", show(per_frame_ssim(truth, predicted), 3))
    print("SSIM, all-zero frame: ", show(per_frame_ssim(truth, np.zeros_like(truth)), 3))
    print("frame MSE, model:     ", show(mse(truth, predicted), 1))
    print("intensity on black:   ", show((predicted * black).sum(axis=(2, 3, 4)).mean(0), 1))
    print("intensity, predicted: ", show(predicted.sum(axis=(2, 3, 4)).mean(0), 1))
    print("intensity, truth:     ", show(truth.sum(axis=(2, 3, 4)).mean(0), 1))
    print(f"as predicted: SSIM {frame_ssim(truth, predicted).mean():.3f}, "
          f"future frame MSE {mse(truth, predicted).mean():.1f}")
    for threshold in (0.05, 0.1, 0.2):
        cut = np.where(predicted < threshold, 0.0, predicted)
        print(f"pixels < {threshold} set to 0: SSIM {frame_ssim(truth, cut).mean():.3f}, "
              f"future frame MSE {mse(truth, cut).mean():.1f}")


if __name__ == "__main__":
    main()
