"""The predictor's metrics and quality bar (issue 13).

Per-frame MSE (squared error summed over a frame's pixels, averaged over
frames and sequences) of the future and past heads, and the same figure for
two trivial baselines: the all-zero frame and a copy of the last input
frame; and the mean SSIM of the future frames (`tf.image.ssim`) for the
model and both baselines. The bar: future frame MSE at most 0.45 of the
all-zero baseline's, every future frame better than the all-zero frame,
future SSIM above the all-zero frame's, past frame MSE at most 30.
"""

import numpy as np


def _frame_errors(truth, prediction):
    """Squared error summed over each frame's pixels: `(sequences, frames)`."""
    return np.sum((prediction - truth) ** 2, axis=(2, 3, 4))


def _frame_mse(truth, prediction):
    return _frame_errors(truth, prediction).mean(axis=1)


def frame_ssim(truth, prediction):
    """Mean SSIM over a sequence's frames (`tf.image.ssim`: 11x11 Gaussian
    window, sigma 1.5, k1 0.01, k2 0.03, dynamic range 1), per sequence."""
    import tensorflow as tf

    batch, steps = truth.shape[:2]
    values = tf.image.ssim(
        tf.reshape(truth, (-1,) + truth.shape[2:]),
        tf.reshape(prediction, (-1,) + prediction.shape[2:]),
        max_val=1.0,
    )
    return values.numpy().reshape(batch, steps).mean(axis=1)


def evaluate(model, batches, config):
    """Per-frame MSE and SSIM of both heads, and of the all-zero frame and
    a copy of the last input frame (the trivial baselines)."""
    sums, per_frame, count = {}, {}, 0
    for frames, targets in batches:
        predicted = model.predict_on_batch(frames)
        future = targets["future"]
        zero = np.zeros_like(future)
        copy_last = np.repeat(frames[:, -1:], future.shape[1], axis=1)
        # Squared error of each future frame, (sequences, frames).
        errors = {"model": _frame_errors(future, predicted["future"]),
                  "zero": _frame_errors(future, zero)}
        values = {
            "frame_mse_future": errors["model"].mean(axis=1),
            "frame_mse_past": _frame_mse(targets["past"], predicted["past"]),
            "frame_mae_future": np.abs(predicted["future"] - future).sum(axis=(2, 3, 4)).mean(axis=1),
            "ssim_future": frame_ssim(future, predicted["future"]),
            "baseline_zero_frame_mse_future": errors["zero"].mean(axis=1),
            "baseline_zero_ssim_future": frame_ssim(future, zero),
            "baseline_copy_last_frame_mse_future": _frame_mse(future, copy_last),
            "baseline_copy_last_ssim_future": frame_ssim(future, copy_last),
        }
        for key, per_example in values.items():
            sums[key] = sums.get(key, 0.0) + float(per_example.sum())
        for key, frame_errors in errors.items():
            per_frame[key] = per_frame.get(key, 0.0) + frame_errors.sum(axis=0)
        count += len(frames)
    metrics = {"examples": count, **{k: v / count for k, v in sums.items()}}
    # The worst future frame against the all-zero frame: >= 1 means that
    # frame has faded (it is no better than predicting nothing).
    ratios = per_frame["model"] / per_frame["zero"]
    metrics["frame_mse_future_worst_to_zero"] = float(ratios.max())
    for t, value in enumerate(per_frame["model"] / count, start=1):
        metrics[f"frame_mse_future_{t:02d}"] = float(value)
    return metrics


# Issue 13's floors for the predictor.
PREDICTOR_FUTURE_TO_ZERO = 0.45
PREDICTOR_PAST_MSE = 30.0


def predictor_floors(metrics):
    """Issue 13's floors for the predictor, one by one.

    Returns:
        A list of `(name, passed, description)`: `future_mse` (future frame
        MSE at most 0.45 of the all-zero frame's), `no_fading` (every
        future frame below the all-zero frame's error), `ssim` (future SSIM
        above the all-zero frame's) and `past_mse` (past frame MSE at most
        30).
    """
    zero = metrics["baseline_zero_frame_mse_future"]
    return [
        ("future_mse", metrics["frame_mse_future"] <= PREDICTOR_FUTURE_TO_ZERO * zero,
         f"future frame MSE <= {PREDICTOR_FUTURE_TO_ZERO * zero:.1f} "
         f"({PREDICTOR_FUTURE_TO_ZERO} of the all-zero frame's)"),
        ("no_fading", metrics["frame_mse_future_worst_to_zero"] < 1.0,
         "every future frame below the all-zero frame's error"),
        ("ssim", metrics["ssim_future"] > metrics["baseline_zero_ssim_future"],
         f"future SSIM > {metrics['baseline_zero_ssim_future']:.3f} (the all-zero frame's)"),
        ("past_mse", metrics["frame_mse_past"] <= PREDICTOR_PAST_MSE,
         f"past frame MSE <= {PREDICTOR_PAST_MSE:g}"),
    ]


def quality_bar(metrics):
    """All four of issue 13's floors (`predictor_floors`)."""
    floors = predictor_floors(metrics)
    failed = [text for _, ok, text in floors if not ok]
    return not failed, "; ".join(text for _, _, text in floors) + (
        f" (missed: {'; '.join(failed)})" if failed else ""
    )
