"""Name registry for aezoo models: `build`, `list_models`, presets, plugins.

A model family registers one `aezoo.family.ModelFamily` with
`register_model(family)`, or registers a bare factory with the decorator
form `@register_model(presets=..., task=..., ...)`, whose key is the
function name (as in timm). A preset is a complete configuration, and
`build(name, preset, **overrides)` calls the factory with that
configuration updated by the overrides.

The registry is a leaf: it imports nothing of aezoo but `aezoo.family`.
The package root imports the built-in families (`aezoo.models`); third-party
packages add families through the entry-point group `aezoo.models`: each
entry point names a module (or callable) whose import registers them.
Plugins are loaded on the first registry lookup.
"""

import difflib
import fnmatch
import importlib.metadata
import logging

from aezoo.family import ModelFamily
from aezoo.family import check_presets

ENTRY_POINT_GROUP = "aezoo.models"

_logger = logging.getLogger(__name__)

_MODELS = {}
_plugins_loaded = False


def register_model(family=None, /, **fields):
    """Registers a `ModelFamily`, or (as a decorator) a bare factory.

    Args:
        family: the `aezoo.family.ModelFamily` to register. Omit it to use
            the decorator form.
        **fields: the decorator form's `ModelFamily` fields (`presets`,
            `task`, `dataset`, `source`, `inputs`, `outputs`, and optionally
            `value_range` and the hooks); the family's name is the
            decorated function's.

    Returns:
        The family; in the decorator form, a decorator that returns the
        factory unchanged.

    Raises:
        ValueError: presets without `"default"` or with differing keys, or
            a name another factory already holds.

    Example:

    ```python
    @register_model(presets={"default": {"units": 8}}, task="toy",
                    dataset="signal", source="plugin", inputs="(batch, 1)",
                    outputs="(batch, 1)")
    def my_toy_model(units):
        ...
    ```
    """
    if family is not None:
        _add(family)
        return family
    check_presets(fields["presets"])

    def decorator(factory):
        _add(ModelFamily(name=factory.__name__, factory=factory, **fields))
        return factory

    return decorator


def _add(family):
    known = _MODELS.get(family.name)
    if known is not None and known.factory is not family.factory:
        raise ValueError(
            f"A model named '{family.name}' is already registered (from "
            f"{known.module}). Choose another name."
        )
    _MODELS[family.name] = family


def _load_plugins():
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
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
    """The `ModelFamily` of a registered model; `ValueError` for unknown names."""
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
    return get_model_info(name).preset_names()


def get_config(name, preset="default", **overrides):
    """The complete configuration `build` would use, without building.

    Raises:
        ValueError: unknown model, unknown preset, or unknown override key
            (the message lists the valid ones); an override that is or
            holds `inf` or `nan`.
    """
    return get_model_info(name).config(preset, **overrides)


def resolve(name, preset="default", **overrides):
    """`(family, config)` of a name, resolved once at the edge.

    Raises:
        ValueError: as `get_config`.

    Example:

    ```python
    family, config = aezoo.registry.resolve("conv_autoencoder", code_size=16)
    model = family.build(config)
    ```
    """
    family = get_model_info(name)
    return family, family.config(preset, **overrides)


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
    family, config = resolve(name, preset, **overrides)
    return family.build(config)
