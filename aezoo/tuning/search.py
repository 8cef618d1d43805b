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

Distributed: with `KERASTUNER_ORACLE_IP`, `KERASTUNER_ORACLE_PORT` and
`KERASTUNER_TUNER_ID` set, the process whose id contains `chief` serves the
oracle and, when every trial is done, writes the table and exports the best
model; the others (`tuner0`, `tuner1`, ...) run trials. All share `DIR`.
"""

import gc
import json
import os
import pathlib
import shutil
import time
import warnings
from dataclasses import dataclass

import keras
import keras_tuner

from aezoo import registry
from aezoo.tuning import trials as trials_lib
from aezoo.tuning.hypermodel import hypermodel as make_hypermodel

TUNERS = ("random", "bayesian", "hyperband")
OBJECTIVE = "val_loss"
PROJECT = "search"
SETTINGS_FILE = "search.json"
ELAPSED_FILE = "elapsed.json"
MAX_CONSECUTIVE_FAILED_TRIALS = 3  # KerasTuner's default


class SearchFailedError(RuntimeError):
    """No trial of a search completed, so there is no best model."""


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
    _trial_quota=None,
    _clock_origin=None,
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
    from aezoo import training

    if tuner not in TUNERS:
        raise ValueError(f"Unknown tuner {tuner!r}. Valid tuners: {', '.join(TUNERS)}.")
    if tuner == "bayesian":
        _require_bayesian_dependencies()
    for argument, value, minimum in [
        ("max_trials", max_trials, 1), ("epochs", epochs, 1),
        ("steps_per_epoch", steps_per_epoch, 1), ("validation_steps", validation_steps, 1),
        ("seed", seed, 0),
    ]:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(
                f"`{argument}` must be an integer >= {minimum}. Received: {argument}={value!r}"
            )
    registry.get_model_info(name)  # an unknown name fails here, with suggestions
    role = distributed_role()
    recipe = training.resolve_recipe(name, preset)
    hypermodel = make_hypermodel(name, preset, **recipe["model_overrides"])
    directory = pathlib.Path(directory or pathlib.Path("tuning") / name)
    settings = {
        "model": name, "preset": preset, "tuner": tuner, "epochs": epochs,
        "steps_per_epoch": steps_per_epoch, "validation_steps": validation_steps,
        "seed": seed, "data": recipe["data"], "model_overrides": recipe["model_overrides"],
        "space": [[p.name, p.kind, list(p.bounds)] for p in hypermodel.space.params],
    }
    if role == "worker":
        if overwrite:
            raise ValueError(
                "overwrite=True (--overwrite) restarts the search: pass it to the "
                "chief only; a worker joins the chief's search."
            )
    else:
        _claim_directory(directory, settings, overwrite)
    clock = None if role == "worker" else _SearchClock(directory, _clock_origin)

    keras.utils.set_random_seed(seed)  # the set-up; every trial then seeds itself
    tuner_args = dict(max_trials=max_trials, epochs=epochs, seed=seed, directory=directory)
    if role == "single" and trial_processes:
        if overwrite:
            shutil.rmtree(directory / PROJECT, ignore_errors=True)
        resumed = len(list((directory / PROJECT).glob("trial_*/trial.json")))
        _run_in_trial_processes(directory, dict(
            name=name, tuner=tuner, max_trials=max_trials, epochs=epochs,
            directory=str(directory), steps_per_epoch=steps_per_epoch,
            validation_steps=validation_steps, preset=preset, seed=seed, verbose=verbose,
        ), clock)
        search = _make_tuner(tuner, hypermodel, overwrite=False, **tuner_args)
    else:
        search = _make_tuner(tuner, hypermodel, overwrite=overwrite, **tuner_args)
        resumed = 0 if role == "worker" else len(search.oracle.trials)
        search.trial_quota = _trial_quota
        search.clock = clock
        search.report_trials = bool(verbose)
        fit_args = {} if role == "chief" else _fit_data(
            name, preset, recipe, seed, steps_per_epoch, validation_steps
        )
        # The chief runs no trial: the workers report theirs, so its
        # KerasTuner display (other numbers) stays off.
        search.search(epochs=epochs, verbose=0 if role == "chief" else verbose, **fit_args)
        if _trial_quota is not None:  # a trial process (trial_process.main)
            return search.trials_run
    if role == "worker":
        return TuneResult(directory, role, table=[])

    params = [p.name for p in hypermodel.space.params]
    table = trials_lib.rows(search.oracle.trials, params, search.project_dir)
    (directory / "trials.csv").write_text(trials_lib.to_csv(table))
    markdown = trials_lib.to_markdown(table)
    (directory / "trials.md").write_text(markdown + "\n")
    best = _best_completed_trial(search, directory)
    values = {p: best.hyperparameters.values[p] for p in params}
    overrides = hypermodel.overrides(best.hyperparameters.copy())
    summary = {
        **settings, "max_trials": max_trials, "objective": OBJECTIVE,
        "best_trial": best.trial_id, "best_val_loss": float(best.score),
        "best_hyperparameters": values, "table": table,
    }
    _export_best(search, best, hypermodel, overrides, directory, summary, recipe)
    clock.save()
    return TuneResult(
        directory, role, table, markdown, best.trial_id, float(best.score), values, overrides,
        resumed, clock.seconds(),
    )


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


class _SearchClock:
    """The time a search has run over all its calls, kept in
    `DIR/elapsed.json`: the time of the calls before (read there) plus this
    call's. `origin` is when the search would have started had it run in
    one go; a trial process gets its search process's, so both agree."""

    def __init__(self, directory, origin=None):
        self.path = pathlib.Path(directory) / ELAPSED_FILE
        if origin is None:
            before = json.loads(self.path.read_text())["seconds"] if self.path.is_file() else 0.0
            origin = time.time() - before
        self.origin = origin

    def seconds(self):
        return time.time() - self.origin

    def save(self):
        self.path.write_text(json.dumps({"seconds": round(self.seconds(), 1)}) + "\n")


def format_duration(seconds):
    """`00h 01m 05s`, KerasTuner's format."""
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}h {minutes:02d}m {seconds:02d}s"


class _TrialHooks:
    """Tuner mixin: seeds each trial from `trial_seed` and its id (so a
    trial's result depends neither on the trials before it nor on the
    worker that runs it), clears Keras' state after it and records its
    seconds, the RSS after clearing and the tuner id.

    With `report_trials` it reports each trial instead of KerasTuner's
    display, by the id the table shows, and the search's time over all
    calls from `clock`."""

    trial_seed = 0
    trial_quota = None  # stop after this many trials (a trial process: 1)
    clock = None  # a _SearchClock
    report_trials = False

    def __init__(self, *args, **kwargs):
        self.trials_run = []  # statuses of the trials this tuner object ran
        super().__init__(*args, **kwargs)

    def on_search_begin(self):
        if self.report_trials:
            self.oracle.verbose = 0  # KerasTuner's display
        super().on_search_begin()

    def pre_create_trial(self):
        if self.trial_quota is not None and len(self.trials_run) >= self.trial_quota:
            self.oracle.max_trials = len(self.oracle.trials)  # the next trial is STOPPED
        super().pre_create_trial()

    def on_trial_begin(self, trial):
        self._trial_started = time.monotonic()
        keras.utils.set_random_seed(self.trial_seed + int(trial.trial_id))
        if self.report_trials:
            print(f"\nSearch: running trial {trial.trial_id}")
            for name, value in trial.hyperparameters.values.items():
                print(f"  {name} = {value}")
        super().on_trial_begin(trial)

    def on_trial_end(self, trial):
        seconds = time.monotonic() - self._trial_started
        keras.backend.clear_session()
        gc.collect()
        rss = trials_lib.resident_mb()
        super().on_trial_end(trial)  # the oracle records the trial as finished
        self.trials_run.append(trial.status)
        trials_lib.write_trial_record(
            os.path.join(self.project_dir, f"trial_{trial.trial_id}"),
            {
                "seconds": round(seconds, 1),
                "rss_mb": None if rss is None else round(rss, 1),
                "tuner_id": self.tuner_id,
            },
        )
        if self.clock is not None:
            self.clock.save()
        if self.report_trials:
            self._report(trial.trial_id, seconds)

    def _report(self, trial_id, seconds):
        trial = self.oracle.get_trial(trial_id)
        score = "" if trial.score is None else f": {OBJECTIVE} {trial.score:.6g}"
        print(f"Trial {trial_id} {str(trial.status).lower()} in {format_duration(seconds)}{score}")
        best = self.oracle.get_best_trials(1)
        if best and best[0].score is not None:
            print(f"Best {OBJECTIVE} so far: {best[0].score:.6g} (trial {best[0].trial_id})")
        if self.clock is not None:
            print(f"Search time over all calls: {format_duration(self.clock.seconds())}")


class _RandomSearch(_TrialHooks, keras_tuner.RandomSearch):
    pass


class _BayesianOptimization(_TrialHooks, keras_tuner.BayesianOptimization):
    pass


class _Hyperband(_TrialHooks, keras_tuner.Hyperband):
    pass


def _make_tuner(kind, hypermodel, *, max_trials, epochs, seed, directory, overwrite):
    common = dict(
        objective=OBJECTIVE, seed=seed, directory=str(directory),
        project_name=PROJECT, overwrite=overwrite,
    )
    if kind == "hyperband":
        # Brackets repeat without end (hyperband_iterations=None) until the
        # oracle's max_trials, which KerasTuner's Hyperband does not take.
        search = _Hyperband(hypermodel, max_epochs=epochs, hyperband_iterations=None, **common)
        search.oracle.max_trials = max_trials
    else:
        tuner_class = _RandomSearch if kind == "random" else _BayesianOptimization
        search = tuner_class(hypermodel, max_trials=max_trials, **common)
    search.trial_seed = seed
    return search


def _run_in_trial_processes(directory, tune_kwargs, clock):
    """Runs the search one trial per child process until no trial is left;
    stops like KerasTuner after `MAX_CONSECUTIVE_FAILED_TRIALS` failures."""
    from aezoo.tuning.trial_process import run_one_trial

    failed_in_a_row = 0
    while True:
        tune_kwargs["_clock_origin"] = clock.origin
        statuses = run_one_trial(tune_kwargs, directory / ".trial_process.json")
        clock.save()
        if not statuses:
            return
        for status in statuses:
            failed_in_a_row = failed_in_a_row + 1 if status == "FAILED" else 0
        if failed_in_a_row >= MAX_CONSECUTIVE_FAILED_TRIALS:
            raise SearchFailedError(
                f"{failed_in_a_row} trials in a row of the search in {directory} failed; "
                f"stopped. Each trial's error is in {directory / PROJECT}/trial_*/trial.json "
                "(`message`). Fix the cause and rerun the same command to resume."
            )


def _fit_data(name, preset, recipe, seed, steps_per_epoch, validation_steps):
    from aezoo import data

    data_args = dict(
        preset=preset,
        batch_size=recipe["data"]["batch_size"],
        seed=seed,
        model_overrides=recipe["model_overrides"],
        **recipe["data"].get("options", {}),
    )
    return {
        # A new pipeline per trial, seeded like the trial: the data order of
        # trial N does not depend on the trials run before it in the process.
        "x": lambda: data.for_model(name, "train", **data_args).repeat(),
        "steps_per_epoch": steps_per_epoch,
        "shuffle": False,  # the datasets reshuffle themselves every epoch
        # The same first batches every epoch and every trial: comparable scores.
        "validation_data": data.for_model(name, "validation", **data_args).take(validation_steps),
    }


def _claim_directory(directory, settings, overwrite):
    """Checks that `directory` holds the same search (or none), or clears
    this module's own outputs there for `overwrite`; writes the settings."""
    saved = directory / SETTINGS_FILE
    if saved.exists() and not overwrite:
        previous = json.loads(saved.read_text())
        current = json.loads(json.dumps(settings))
        if previous != current:
            differences = sorted(k for k in set(previous) | set(current) if previous.get(k) != current.get(k))
            raise ValueError(
                f"{directory} holds a search with other settings ({', '.join(differences)} "
                f"differ; see {saved}). Rerun with the same settings to resume, pass "
                "overwrite=True (--overwrite) to restart, or choose another directory."
            )
    if saved.exists() and overwrite:
        for name in ("trials.csv", "trials.md", ELAPSED_FILE):
            (directory / name).unlink(missing_ok=True)
        shutil.rmtree(directory / "best", ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps(settings, indent=2) + "\n")


def _best_completed_trial(search, directory):
    best = search.oracle.get_best_trials(1)
    if not best or best[0].status != "COMPLETED":
        messages = [t.message for t in search.oracle.trials.values() if t.message]
        reason = messages[-1].strip().splitlines()[-1] if messages else "no trial ran"
        raise SearchFailedError(
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
    model = registry.build(hypermodel.model_name, hypermodel.preset, **overrides)
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
