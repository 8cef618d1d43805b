"""`sample`: real inputs of a registered model, as NumPy, to save for `predict`."""

import numpy as np

from aezoo.data.for_model import for_model


def sample(model_name, split="test", count=8, preset="default", *, seed=0,
           model_overrides=None, **options):
    """The first `count` inputs of a split, laid out for the model.

    What `aezoo predict NAME --input x.npy` and `saved_model_cli run` take:
    `np.save("x.npy", aezoo.data.sample("conv_autoencoder", count=8))`.

    Args:
        model_name: a registered model name.
        split: a split of the model's dataset. Defaults to `"test"`.
        count: number of examples. Defaults to 8.
        preset: the preset whose configuration sets the shapes.
        seed: the data seed (generated datasets). Defaults to 0.
        model_overrides: configuration overrides, as given to `aezoo.build`.
        **options: further dataset options (see `for_model`).

    Returns:
        A float32 array `(count, ...)`, the model's input shape.

    Raises:
        ValueError: unknown model, preset, split or option, `count < 1`,
            or a split with fewer than `count` examples.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"`count` must be an integer >= 1. Received: count={count!r}")
    dataset = for_model(
        model_name, split, preset, batch_size=count, shuffle=False, seed=seed,
        model_overrides=model_overrides or {}, **options,
    )
    inputs = np.asarray(next(iter(dataset))[0], dtype=np.float32)
    if len(inputs) < count:
        raise ValueError(
            f"The {split!r} split of {model_name}'s data holds {len(inputs)} examples; "
            f"asked for count={count}."
        )
    return inputs
