"""`ModelFamily`: everything aezoo knows about one registered model.

A family is one object: its factory and presets, what it promises about
its inputs and outputs, and the hooks the rest of aezoo asks instead of
switching on the model's name: the data layout (`aezoo.data.for_model`),
the metrics and quality bar (`aezoo.training.evaluate`), the pictures
(`aezoo.training.pictures`) and the search space (`aezoo.tuning`). A
plugin may leave any hook `None`; asking for it then raises one clear
`ValueError` (`require`).

This module imports nothing of aezoo: the registry and every family stand
on it.
"""

import math
import numbers
from dataclasses import dataclass
from dataclasses import field

# hook -> what aezoo cannot do for a family without it.
HOOKS = {
    "data_layout": "load its data (aezoo.data.for_model)",
    "evaluate": "evaluate it",
    "quality_bar": "judge its metrics against a quality bar",
    "pictures": "draw its pictures",
    "prediction_picture": "draw its predictions (aezoo predict --picture)",
    "search_space": "tune it",
}


@dataclass(frozen=True)
class DataLayout:
    """How a family's configuration reads its dataset (`ModelFamily.dataset`).

    Attributes:
        options: dataset options the configuration sets (a caller may not
            pass them again).
        to_model: a map from the dataset's batches to the model's
            `(inputs, targets[, sample_weight])`, or `None` when the
            batches already are.
    """

    options: dict = field(default_factory=dict)
    to_model: object = None


# eq=False: a family is itself (hashable, compared by identity), not its fields.
@dataclass(frozen=True, eq=False)
class ModelFamily:
    """A model family: factory, presets, contract, and the hooks aezoo asks.

    Attributes:
        name: the registry key.
        factory: callable `factory(**config) -> keras.Model` (compiled).
        presets: dict preset name -> complete configuration. Must contain
            `"default"`; every preset has the same keys.
        task: one line saying what the model does.
        dataset: name of the `aezoo.data` dataset it trains on.
        source: where the model comes from (e.g. `"seed 000"`).
        inputs: human-readable input spec, may use config keys in braces.
        outputs: human-readable output spec, likewise.
        value_range: `(low, high)` that every input value must lie in, or
            `None` when the inputs have no such contract.
        summary: one line; defaults to the factory's docstring summary.
        module: where the family is defined; defaults to the factory's module.
        data_layout: `data_layout(config) -> DataLayout`, or `None`.
        evaluation_options: dataset options of the evaluation protocol,
            where they differ from the split's defaults.
        evaluate: `evaluate(model, batches, config) -> dict` of metrics plus
            `"examples"`; `batches` iterates over NumPy batches of the
            held-out split and holds the `tf.data` dataset as
            `batches.dataset`. Or `None`.
        quality_bar: `quality_bar(metrics) -> (passed, description)`, or `None`.
        pictures: `pictures(model, inputs, targets, folder) -> [paths]`:
            what a trained model does, on one NumPy batch. Or `None`.
        prediction_picture: `prediction_picture(inputs, outputs, path,
            output) -> path`: the picture of an `aezoo predict` call, or `None`.
        search_space: an `aezoo.search_space.Space`, or `None`.
        recipes_dir: the folder of the family's training recipes
            (`NAME.PRESET.toml`), for `aezoo train NAME` and `tune(NAME)`;
            `None`: aezoo's own `recipes/`.

    Example:

    ```python
    aezoo.register_model(ModelFamily(
        name="my_model", factory=my_model, presets={"default": {"units": 8}},
        task="toy", dataset="signal", source="plugin",
        inputs="(batch, 1)", outputs="(batch, 1)"))
    ```
    """

    name: str
    factory: object
    presets: dict
    task: str
    dataset: str
    source: str
    inputs: str
    outputs: str
    value_range: tuple = None
    summary: str = ""
    module: str = ""
    data_layout: object = None
    evaluation_options: dict = field(default_factory=dict)
    evaluate: object = None
    quality_bar: object = None
    pictures: object = None
    prediction_picture: object = None
    search_space: object = None
    recipes_dir: object = None

    def __post_init__(self):
        check_presets(self.presets)
        set_field = object.__setattr__  # frozen: fill in the derived defaults once
        set_field(self, "presets", {k: dict(v) for k, v in self.presets.items()})
        if not self.summary:
            doc = (self.factory.__doc__ or "").strip().splitlines()
            set_field(self, "summary", doc[0] if doc else "")
        if not self.module:
            set_field(self, "module", getattr(self.factory, "__module__", ""))
        if self.value_range is not None:
            set_field(self, "value_range", tuple(float(v) for v in self.value_range))

    def preset_names(self):
        """Preset names, `"default"` first."""
        return ["default"] + sorted(p for p in self.presets if p != "default")

    def config(self, preset="default", **overrides):
        """The complete configuration of `preset` updated by `overrides`.

        Raises:
            ValueError: unknown preset, or unknown override key (the message
                lists the valid ones); an override that is or holds `inf`
                or `nan`.
        """
        if preset not in self.presets:
            raise ValueError(
                f"Unknown preset {preset!r} for model '{self.name}'. "
                f"Valid presets: {', '.join(self.preset_names())}."
            )
        config = dict(self.presets[preset])
        unknown = sorted(set(overrides) - set(config))
        if unknown:
            raise ValueError(
                f"Unknown override(s) for model '{self.name}': {', '.join(unknown)}. "
                f"Valid keys: {', '.join(sorted(config))}."
            )
        for key, value in overrides.items():
            if not _finite(value):
                raise ValueError(
                    f"Override {key!r} of model '{self.name}' must be finite (no inf or nan). "
                    f"Received: {key}={value!r}"
                )
        config.update(overrides)
        return config

    def build(self, config):
        """The compiled model of a complete `config` (see `config`)."""
        return self.factory(**config)

    def require(self, hook):
        """The hook named `hook`; `ValueError` when the family has none."""
        value = getattr(self, hook)
        if value is None:
            raise ValueError(
                f"Model '{self.name}' (from {self.module}) has no `{hook}`, so aezoo "
                f"cannot {HOOKS[hook]}. Give its ModelFamily a `{hook}`."
            )
        return value


def check_presets(presets):
    """Raises `ValueError` unless `presets` has `"default"` and every preset
    has its keys."""
    if "default" not in presets:
        raise ValueError(
            f"A model's presets must include 'default'. Received: {sorted(presets)}"
        )
    keys = set(presets["default"])
    for preset_name, config in presets.items():
        if set(config) != keys:
            raise ValueError(
                f"Preset '{preset_name}' must have the same keys as 'default'. "
                f"Missing: {sorted(keys - set(config))}, "
                f"extra: {sorted(set(config) - keys)}"
            )


def _finite(value):
    if isinstance(value, (list, tuple)):
        return all(_finite(item) for item in value)
    if isinstance(value, dict):
        return all(_finite(item) for item in value.values())
    return not isinstance(value, numbers.Real) or math.isfinite(value)
