"""A run folder's bookkeeping: its settings, its status, and whether it is done.

`claim` takes a folder for a recipe, or refuses one that holds another;
`finished_recipe` tells a rerun that there is nothing left to train;
`write_status` records the run's state and training time. The generic
parts (`read_json`, `differing_keys`, `write_json`) also serve any folder
that must hold the same settings across reruns, such as a search folder
(`aezoo.tuning`).
"""

import json
import os

LOCK_FILE = "train.lock"
RECIPE_FILE = "recipe.json"
STATUS_FILE = "status.json"


def read_json(path):
    """The JSON value in the file `path`, or `None` when there is no such file."""
    return json.loads(path.read_text()) if path.is_file() else None


def differing_keys(previous, current, comparable=None):
    """The top-level keys whose values differ between two settings dicts.

    Args:
        previous: the settings a folder holds (as read back from JSON).
        current: the settings of this call.
        comparable: optional function applied to both (as JSON values)
            first, to leave out what may change between calls.

    Returns:
        The sorted list of differing keys; empty when the settings match.

    Example:

    ```python
    differing_keys({"epochs": 2, "seed": 0}, {"epochs": 3, "seed": 0})  # ["epochs"]
    ```
    """
    previous, current = _as_json(previous), _as_json(current)
    if comparable is not None:
        previous, current = comparable(previous), comparable(current)
    return sorted(k for k in set(previous) | set(current) if previous.get(k) != current.get(k))


def write_json(path, value):
    """Writes `value` as JSON to `path` through a partial file renamed into
    place, so a kill or a full disk leaves the previous file whole."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(value, indent=2, default=list) + "\n")
    os.replace(partial, path)


def claim(run_dir, recipe):
    """Creates the run folder, or checks that it holds the same recipe.

    A rerun may raise the number of epochs (the folder then records the
    epochs it had before in `earlier_epochs`) and change the description.

    Args:
        run_dir: the run folder (`pathlib.Path`).
        recipe: the resolved recipe of this call.

    Raises:
        ValueError: the folder holds a run of a different recipe.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "checkpoints").mkdir(exist_ok=True)
    saved = run_dir / RECIPE_FILE
    previous = read_json(saved)
    if previous is not None:
        if differing_keys(previous, recipe, _comparable):
            raise ValueError(
                f"Run folder {run_dir} holds a run of a different recipe "
                f"(see {saved}). Resume it with the same settings, or choose "
                f"another --out."
            )
        recipe = _as_json(recipe)
        changes = list(previous.get("earlier_epochs", []))
        if previous["fit"]["epochs"] != recipe["fit"]["epochs"]:
            changes.append(previous["fit"]["epochs"])
        if changes:
            recipe["earlier_epochs"] = changes
    if (run_dir / STATUS_FILE).is_file():
        # Not finished before recipe.json asks for more epochs: a call
        # extending a run and killed (or out of disk) must be resumed, not
        # reported finished by the rerun.
        write_status(run_dir, "running", recorded_wall_time(run_dir))
    write_json(saved, recipe)


def finished_recipe(run_dir, recipe):
    """The recipe of the finished run in `run_dir` when it is `recipe`'s run
    with at least as many epochs (so there is nothing to train), else `None`."""
    status, previous = read_json(run_dir / STATUS_FILE), read_json(run_dir / RECIPE_FILE)
    if status is None or previous is None or not (run_dir / "checkpoints" / "last.keras").is_file():
        return None
    if status.get("status") != "finished":
        return None
    if differing_keys(previous, recipe, _comparable) or previous["fit"]["epochs"] < recipe["fit"]["epochs"]:
        return None
    return previous


def finished_message(run_dir, recipe):
    """What a rerun of the finished run `recipe` in `run_dir` prints."""
    epochs = recipe["fit"]["epochs"]
    return (
        f"aezoo: {run_dir} already holds this run, finished: {epochs} epoch(s), "
        f"{recorded_wall_time(run_dir):g} s of training; nothing to train. Results: "
        f"{run_dir / 'checkpoints'} (best.keras, last.keras), history.csv, "
        f"diagnostics.json, pictures/. Measure it: aezoo evaluate {run_dir}. Extend "
        f"it: the same command with --epochs N (N > {epochs})."
    )


def write_status(run_dir, status, wall):
    """`status.json`: the run's state and its training time over all calls."""
    write_json(run_dir / STATUS_FILE, {"status": status, "wall_time_s": round(wall, 1)})


def recorded_wall_time(run_dir):
    """The training time (s) `status.json` records, 0 before the first epoch."""
    status = read_json(run_dir / STATUS_FILE)
    return status.get("wall_time_s", 0.0) if status else 0.0


def _comparable(recipe):
    """What must match for a rerun to resume: all but the source path, the
    description and the number of epochs (raising it extends a run)."""
    recipe = dict(recipe)
    for key in ("source", "description", "earlier_epochs"):
        recipe.pop(key, None)
    recipe["fit"] = {k: v for k, v in recipe["fit"].items() if k != "epochs"}
    return recipe


def _as_json(value):
    """`value` as read back from JSON (tuples as lists, a fresh copy)."""
    return json.loads(json.dumps(value, default=list))
