"""`evaluate`: a trained model's metrics on a held-out split, per task.

Each model is judged by the figure its task is known by; the family
(`aezoo.family.ModelFamily`) measures it (`evaluate`) and judges it
(`quality_bar`). This module reads the split and asks the family.
"""

import contextvars

from aezoo import registry


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

    Raises:
        ValueError: unknown model, preset or override, or a family
            without `evaluate`.
    """
    family, config = registry.resolve(name, preset, **(model_overrides or {}))
    return evaluate_family(
        model, family, config, split=split, batch_size=batch_size,
        max_batches=max_batches, verbose=verbose,
    )


def evaluate_family(model, family, config, *, split="test", batch_size=64,
                    max_batches=None, verbose=0):
    """`evaluate` for a resolved family and configuration (`aezoo.registry.resolve`)."""
    from aezoo import data

    measure = family.require("evaluate")
    dataset = data.for_model(
        family, split, config=config, batch_size=batch_size,
        # A subset is a fixed random sample of the split, not its first
        # examples (MNIST's test digits are ordered by writer group).
        shuffle=bool(max_batches), seed=0, **family.evaluation_options,
    )
    if max_batches:
        dataset = dataset.take(max_batches)
    token = _PROGRESS.set(bool(verbose))
    try:
        return measure(model, NumpyBatches(dataset), config)
    finally:
        _PROGRESS.reset(token)


def quality_bar(name, metrics):
    """Whether `evaluate` metrics meet the model's artifact quality bar.

    Returns:
        `(passed, description of the bar)`.

    Raises:
        ValueError: unknown model, or a family without a quality bar.
    """
    return registry.get_model_info(name).require("quality_bar")(metrics)


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

    The checkpoint is measured in float32 (`aezoo.artifact.loading.load_float32`),
    as `aezoo export` ships it, whatever the recipe's `fit.dtype_policy`.

    Returns:
        The metrics dict (see `evaluate`).
    """
    import json
    import pathlib

    from aezoo.artifact.loading import load_float32

    run_dir = pathlib.Path(run_dir)
    recipe, checkpoint = read_run(run_dir)
    # Measured as it would ship: a run trained under `mixed_bfloat16` keeps
    # that policy in its checkpoints, and its artifact computes in float32.
    model = load_float32(checkpoint)
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

    family, config = registry.resolve(name, preset, **(model_overrides or {}))
    batch = next(iter(data.for_model(family, split, config=config, batch_size=10, shuffle=False)))
    inputs, targets = _numpy(batch[0]), _numpy(batch[1])
    pictures.model_pictures(model, family, inputs, targets, folder)


# Whether `NumpyBatches` shows a progress bar (the `verbose` of the `evaluate` call).
_PROGRESS = contextvars.ContextVar("evaluate_progress", default=False)


class NumpyBatches:
    """The batches of an evaluation dataset as tuples of NumPy arrays (dicts
    of them for named outputs), with `evaluate`'s progress bar.

    Attributes:
        dataset: the `tf.data.Dataset` itself, for measures that read it whole.
    """

    def __init__(self, dataset):
        self.dataset = dataset

    def __iter__(self):
        import keras

        progress = None
        if _PROGRESS.get():
            steps = int(self.dataset.cardinality())
            progress = keras.utils.Progbar(steps if steps > 0 else None, unit_name="batch")
        count = 0
        for batch in self.dataset:
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
