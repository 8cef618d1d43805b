"""What a recipe asks of the data: the arguments of `aezoo.data.for_model`."""


def data_arguments(recipe, seed=None):
    """The keyword arguments of `aezoo.data.for_model` for `recipe`'s model.

    Args:
        recipe: a resolved recipe (`aezoo.training.resolve_recipe`).
        seed: the data order's seed. Defaults to the recipe's.

    Returns:
        A dict: `preset`, `batch_size`, `seed`, `model_overrides` and the
        recipe's `data.options`.

    Example:

    ```python
    recipe = aezoo.training.resolve_recipe("mlp_autoencoder")
    train = aezoo.data.for_model("mlp_autoencoder", "train", **data_arguments(recipe))
    ```
    """
    return dict(
        preset=recipe["preset"],
        batch_size=recipe["data"]["batch_size"],
        seed=recipe["seed"] if seed is None else seed,
        model_overrides=recipe["model_overrides"],
        **recipe["data"].get("options", {}),
    )
