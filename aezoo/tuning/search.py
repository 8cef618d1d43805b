"""`tune`: a resumable KerasTuner search over a model's space, best model exported.

A search folder holds everything a search makes:

```
DIR/search.json   the search's settings (a rerun must match; max_trials may grow)
DIR/search/       the KerasTuner project: oracle state, one folder per trial
DIR/trials.csv    one row per trial: hyperparameters, val_loss, seconds, RSS
DIR/trials.md     the same table in Markdown (`aezoo tune` prints it)
DIR/best/         the best model (`aezoo.artifact.export`); its card holds
                  the best hyperparameters and the trials table
DIR/elapsed.json  the search's time over all its calls (a resumed search
                  reports its total, as `aezoo train` does)
```

Progress: each trial is reported by its id, the table's `trial` column
(KerasTuner's own display numbers trial 0 "Trial #1"), with the search's
time over all calls.

Resume: KerasTuner reloads its project unless `overwrite=True`; finished
trials are kept and not rerun, a trial cut off by a kill is run again, and
raising `max_trials` extends a finished search.

Seeds: trial N runs with `keras.utils.set_random_seed(seed + N)` (its
weights and its data order), so its result does not depend on the trials
before it (a resumed search finds what an uninterrupted one finds) nor on
the worker that runs it.

Memory: every trial runs in its own Python process
(`aezoo.tuning.trial_process`; `trial_processes=True`, the default), which
reloads the search from `DIR`, runs the trial and exits: TensorFlow keeps
each traced graph of a process alive even after
`keras.backend.clear_session()` (tensorflow/tensorflow#61791), so only a
process boundary gives the memory back. The table's `rss_mb` is the trial
process's resident set size after its trial. With `trial_processes=False`
the trials share one process; Keras' state is still cleared after each
(`clear_session()` and `gc.collect()`), and it grows by a few MB per trial
for small models, tens of MB for conv models (`benchmarks/tuning_memory.py`).
Either way the trials are run by the search runner
(`aezoo.tuning.runner.run_search`).

Distributed: with `KERASTUNER_ORACLE_IP`, `KERASTUNER_ORACLE_PORT` and
`KERASTUNER_TUNER_ID` set, the process whose id contains `chief` serves the
oracle and, when every trial is done, writes the table and exports the best
model; the others (`tuner0`, `tuner1`, ...) run trials. All share `DIR`.
"""

import json
import os
import pathlib
import shutil
import warnings
from dataclasses import dataclass

from aezoo import registry
from aezoo import training
from aezoo import validation
from aezoo.training import run_folder
from aezoo.training.recipe_data import data_arguments
from aezoo.tuning import runner
from aezoo.tuning import trials as trials_lib
from aezoo.tuning.hypermodel import hypermodel as make_hypermodel

TUNERS = ("random", "bayesian", "hyperband")
SETTINGS_FILE = "search.json"


@dataclass
class TuneResult:
    """What `tune` returns.

    Attributes:
        directory: the search folder.
        role: `"single"`, `"chief"` or `"worker"` (a worker only runs
            trials; its result has no table and no best model).
        table: one dict per trial (see `DIR/trials.csv`).
        markdown: the table in Markdown.
        best_trial: id of the trial with the lowest `val_loss`.
        best_score: its `val_loss`.
        best_hyperparameters: its point of the search space.
        best_overrides: the `aezoo.build` overrides of that point.
        resumed_trials: trials already in the folder when this call began.
        elapsed_seconds: the search's time over all its calls (`None` for
            a worker).
    """

    directory: pathlib.Path
    role: str
    table: list
    markdown: str = ""
    best_trial: str = None
    best_score: float = None
    best_hyperparameters: dict = None
    best_overrides: dict = None
    resumed_trials: int = 0
    elapsed_seconds: float = None


def tune(
    name,
    *,
    tuner="random",
    max_trials=10,
    epochs=2,
    directory=None,
    overwrite=False,
    steps_per_epoch=100,
    validation_steps=20,
    preset="default",
    seed=0,
    verbose=1,
    trial_processes=True,
):
    """Searches a model's hyperparameters; rerunning the same call resumes.

    Each trial builds the model at one point of its space
    (`aezoo.tuning.hypermodel`) and fits it on the model's own data
    pipeline (`aezoo.data.for_model`, with the batch size and data options
    of its recipe) for `epochs` epochs of `steps_per_epoch` steps; the
    objective is `val_loss` on the first `validation_steps` batches of the
    validation split, the same batches for every trial.

    Args:
        name: a registered model name with a search space.
        tuner: `"random"`, `"bayesian"` (Gaussian-process Bayesian
            optimization) or `"hyperband"`. Defaults to `"random"`.
        max_trials: number of trials (models trained). Hyperband's own
            schedule has no such limit; here it stops at `max_trials`.
            Defaults to 10.
        epochs: epochs per trial (Hyperband: the most epochs a trial
            trains). Defaults to 2.
        directory: the search folder. Defaults to `tuning/NAME`.
        overwrite: delete the folder's previous search and start again.
            Defaults to `False` (resume).
        steps_per_epoch: training steps per epoch. Defaults to 100.
        validation_steps: validation batches per evaluation. Defaults to 20.
        preset: the preset the search overrides. Defaults to `"default"`.
        seed: seed of the tuner, the weights and the data order.
        verbose: KerasTuner's and `fit`'s verbosity.
        trial_processes: run every trial in a fresh process, so that memory
            stays flat over the search (see the module docstring). Workers
            of a distributed search run their trials in-process.
            Defaults to `True`.

    Returns:
        A `TuneResult`.

    Raises:
        ImportError: `tuner="bayesian"` without scipy and scikit-learn.
        ValueError: unknown model, tuner or preset, a model without a space,
            a bad count, a folder holding a different search (use the same
            settings, `overwrite=True` or another folder), or incomplete
            distributed-tuning variables.
        SearchFailedError: no trial completed.

    Example:

    ```python
    result = aezoo.tuning.tune("conv_autoencoder", max_trials=3, epochs=1)
    print(result.markdown)
    model = aezoo.load(result.directory / "best")
    ```
    """
    _check_tuner(tuner)
    counts = {
        argument: validation.check_int(argument, value, minimum)
        for argument, value, minimum in [
            ("max_trials", max_trials, 1), ("epochs", epochs, 1),
            ("steps_per_epoch", steps_per_epoch, 1), ("validation_steps", validation_steps, 1),
            ("seed", seed, 0),
        ]
    }
    registry.get_model_info(name)  # an unknown name fails here, with suggestions
    role = distributed_role()
    recipe = training.resolve_recipe(name, preset)
    hypermodel = make_hypermodel(name, preset, **recipe["model_overrides"])
    directory = pathlib.Path(directory or pathlib.Path("tuning") / name)
    plan = runner.SearchPlan(
        model=name, preset=preset, tuner=tuner, **counts,
        model_overrides=recipe["model_overrides"],
        data_arguments=data_arguments(recipe, seed=counts["seed"]),
        directory=directory, verbose=verbose,
    )
    if role == "worker":
        if overwrite:
            raise ValueError(
                "overwrite=True (--overwrite) restarts the search: pass it to the "
                "chief only; a worker joins the chief's search."
            )
        runner.run_search(plan, hypermodel, role=role)
        return TuneResult(directory, role, table=[])

    _claim_directory(directory, _settings(plan, recipe, hypermodel), overwrite)
    clock = runner.SearchClock(directory)
    if role == "single" and trial_processes:
        # Imported here, not at the top: `python -m` runs that module as a
        # trial process, after importing this package.
        from aezoo.tuning import trial_process

        run = trial_process.run_search(plan, hypermodel, overwrite=overwrite, clock=clock)
    else:
        run = runner.run_search(plan, hypermodel, role=role, overwrite=overwrite, clock=clock)
    return _result(run, role, plan, recipe, hypermodel, clock)


def _check_tuner(tuner):
    if tuner not in TUNERS:
        raise ValueError(f"Unknown tuner {tuner!r}. Valid tuners: {', '.join(TUNERS)}.")
    if tuner == "bayesian":
        _require_bayesian_dependencies()


def _require_bayesian_dependencies():
    import importlib.util

    missing = [m for m in ("scipy", "sklearn") if importlib.util.find_spec(m) is None]
    if missing:
        raise ImportError(
            f"tuner='bayesian' needs {' and '.join(missing)} (KerasTuner's Gaussian "
            "process): pip install 'keras-tuner[bayesian]', or use tuner='random' or "
            "'hyperband'."
        )


def distributed_role():
    """`"single"`, `"chief"` or `"worker"`, from KerasTuner's variables.

    Raises:
        ValueError: `KERASTUNER_ORACLE_IP` is set without the port or the id.
    """
    if "KERASTUNER_ORACLE_IP" not in os.environ:
        return "single"
    missing = [v for v in ("KERASTUNER_ORACLE_PORT", "KERASTUNER_TUNER_ID") if v not in os.environ]
    if missing:
        raise ValueError(
            f"KERASTUNER_ORACLE_IP is set (distributed tuning) but {', '.join(missing)} "
            "is not. Set KERASTUNER_ORACLE_PORT to the chief's port on every process, "
            "KERASTUNER_TUNER_ID=chief on the chief and a unique id (tuner0, tuner1, ...) "
            "on each worker; or unset KERASTUNER_ORACLE_IP to tune in one process."
        )
    return "chief" if "chief" in os.environ["KERASTUNER_TUNER_ID"] else "worker"


def _settings(plan, recipe, hypermodel):
    """What a rerun in the same folder must match (`DIR/search.json`)."""
    return {
        "model": plan.model, "preset": plan.preset, "tuner": plan.tuner, "epochs": plan.epochs,
        "steps_per_epoch": plan.steps_per_epoch, "validation_steps": plan.validation_steps,
        "seed": plan.seed, "data": recipe["data"], "model_overrides": plan.model_overrides,
        "space": [[p.name, p.kind, list(p.bounds)] for p in hypermodel.space.params],
    }


def _claim_directory(directory, settings, overwrite):
    """Checks that `directory` holds the same search (or none), or clears
    this module's own outputs there for `overwrite`; writes the settings."""
    saved = directory / SETTINGS_FILE
    if saved.is_file() and overwrite:
        for name in ("trials.csv", "trials.md", runner.ELAPSED_FILE):
            (directory / name).unlink(missing_ok=True)
        shutil.rmtree(directory / "best", ignore_errors=True)
    elif saved.is_file():
        differences = run_folder.differing_keys(run_folder.read_json(saved), settings)
        if differences:
            raise ValueError(
                f"{directory} holds a search with other settings ({', '.join(differences)} "
                f"differ; see {saved}). Rerun with the same settings to resume, pass "
                "overwrite=True (--overwrite) to restart, or choose another directory."
            )
    directory.mkdir(parents=True, exist_ok=True)
    run_folder.write_json(saved, settings)


def _result(run, role, plan, recipe, hypermodel, clock):
    """Writes the trials table and exports the best model of a search run."""
    search, directory = run.tuner, plan.directory
    params = [p.name for p in hypermodel.space.params]
    table = trials_lib.rows(search.oracle.trials, params, search.project_dir)
    (directory / "trials.csv").write_text(trials_lib.to_csv(table))
    markdown = trials_lib.to_markdown(table)
    (directory / "trials.md").write_text(markdown + "\n")
    best = _best_completed_trial(search, directory)
    values = {p: best.hyperparameters.values[p] for p in params}
    overrides = hypermodel.overrides(best.hyperparameters.copy())
    summary = {
        **_settings(plan, recipe, hypermodel),
        "max_trials": plan.max_trials, "objective": runner.OBJECTIVE,
        "best_trial": best.trial_id, "best_val_loss": float(best.score),
        "best_hyperparameters": values, "table": table,
    }
    _export_best(search, best, hypermodel, overrides, directory, summary, recipe)
    clock.save()
    return TuneResult(
        directory, role, table, markdown, best.trial_id, float(best.score), values, overrides,
        run.resumed_trials, clock.seconds(),
    )


def _best_completed_trial(search, directory):
    best = search.oracle.get_best_trials(1)
    if not best or best[0].status != "COMPLETED":
        messages = [t.message for t in search.oracle.trials.values() if t.message]
        reason = messages[-1].strip().splitlines()[-1] if messages else "no trial ran"
        raise runner.SearchFailedError(
            f"No trial of the search in {directory} completed, so there is no best "
            f"model. Last error: {reason}"
        )
    return best[0]


def _export_best(search, trial, hypermodel, overrides, directory, summary, recipe):
    """Exports the best trial's model to DIR/best, unless it is there already."""
    from aezoo.artifact import export

    best_dir = directory / "best"
    card_path = best_dir / "card.json"
    summary = json.loads(json.dumps(summary))
    if card_path.is_file() and json.loads(card_path.read_text()).get("tuning") == summary:
        return
    with warnings.catch_warnings():
        # The trial checkpoint's optimizer state is not loaded (harmless:
        # the model is recompiled below).
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        trained = search.load_model(trial)
    # A fresh build is compiled with the model's own optimizer (the tuned
    # learning rate and clipping, no state left from the search): TRAPS.md.
    model = hypermodel.build_from(overrides)
    model.set_weights(trained.get_weights())
    # A built (zero) optimizer state is saved whole, so loading it warns of nothing.
    model.optimizer.build(model.trainable_variables)
    card = {
        "recipe": {
            "model": hypermodel.model_name, "preset": hypermodel.preset,
            "seed": summary["seed"], "model_overrides": overrides, "data": recipe["data"],
        },
        "checkpoint": f"trial {trial.trial_id} of the search in {directory} (lowest val_loss)",
        "tuning": summary,
    }
    export(model, best_dir, name=hypermodel.model_name, preset=hypermodel.preset,
           card=card, overwrite=True)
