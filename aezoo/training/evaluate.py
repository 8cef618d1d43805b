"""`evaluate`: a trained model's metrics on a held-out split, per task.

Each model is judged by the figure its task is known by:

- `convlstm_bidir_predictor`: per-frame MSE (squared error summed over a
  frame's pixels, averaged over frames and sequences) of the future and past
  heads, and the same figure for two trivial baselines: the all-zero frame
  and a copy of the last input frame; and the mean SSIM of the future
  frames (`tf.image.ssim`) for the model and both baselines.
- `conv_autoencoder`: per-pixel test MSE.
- `lstm_sequence_classifier`: accuracy on the steps that have a previous bit.
- `sparse_autoencoder`: per-pixel test MSE and the hidden units' mean
  activation against rho.
- `mlp_autoencoder`: MSE of the estimate.
"""

import contextvars

import numpy as np

from aezoo import registry


# Data options of the evaluation protocol, where the split's default differs.
EVALUATION_OPTIONS = {
    "mlp_autoencoder": {"num_examples": 10_000},  # 10,000 fresh inputs (issue 6)
}


def evaluate(model, name, preset="default", *, split="test", batch_size=64,
             max_batches=None, model_overrides=None, verbose=0):
    """Measures a trained model on a held-out split.

    Args:
        model: a trained Keras model of registry model `name`.
        name: the registry name (sets the data and the metrics).
        preset: the preset the model was built with (sets the data shapes).
        split: the data split. Defaults to `"test"`.
        batch_size: evaluation batch size.
        max_batches: evaluate only this many batches (fast checks), drawn
            as a fixed random sample (seed 0) of the split.
        model_overrides: the overrides the model was built with.
        verbose: 1 shows a progress bar over the batches. Defaults to 0.

    Returns:
        A dict of metric name -> float, plus `"examples"`.
    """
    from aezoo import data

    registry.get_model_info(name)
    if name not in _EVALUATORS:
        raise ValueError(
            f"aezoo has no evaluation for model {name!r}; it evaluates: "
            f"{', '.join(sorted(_EVALUATORS))}."
        )
    dataset = data.for_model(
        name, split, preset, batch_size=batch_size,
        # A subset is a fixed random sample of the split, not its first
        # examples (MNIST's test digits are ordered by writer group).
        shuffle=bool(max_batches), seed=0,
        model_overrides=model_overrides or {}, **EVALUATION_OPTIONS.get(name, {}),
    )
    if max_batches:
        dataset = dataset.take(max_batches)
    config = registry.get_config(name, preset, **(model_overrides or {}))
    token = _PROGRESS.set(bool(verbose))
    try:
        return _EVALUATORS[name](model, dataset, config)
    finally:
        _PROGRESS.reset(token)


def quality_bar(name, metrics):
    """Whether `evaluate` metrics meet the model's artifact quality bar.

    The bars: predictor (issue 13) future frame MSE at most 0.45 of the
    all-zero baseline's, every future frame better than the all-zero frame,
    future SSIM above the all-zero frame's, past frame MSE at most 30;
    conv autoencoder MSE < 0.02; classifier 100% on the steps
    with a previous bit; sparse autoencoder mean activation within 20% of
    rho; MLP autoencoder MSE < 1e-4.

    Returns:
        `(passed, description of the bar)`.
    """
    if name == "convlstm_bidir_predictor":
        return _predictor_bar(metrics)
    if name == "conv_autoencoder":
        return metrics["mse"] < 0.02, "test MSE < 0.02"
    if name == "lstm_sequence_classifier":
        return metrics["accuracy_with_previous_bit"] == 1.0, "100% accuracy"
    if name == "sparse_autoencoder":
        return abs(metrics["mean_activation"] - metrics["rho"]) <= 0.2 * metrics["rho"], "mean activation within 20% of rho"
    if name == "mlp_autoencoder":
        return metrics["mse"] < 1e-4, "MSE < 1e-4"
    raise ValueError(f"aezoo has no quality bar for model {name!r}")


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


def _predictor_bar(metrics):
    floors = predictor_floors(metrics)
    failed = [text for _, ok, text in floors if not ok]
    return not failed, "; ".join(text for _, _, text in floors) + (
        f" (missed: {'; '.join(failed)})" if failed else ""
    )


def read_run(run_dir):
    """`(recipe, best checkpoint path)` of a finished run folder."""
    import json
    import pathlib

    run_dir = pathlib.Path(run_dir)
    recipe_file = run_dir / "recipe.json"
    checkpoint = run_dir / "checkpoints" / "best.keras"
    if not recipe_file.is_file() or not checkpoint.is_file():
        raise ValueError(
            f"{run_dir} is not a finished aezoo run folder (it needs recipe.json "
            f"and checkpoints/best.keras). Train first: aezoo train NAME --out {run_dir}"
        )
    return json.loads(recipe_file.read_text()), checkpoint


def evaluate_run(run_dir, split="test", max_batches=None, verbose=0):
    """Evaluates a run folder's best checkpoint; writes `metrics.json` there.

    Returns:
        The metrics dict (see `evaluate`).
    """
    import json
    import pathlib

    import keras

    run_dir = pathlib.Path(run_dir)
    recipe, checkpoint = read_run(run_dir)
    model = keras.saving.load_model(checkpoint)
    metrics = evaluate(
        model, recipe["model"], recipe["preset"], split=split,
        batch_size=recipe["data"]["batch_size"], max_batches=max_batches,
        model_overrides=recipe["model_overrides"], verbose=verbose,
    )
    metrics = {"split": split, **metrics}
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    _pictures(model, recipe, split, run_dir / "pictures")
    return metrics


def evaluate_artifact(name_or_path, split="test", max_batches=None, verbose=0):
    """Re-measures a shipped artifact with its card's protocol.

    The artifact is verified (sha256 of every file) and loaded; the metrics
    are measured on `split` with the card's batch size and data options.

    Returns:
        `(measured, card_metrics)`: two dicts of metric -> value.
    """
    from aezoo import artifact

    model = artifact.load(name_or_path)
    card = artifact.read_card(name_or_path)
    recipe = card.get("recipe") or {}
    measured = evaluate(
        model, card["model"], card.get("preset", "default"), split=split,
        batch_size=(recipe.get("data") or {}).get("batch_size", 64),
        max_batches=max_batches, model_overrides=recipe.get("model_overrides") or {},
        verbose=verbose,
    )
    return measured, card.get("metrics", {})


def _pictures(model, recipe, split, folder):
    model_pictures_for(model, recipe["model"], recipe["preset"], recipe["model_overrides"], split, folder)


def model_pictures_for(model, name, preset, model_overrides, split, folder):
    """Writes the model's pictures for the first 10 examples of `split`."""
    from aezoo import data
    from aezoo.training import pictures

    batch = next(iter(data.for_model(
        name, split, preset, batch_size=10, shuffle=False, model_overrides=model_overrides,
    )))
    inputs, targets = _numpy(batch[0]), _numpy(batch[1])
    pictures.model_pictures(model, name, inputs, targets, folder)


# Whether `_batches` shows a progress bar (the `verbose` of the `evaluate` call).
_PROGRESS = contextvars.ContextVar("evaluate_progress", default=False)


def _batches(dataset):
    import keras

    progress = None
    if _PROGRESS.get():
        steps = int(dataset.cardinality())
        progress = keras.utils.Progbar(steps if steps > 0 else None, unit_name="batch")
    count = 0
    for batch in dataset:
        yield tuple(_numpy(part) for part in batch)
        count += 1
        if progress is not None:
            progress.update(count)
    if progress is not None and progress.target is None:
        progress.update(count, finalize=True)


def _numpy(value):
    if isinstance(value, dict):
        return {k: v.numpy() for k, v in value.items()}
    return value.numpy()


def _frame_errors(truth, prediction):
    """Squared error summed over each frame's pixels: `(sequences, frames)`."""
    return np.sum((prediction - truth) ** 2, axis=(2, 3, 4))


def _frame_mse(truth, prediction):
    return _frame_errors(truth, prediction).mean(axis=1)


def _frame_ssim(truth, prediction):
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


def _predictor(model, dataset, config):
    sums, per_frame, count = {}, {}, 0
    for frames, targets in _batches(dataset):
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
            "ssim_future": _frame_ssim(future, predicted["future"]),
            "baseline_zero_frame_mse_future": errors["zero"].mean(axis=1),
            "baseline_zero_ssim_future": _frame_ssim(future, zero),
            "baseline_copy_last_frame_mse_future": _frame_mse(future, copy_last),
            "baseline_copy_last_ssim_future": _frame_ssim(future, copy_last),
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


def _pixel_mse(model, dataset, config):
    total, count = 0.0, 0
    for images, targets in _batches(dataset):
        predicted = model.predict_on_batch(images)
        total += float(((predicted - targets) ** 2).reshape(len(images), -1).mean(axis=1).sum())
        count += len(images)
    return {"examples": count, "mse": total / count}


def _sparse(model, dataset, config):
    from aezoo import diagnostics

    result = _pixel_mse(model, dataset, config)
    sparsity = diagnostics.activation_sparsity(
        model, dataset, layer_name="hidden", rho=config["rho"], max_examples=None
    ).numbers
    result.update(
        rho=float(config["rho"]),
        mean_activation=sparsity["mean_activation"],
        unit_mean_min=sparsity["min_unit_mean"],
        unit_mean_max=sparsity["max_unit_mean"],
    )
    return result


def _classifier(model, dataset, config):
    correct, count = 0.0, 0.0
    for bits, classes, weights in _batches(dataset):
        predicted = model.predict_on_batch(bits).argmax(axis=-1)
        correct += float(((predicted == classes) * weights).sum())
        count += float(weights.sum())
    return {"examples": int(count), "accuracy_with_previous_bit": correct / count}


_EVALUATORS = {
    "convlstm_bidir_predictor": _predictor,
    "conv_autoencoder": _pixel_mse,
    "sparse_autoencoder": _sparse,
    "lstm_sequence_classifier": _classifier,
    "mlp_autoencoder": _pixel_mse,
}
