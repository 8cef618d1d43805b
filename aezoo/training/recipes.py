"""Training recipes: one TOML file per model and preset in `recipes/`.

`recipes/` at the top of the repository is the source of truth; a wheel
ships it as package data, `aezoo/recipes/` (pyproject.toml), read with
`importlib.resources`.

A recipe is plain data:

```toml
model = "conv_autoencoder"
preset = "default"
seed = 0
start_from = ""            # optional: a .keras file to start from (fine-tuning)

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
dtype_policy = "float32"   # optional: or "mixed_bfloat16" (bfloat16 compute)

[diagnostics]              # see aezoo/training/diagnostics_setup.py
checks = ["gradient_statistics", "code_collapse"]
histogram_freq = 100
```

`--set key=value` overrides use dotted keys (`fit.epochs=3`,
`model_overrides.code_size=16`, `data.batch_size=32`); values are parsed as
TOML, so `3`, `1e-3`, `true`, `"adam"` and `[16, 32]` mean what they look
like.

`start_from` (optional; `""` or absent: from scratch) names a `.keras` file,
absolute or relative to the working directory, whose weights the model
starts from: a fine-tuning stage after another recipe's run (the model the
recipe builds must have the same weights, in number and shapes). A resumed
run continues from its backup instead.

`fit.dtype_policy` (optional; absent means `"float32"`) is the Keras dtype
policy the model is built and trained under. `"mixed_bfloat16"` computes in
bfloat16 with float32 weights: on a CPU with AMX (Intel Sapphire Rapids and
later) a bfloat16 matmul ran 3.5 times as fast as a float32 one, and the
predictor trained 1.9 times as fast (docs/BENCHMARKS.md, session 20). Checkpoints keep the policy; an exported
artifact computes in float32 (`aezoo.artifact.precision`).

`validate` checks a recipe's shape once, after the file and after every
`--set`: each key has its type (a section is a table, `checks` a list of
names, counts are integers, not booleans), and no number is `inf` or `nan`.
"""

import copy
import importlib.resources
import math
import pathlib

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


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
# [fit] keys a recipe may leave out (no default, so recipes and run folders
# written before them resolve as they did), with the values they take.
OPTIONAL_FIT_KEYS = {"dtype_policy": ("float32", "mixed_bfloat16")}
# Top-level keys a recipe may leave out (no default), settable with --set.
OPTIONAL_KEYS = ("description", "backend", "start_from")
# A recipe's optional `backend`: the Keras backend it trains fastest on
# (docs/BENCHMARKS.md). Keras fixes the backend when it is first imported,
# from KERAS_BACKEND: `train` says when the process runs on another one.
BACKENDS = ("tensorflow", "jax")

# Bounds far above any real run and far below what TensorFlow cannot
# allocate or represent (a batch of 1e20 examples, a seed numpy refuses).
MAX_BATCH_SIZE = 1 << 16
MAX_COUNT = 10**9  # epochs, steps, checkpoint and histogram frequencies
MAX_SEED = 2**32 - 1

# key -> (expected Python type(s), the type's name in messages)
_TABLE = (dict, "a table (a [section], or {key = value, ...})")
_TYPES = {
    "model": (str, "a string"),
    "preset": (str, "a string"),
    "description": (str, "a string"),
    "source": (str, "a string"),
    "backend": (str, "a string"),
    "start_from": (str, "a string: a .keras file, or \"\" to start from scratch"),
    "seed": (int, "an integer"),
    "model_overrides": _TABLE,
    "data": _TABLE,
    "data.batch_size": (int, "an integer >= 1"),
    "data.options": _TABLE,
    "fit": _TABLE,
    "fit.epochs": (int, "an integer >= 1"),
    "fit.steps_per_epoch": (int, "an integer >= 0"),
    "fit.validation_steps": (int, "an integer >= 0"),
    "fit.schedule": (str, f"one of {', '.join(SCHEDULES)}"),
    "fit.checkpoint_every_steps": (int, "an integer >= 0"),
    "fit.dtype_policy": (str, f"one of {', '.join(OPTIONAL_FIT_KEYS['dtype_policy'])}"),
    "diagnostics": _TABLE,
    "diagnostics.checks": (list, "a list of check names, e.g. [\"gradient_statistics\"]"),
    "diagnostics.histogram_freq": (int, "an integer >= 0"),
}


def default_recipes_dir():
    """The shipped recipes: `aezoo/recipes/` in an installed wheel, else the
    checkout's top-level `recipes/` (a source tree or an editable install)."""
    packaged = importlib.resources.files("aezoo") / "recipes"
    if packaged.is_dir():
        return pathlib.Path(str(packaged))
    return pathlib.Path(__file__).resolve().parents[2] / "recipes"


def recipe_path(name, preset="default", recipes_dir=None):
    """Where the recipe of `name` and `preset` is: in `recipes_dir`, else in
    the family's own `recipes_dir` (a plugin's), else in aezoo's recipes."""
    folder = recipes_dir or _family_recipes_dir(name) or default_recipes_dir()
    return pathlib.Path(folder) / f"{name}.{preset}.toml"


def _family_recipes_dir(name):
    """The `recipes_dir` of the registered family `name`, or `None`."""
    from aezoo import registry

    try:
        return registry.get_model_info(name).recipes_dir
    except ValueError:  # not a registered name: the "no recipe" error says so
        return None


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
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise ValueError(f"Recipe {path} is not UTF-8 text ({error.reason} at byte {error.start}).") from None
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
        optional = not parents and leaf in OPTIONAL_KEYS  # e.g. --set start_from=...
        optional = optional or (parents == ["fit"] and leaf in OPTIONAL_FIT_KEYS)
        if leaf not in node and not optional and not (parents and parents[-1] in open_sections):
            raise ValueError(
                f"Unknown recipe key {key!r}. Valid keys here: {', '.join(sorted(node))}."
            )
        node[leaf] = value
    return validate(recipe)


def validate(recipe):
    """Checks a whole recipe (keys, types, ranges); returns it.

    Raises:
        ValueError: one line naming the first bad key and what it must be.
    """
    known = set(DEFAULTS) | {"model", "preset", "source"} | set(OPTIONAL_KEYS)
    unknown = sorted(set(recipe) - known)
    if unknown:
        raise ValueError(f"Unknown recipe keys: {', '.join(unknown)}. Valid: {', '.join(sorted(known))}.")
    if "model" not in recipe:
        raise ValueError("A recipe must name its `model`.")
    _check_types(recipe)
    _check_finite(recipe)
    for section, valid in (("fit", {**DEFAULTS["fit"], **OPTIONAL_FIT_KEYS}), ("data", DEFAULTS["data"])):
        unknown = sorted(set(recipe[section]) - set(valid))
        if unknown:
            raise ValueError(
                f"Unknown [{section}] keys: {', '.join(unknown)}. Valid: {', '.join(sorted(valid))}."
            )
    if recipe.get("backend", BACKENDS[0]) not in BACKENDS:
        raise ValueError(
            f"`backend` (the Keras backend the recipe prefers) must be one of "
            f"{', '.join(BACKENDS)}. Received: {recipe['backend']!r}"
        )
    fit = recipe["fit"]
    _check_range("seed", recipe["seed"], 0, MAX_SEED)
    _check_range("fit.epochs", fit["epochs"], 1, MAX_COUNT)
    for key in ("steps_per_epoch", "validation_steps", "checkpoint_every_steps"):
        _check_range(f"fit.{key}", fit[key], 0, MAX_COUNT)
    if fit["schedule"] not in SCHEDULES:
        raise ValueError(
            f"`fit.schedule` must be one of {', '.join(SCHEDULES)}. Received: {fit['schedule']!r}"
        )
    policies = OPTIONAL_FIT_KEYS["dtype_policy"]
    if fit.get("dtype_policy", policies[0]) not in policies:
        raise ValueError(
            f"`fit.dtype_policy` must be one of {', '.join(policies)}. "
            f"Received: {fit['dtype_policy']!r}"
        )
    from aezoo.training.diagnostics_setup import check_section

    check_section(recipe["diagnostics"])
    if "histogram_freq" in recipe["diagnostics"]:
        _check_range("diagnostics.histogram_freq", recipe["diagnostics"]["histogram_freq"], 0, MAX_COUNT)
    _check_range("data.batch_size", recipe["data"]["batch_size"], 1, MAX_BATCH_SIZE)
    recipe.setdefault("preset", "default")
    return recipe


def _check_range(key, value, minimum, maximum):
    if not minimum <= value <= maximum:
        raise ValueError(
            f"`{key}` must be an integer >= {minimum} and <= {maximum}. Received: {value!r}"
        )


def _check_types(recipe):
    for key, (expected, name) in _TYPES.items():
        section, _, leaf = key.rpartition(".")
        node = recipe[section] if section else recipe
        if leaf not in node:
            if section in ("fit", "data") and leaf in DEFAULTS[section]:
                raise ValueError(f"`{key}` is missing: it must be {name}.")
            continue
        value = node[leaf]
        # A boolean is an int to Python, not a count to a recipe.
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ValueError(
                f"`{key}` must be {name}. Received: {value!r} ({_toml_type(value)})"
            )
    for check in recipe["diagnostics"].get("checks", []):
        if not isinstance(check, str):
            raise ValueError(
                f"`diagnostics.checks` must be a list of check names. Received: {check!r} "
                f"({_toml_type(check)}) in it"
            )


def _check_finite(value, key=""):
    """Refuses `inf` and `nan` anywhere in a recipe (TOML has both)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"`{key}` must be a finite number. Received: {value!r}")
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for child, item in children:
        _check_finite(item, f"{key}[{child}]" if isinstance(child, int) else f"{key}.{child}".lstrip("."))
    return value


def _toml_type(value):
    for kind, name in ((bool, "a boolean"), (int, "an integer"), (float, "a float"), (str, "a string"),
                       (list, "a list"), (dict, "a table")):
        if isinstance(value, kind):
            return name
    return type(value).__name__
