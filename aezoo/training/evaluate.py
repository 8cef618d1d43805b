"""`evaluate`: a trained model's metrics on a held-out split, per task.

Each model is judged by the figure its task is known by:

- `convlstm_bidir_predictor`: per-frame MSE (squared error summed over a
  frame's pixels, averaged over frames and sequences) of the future and past
  heads, and the same figure for two trivial baselines: the all-zero frame
  and a copy of the last input frame.
- `conv_autoencoder`: per-pixel test MSE.
- `lstm_sequence_classifier`: accuracy on the steps that have a previous bit.
- `sparse_autoencoder`: per-pixel test MSE and the hidden units' mean
  activation against rho.
- `mlp_autoencoder`: MSE of the estimate.
"""

import numpy as np

from aezoo import registry


def evaluate(model, name, preset="default", *, split="test", batch_size=64,
             max_batches=None, model_overrides=None):
    """Measures a trained model on a held-out split.

    Args:
        model: a trained Keras model of registry model `name`.
        name: the registry name (sets the data and the metrics).
        preset: the preset the model was built with (sets the data shapes).
        split: the data split. Defaults to `"test"`.
        batch_size: evaluation batch size.
        max_batches: evaluate only this many batches (fast checks).
        model_overrides: the overrides the model was built with.

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
        name, split, preset, batch_size=batch_size, shuffle=False,
        model_overrides=model_overrides or {},
    )
    if max_batches:
        dataset = dataset.take(max_batches)
    return _EVALUATORS[name](model, dataset, registry.get_config(name, preset, **(model_overrides or {})))


def evaluate_run(run_dir, split="test", max_batches=None):
    """Evaluates a run folder's best checkpoint; writes `metrics.json` there.

    Returns:
        The metrics dict (see `evaluate`).
    """
    import json
    import pathlib

    import keras

    run_dir = pathlib.Path(run_dir)
    recipe_file = run_dir / "recipe.json"
    checkpoint = run_dir / "checkpoints" / "best.keras"
    if not recipe_file.exists() or not checkpoint.exists():
        raise ValueError(
            f"{run_dir} is not a finished aezoo run folder (it needs recipe.json "
            f"and checkpoints/best.keras). Train first: aezoo train NAME --out {run_dir}"
        )
    recipe = json.loads(recipe_file.read_text())
    model = keras.saving.load_model(checkpoint)
    metrics = evaluate(
        model, recipe["model"], recipe["preset"], split=split,
        batch_size=recipe["data"]["batch_size"], max_batches=max_batches,
        model_overrides=recipe["model_overrides"],
    )
    metrics = {"split": split, **metrics}
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    _pictures(model, recipe, split, run_dir / "pictures")
    return metrics


def _pictures(model, recipe, split, folder):
    from aezoo import data
    from aezoo.training import pictures

    batch = next(iter(data.for_model(
        recipe["model"], split, recipe["preset"], batch_size=10, shuffle=False,
        model_overrides=recipe["model_overrides"],
    )))
    inputs, targets = _numpy(batch[0]), _numpy(batch[1])
    pictures.model_pictures(model, recipe["model"], inputs, targets, folder)


def _batches(dataset):
    for batch in dataset:
        yield tuple(_numpy(part) for part in batch)


def _numpy(value):
    if isinstance(value, dict):
        return {k: v.numpy() for k, v in value.items()}
    return value.numpy()


def _frame_mse(truth, prediction):
    return np.sum((prediction - truth) ** 2, axis=(2, 3, 4)).mean(axis=1)


def _predictor(model, dataset, config):
    sums, count = {}, 0
    for frames, targets in _batches(dataset):
        predicted = model.predict_on_batch(frames)
        future = targets["future"]
        values = {
            "frame_mse_future": _frame_mse(future, predicted["future"]),
            "frame_mse_past": _frame_mse(targets["past"], predicted["past"]),
            "frame_mae_future": np.abs(predicted["future"] - future).sum(axis=(2, 3, 4)).mean(axis=1),
            "baseline_zero_frame_mse_future": _frame_mse(future, np.zeros_like(future)),
            "baseline_copy_last_frame_mse_future": _frame_mse(
                future, np.repeat(frames[:, -1:], future.shape[1], axis=1)
            ),
        }
        for key, per_example in values.items():
            sums[key] = sums.get(key, 0.0) + float(per_example.sum())
        count += len(frames)
    return {"examples": count, **{k: v / count for k, v in sums.items()}}


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
