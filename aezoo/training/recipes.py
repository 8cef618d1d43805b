"""Training recipes: one TOML file per model and preset in `recipes/`.

A recipe is plain data:

```toml
model = "conv_autoencoder"
preset = "default"
seed = 0

[model_overrides]          # passed to aezoo.build(model, preset, **...)
code_size = 32

[data]                     # passed to aezoo.data.for_model
batch_size = 64
options = {}               # dataset options, e.g. {sequences_per_epoch = 2000}

[fit]
epochs = 10
steps_per_epoch = 100      # 0: one pass over the training split
validation_steps = 10      # 0: the whole validation split
schedule = "constant"      # or "cosine" (decays to 0 over all steps)
checkpoint_every_steps = 100   # BackupAndRestore frequency (0: every epoch)

[diagnostics]              # see aezoo/training/diagnostics_setup.py
checks = ["gradient_statistics", "code_collapse"]
histogram_freq = 100
```

`--set key=value` overrides use dotted keys (`fit.epochs=3`,
`model_overrides.code_size=16`, `data.batch_size=32`); values are parsed as
TOML, so `3`, `1e-3`, `true`, `"adam"` and `[16, 32]` mean what they look
like.
"""

import copy
import pathlib

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

RECIPES_DIR = pathlib.Path(__file__).resolve().parents[2] / "recipes"

DEFAULTS = {
    "seed": 0,
    "model_overrides": {},
    "data": {"batch_size": 32, "options": {}},
    "fit": {
        "epochs": 1,
        "steps_per_epoch": 0,
        "validation_steps": 0,
        "schedule": "constant",
        "checkpoint_every_steps": 0,
    },
    "diagnostics": {"checks": [], "histogram_freq": 100},
}

SCHEDULES = ("constant", "cosine")


def recipe_path(name, preset="default", recipes_dir=None):
    return pathlib.Path(recipes_dir or RECIPES_DIR) / f"{name}.{preset}.toml"


def load_recipe(name_or_path, preset=None, recipes_dir=None):
    """Reads a recipe by model name (+ preset) or by path; fills defaults.

    Raises:
        ValueError: no recipe for that model/preset (lists those there are),
            unreadable TOML, or unknown keys.
    """
    path = pathlib.Path(str(name_or_path))
    if path.suffix == ".toml":
        if not path.is_file():
            raise ValueError(f"Recipe file not found: {path}")
    else:
        path = recipe_path(str(name_or_path), preset or "default", recipes_dir)
        if not path.is_file():
            available = sorted(p.stem for p in path.parent.glob("*.toml"))
            raise ValueError(
                f"No recipe for model {str(name_or_path)!r} with preset "
                f"{preset or 'default'!r} (looked for {path}). Recipes: "
                f"{', '.join(available) or 'none'}."
            )
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"Recipe {path} is not valid TOML: {error}") from None
    if preset is not None and raw.get("preset", "default") != preset:
        raise ValueError(
            f"Recipe {path} is for preset {raw.get('preset')!r}, not {preset!r}."
        )
    recipe = merge(DEFAULTS, raw)
    recipe["source"] = str(path)
    return validate(recipe)


def merge(base, update):
    result = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def apply_overrides(recipe, assignments):
    """Applies `["fit.epochs=3", ...]` to a recipe (a new dict)."""
    recipe = copy.deepcopy(recipe)
    for assignment in assignments:
        key, sep, text = assignment.partition("=")
        if not sep or not key:
            raise ValueError(
                f"--set expects key=value (e.g. fit.epochs=3). Received: {assignment!r}"
            )
        try:
            value = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            value = text  # a bare word: a string
        *parents, leaf = key.split(".")
        node = recipe
        for parent in parents:
            if not isinstance(node.get(parent), dict):
                raise ValueError(
                    f"Unknown recipe section {parent!r} in --set {assignment!r}. "
                    f"Sections: {', '.join(k for k, v in recipe.items() if isinstance(v, dict))}."
                )
            node = node[parent]
        open_sections = ("model_overrides", "options")
        if leaf not in node and not (parents and parents[-1] in open_sections):
            raise ValueError(
                f"Unknown recipe key {key!r}. Valid keys here: {', '.join(sorted(node))}."
            )
        node[leaf] = value
    return validate(recipe)


def validate(recipe):
    known = set(DEFAULTS) | {"model", "preset", "source", "description"}
    unknown = sorted(set(recipe) - known)
    if unknown:
        raise ValueError(f"Unknown recipe keys: {', '.join(unknown)}. Valid: {', '.join(sorted(known))}.")
    if "model" not in recipe:
        raise ValueError("A recipe must name its `model`.")
    unknown = sorted(set(recipe["fit"]) - set(DEFAULTS["fit"]))
    if unknown:
        raise ValueError(
            f"Unknown [fit] keys: {', '.join(unknown)}. Valid: {', '.join(sorted(DEFAULTS['fit']))}."
        )
    fit = recipe["fit"]
    for key in ("epochs",):
        if not isinstance(fit[key], int) or fit[key] < 1:
            raise ValueError(f"`fit.{key}` must be an integer >= 1. Received: {fit[key]!r}")
    for key in ("steps_per_epoch", "validation_steps", "checkpoint_every_steps"):
        if not isinstance(fit[key], int) or fit[key] < 0:
            raise ValueError(f"`fit.{key}` must be an integer >= 0. Received: {fit[key]!r}")
    if fit["schedule"] not in SCHEDULES:
        raise ValueError(
            f"`fit.schedule` must be one of {', '.join(SCHEDULES)}. Received: {fit['schedule']!r}"
        )
    from aezoo.training.diagnostics_setup import check_section

    check_section(recipe["diagnostics"])
    batch = recipe["data"].get("batch_size")
    if not isinstance(batch, int) or batch < 1:
        raise ValueError(f"`data.batch_size` must be an integer >= 1. Received: {batch!r}")
    recipe.setdefault("preset", "default")
    return recipe
