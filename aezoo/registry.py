"""Name registry for aezoo models: `build`, `list_models`, presets, plugins.

A model family registers its public entry point with `@register_model`; the
registry key is the function name (as in timm). Each entry carries its presets
as plain data (`{"default": {...}, "as_posted": {...}}`): a preset is a
complete configuration, and `build(name, preset, **overrides)` calls the entry
point with that configuration updated by the overrides.

Third-party packages add models through the entry-point group `aezoo.models`:
each entry point names a module (or callable) whose import registers models
with `register_model`. Plugins are loaded on the first registry lookup.
"""

import difflib
import fnmatch
import importlib
import importlib.metadata
import logging
import math
import numbers
from dataclasses import dataclass, field

ENTRY_POINT_GROUP = "aezoo.models"

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelInfo:
    """What the registry knows about a model, before building it.

    Attributes:
        name: the registry key (the factory function's name).
        factory: callable `factory(**config) -> keras.Model` (compiled).
        presets: dict preset name -> complete configuration dict.
        task: one line saying what the model does.
        dataset: name of the `aezoo.data` dataset it trains on.
        source: where the model comes from (e.g. "seed 000").
        inputs: human-readable input spec, may use config keys in braces.
        outputs: human-readable output spec, likewise.
        summary: the factory's docstring summary.
        value_range: `(low, high)` that every input value must lie in, or
            `None` when the inputs have no such contract.
    """

    name: str
    factory: object
    presets: dict
    task: str
    dataset: str
    source: str
    inputs: str
    outputs: str
    summary: str = ""
    module: str = field(default="", compare=False)
    value_range: tuple = None


_MODELS = {}
_plugins_loaded = False


def register_model(*, presets, task, dataset, source, inputs, outputs, value_range=None):
    """Decorator that registers a model factory under its function name.

    Args:
        presets: dict of preset name -> complete configuration. Must contain
            `"default"`; every preset must have the same keys.
        task: one line describing the task.
        dataset: the `aezoo.data` dataset name the model trains on.
        source: provenance, e.g. `"seed 001"`.
        inputs: input spec, e.g. `"(batch, {image_size}, {image_size}, 1) float32 in [0, 1]"`.
        outputs: output spec, same conventions.
        value_range: optional `(low, high)` contract on the input values;
            `aezoo.predict` refuses inputs outside it.

    Example:

    ```python
    @register_model(presets={"default": {"units": 8}}, task="toy",
                    dataset="signal", source="plugin", inputs="(batch, 1)",
                    outputs="(batch, 1)")
    def my_toy_model(units):
        ...
    ```
    """
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

    def decorator(factory):
        name = factory.__name__
        if name in _MODELS and _MODELS[name].factory is not factory:
            raise ValueError(
                f"A model named '{name}' is already registered (from "
                f"{_MODELS[name].module}). Choose another function name."
            )
        doc = (factory.__doc__ or "").strip().splitlines()
        _MODELS[name] = ModelInfo(
            name=name,
            factory=factory,
            presets={k: dict(v) for k, v in presets.items()},
            task=task,
            dataset=dataset,
            source=source,
            inputs=inputs,
            outputs=outputs,
            summary=doc[0] if doc else "",
            module=factory.__module__,
            value_range=None if value_range is None else tuple(float(v) for v in value_range),
        )
        return factory

    return decorator


def _load_plugins():
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    # The built-in families register on import.
    importlib.import_module("aezoo.models")
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            entry_point.load()
        except Exception as error:  # a broken plugin must not break aezoo
            _logger.warning(
                "aezoo: could not load model plugin '%s' (%s): %s",
                entry_point.name,
                entry_point.value,
                error,
            )


def list_models(pattern=None):
    """Registered model names, sorted, optionally filtered by a wildcard.

    Args:
        pattern: optional shell-style wildcard, e.g. `"conv*"` or
            `"*autoencoder"`. `None` lists every model.

    Returns:
        A sorted list of names.

    Example:

    >>> aezoo.list_models("*autoencoder")
    ['conv_autoencoder', 'mlp_autoencoder', 'sparse_autoencoder']
    """
    _load_plugins()
    names = sorted(_MODELS)
    if pattern is None:
        return names
    if not isinstance(pattern, str):
        raise ValueError(
            f"`pattern` must be a wildcard string such as 'conv*', or None. "
            f"Received: pattern={pattern!r}"
        )
    return [n for n in names if fnmatch.fnmatchcase(n, pattern)]


def get_model_info(name):
    """The `ModelInfo` of a registered model; `ValueError` for unknown names."""
    _load_plugins()
    if not isinstance(name, str) or name not in _MODELS:
        close = difflib.get_close_matches(str(name), list(_MODELS), n=3, cutoff=0.5)
        hint = (
            f" Did you mean: {', '.join(close)}?"
            if close
            else f" Registered models: {', '.join(sorted(_MODELS))}."
        )
        raise ValueError(f"Unknown model name: {name!r}.{hint}")
    return _MODELS[name]


def list_presets(name):
    """Preset names of a model, `"default"` first."""
    info = get_model_info(name)
    return ["default"] + sorted(p for p in info.presets if p != "default")


def get_config(name, preset="default", **overrides):
    """The complete configuration `build` would use, without building.

    Raises:
        ValueError: unknown model, unknown preset, or unknown override key
            (the message lists the valid ones); an override that is or
            holds `inf` or `nan`.
    """
    info = get_model_info(name)
    if preset not in info.presets:
        raise ValueError(
            f"Unknown preset {preset!r} for model '{name}'. "
            f"Valid presets: {', '.join(list_presets(name))}."
        )
    config = dict(info.presets[preset])
    unknown = sorted(set(overrides) - set(config))
    if unknown:
        raise ValueError(
            f"Unknown override(s) for model '{name}': {', '.join(unknown)}. "
            f"Valid keys: {', '.join(sorted(config))}."
        )
    for key, value in overrides.items():
        if not _finite(value):
            raise ValueError(
                f"Override {key!r} of model '{name}' must be finite (no inf or nan). "
                f"Received: {key}={value!r}"
            )
    config.update(overrides)
    return config


def _finite(value):
    if isinstance(value, (list, tuple)):
        return all(_finite(item) for item in value)
    if isinstance(value, dict):
        return all(_finite(item) for item in value.values())
    return not isinstance(value, numbers.Real) or math.isfinite(value)


def build(name, preset="default", **overrides):
    """Builds a registered model, compiled with its preset's training settings.

    Args:
        name: a registered model name (see `list_models()`).
        preset: a preset name (see `list_presets(name)`); `"default"` is the
            model built right, `"as_posted"` the configuration that failed.
        **overrides: configuration values that replace the preset's.

    Returns:
        A compiled `keras.Model`.

    Example:

    ```python
    model = aezoo.build("conv_autoencoder", code_size=16)
    ```
    """
    config = get_config(name, preset, **overrides)
    return get_model_info(name).factory(**config)


def describe(name):
    """A dict describing a model: task, specs, source, presets, size.

    The parameter count (and, where the family defines it, FLOPs per example)
    are measured on the `default` preset, built once for the purpose.
    """
    # Imported here: `describe` is the only registry function that builds.
    from aezoo.models.flops import count_flops

    info = get_model_info(name)
    config = info.presets["default"]
    model = info.factory(**config)
    return {
        "name": info.name,
        "summary": info.summary,
        "task": info.task,
        "source": info.source,
        "dataset": info.dataset,
        "inputs": info.inputs.format(**config),
        "outputs": info.outputs.format(**config),
        "presets": list_presets(name),
        "default_config": dict(config),
        "parameters": int(model.count_params()),
        "flops_per_example": int(count_flops(model)),
    }
