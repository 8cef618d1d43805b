"""`hypermodel(name)`: a KerasTuner `HyperModel` over a model's search space."""

import keras_tuner
import tensorflow as tf

from aezoo import registry
from aezoo.keras_workarounds import build_training_state


class AezooHyperModel(keras_tuner.HyperModel):
    """Builds a registered model at one point of its search space.

    Each `build(hp)` declares the space's hyperparameters on `hp` (its
    family's `search_space`) and builds the model as `aezoo.build(name,
    preset, **base_overrides, **point)` would, so every trial is a compiled aezoo model
    with the model's own loss, metrics and optimizer.

    Args:
        model_name: a registered model with a search space.
        preset: the preset the space's points override. Defaults to
            `"default"`.
        base_overrides: dict of fixed overrides under the tuned ones (e.g. a
            recipe's `model_overrides`). Defaults to none.

    Example:

    ```python
    hypermodel = AezooHyperModel("conv_autoencoder")
    model = hypermodel.build(keras_tuner.HyperParameters())  # the defaults
    ```
    """

    def __init__(self, model_name, preset="default", base_overrides=None):
        self.family = registry.get_model_info(model_name)
        self.space = self.family.require("search_space")
        base_overrides = dict(base_overrides or {})
        self.family.config(preset, **base_overrides)  # fails early on a bad preset or override
        super().__init__(name=model_name)
        self.model_name = model_name
        self.preset = preset
        self.base_overrides = base_overrides

    def overrides(self, hp):
        """The build overrides of the point `hp` (declaring the space on it)."""
        values = {param.name: param.declare(hp) for param in self.space.params}
        return {**self.base_overrides, **self.space.overrides(values)}

    def build(self, hp):
        return self.build_from(self.overrides(hp))

    def build_from(self, overrides):
        """The compiled model of the preset under `overrides` (a point's)."""
        return self.family.build(self.family.config(self.preset, **overrides))

    def fit(self, hp, model, x=None, *args, **kwargs):
        """`model.fit(x, *args, **kwargs)`, where `x` may also be a function
        returning the training dataset: called anew for every trial, it
        gives each trial the data from its start, whatever ran before in
        the process. The model's training state is built first, eagerly,
        from a batch of the validation (or training) dataset, so that what
        a trial leaves behind after `clear_session` is only its traced
        graphs (see `aezoo.keras_workarounds.build_training_state`).
        """
        if callable(x):
            x = x()
        data = kwargs.get("validation_data", x)
        if isinstance(data, tf.data.Dataset):
            build_training_state(model, next(iter(data)))
        return model.fit(x, *args, **kwargs)


def hypermodel(name, preset="default", **base_overrides):
    """The KerasTuner `HyperModel` of a registered model.

    Args:
        name: a registered model name with a search space
            (its family's `search_space`; see `aezoo.tuning.SPACES`).
        preset: the preset whose configuration the search overrides.
        **base_overrides: fixed configuration overrides under the tuned
            ones.

    Returns:
        An `AezooHyperModel`.

    Raises:
        ValueError: unknown model, preset or override, or a model without a
            search space.

    Example:

    ```python
    tuner = keras_tuner.RandomSearch(
        aezoo.tuning.hypermodel("mlp_autoencoder"), objective="val_loss",
        max_trials=5, directory="tuning", project_name="mlp")
    ```
    """
    return AezooHyperModel(name, preset, base_overrides)
