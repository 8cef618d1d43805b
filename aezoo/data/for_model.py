"""`for_model`: the dataset and target layout a registered model trains on."""

import tensorflow as tf

from aezoo import registry
from aezoo.data.load import finish
from aezoo.data.load import load_batches


def for_model(
    model,
    split="train",
    preset="default",
    *,
    batch_size=32,
    shuffle=None,
    seed=0,
    deterministic=True,
    shard=None,
    model_overrides=None,
    config=None,
    **options,
):
    """Loads the data a registered model trains on, shaped for its inputs and outputs.

    The dataset is the model's registered `dataset`; the configuration
    (`preset` updated by `model_overrides`) sets the shapes, as the
    family's `data_layout` says (see each family's `data.py` in
    `aezoo/models/`).

    Args:
        model: a registered model name, or its `aezoo.family.ModelFamily`.
        split: a split of the model's dataset (see `aezoo.data.load`).
        preset: the model preset whose configuration sets the shapes.
        batch_size, shuffle, seed, deterministic, shard: as in
            `aezoo.data.load`.
        model_overrides: dict of configuration overrides, as given to
            `aezoo.build(model, preset, **model_overrides)`.
        config: the complete configuration, when the caller resolved it
            already (`aezoo.registry.resolve`); `preset` and
            `model_overrides` are then not read again.
        **options: further dataset options (not those the configuration
            sets).

    Returns:
        A batched, prefetched `tf.data.Dataset`.

    Raises:
        ValueError: unknown model, preset or override (from the registry),
            a family without a data layout, a configuration the data
            cannot serve, or an option the configuration already sets.

    Example:

    ```python
    train = aezoo.data.for_model("convlstm_bidir_predictor", "train", batch_size=16)
    model = aezoo.build("convlstm_bidir_predictor")
    model.fit(train, epochs=1)
    ```
    """
    family = registry.get_model_info(model) if isinstance(model, str) else model
    if config is None:
        config = family.config(preset, **(model_overrides or {}))
    if family.data_layout is None:
        raise ValueError(
            f"aezoo.data has no input layout for model '{family.name}' (dataset "
            f"'{family.dataset}'). Use aezoo.data.load('{family.dataset}', ...) and "
            "map it to the model's inputs, or give its ModelFamily a `data_layout`."
        )
    layout = family.data_layout(config)
    conflicts = sorted(set(options) & set(layout.options))
    if conflicts:
        raise ValueError(
            f"Option(s) {', '.join(conflicts)} are set by the configuration of "
            f"'{family.name}' ({', '.join(f'{k}={layout.options[k]!r}' for k in conflicts)}); "
            "change the configuration with model_overrides instead. Received: "
            f"{', '.join(f'{k}={options[k]!r}' for k in conflicts)}"
        )
    batches = load_batches(
        family.dataset,
        split,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        shard=shard,
        options={**options, **layout.options},
    )
    if layout.to_model is not None:
        batches = batches.map(layout.to_model, num_parallel_calls=tf.data.AUTOTUNE)
    return finish(batches, deterministic)
