"""The search runner: KerasTuner's search over a plan, in this process.

`run_search(plan, hypermodel)` runs trials until the search has none left
or a quota of them ran. `aezoo.tuning.tune` calls it to search in its own
process (a distributed chief or worker, or `trial_processes=False`), and
each trial process (`aezoo.tuning.trial_process`) calls it for one trial.
A `SearchPlan` holds the settings `tune` resolved, JSON-ready, so that a
trial process receives them as they are (it makes only the hypermodel
again, from the plan).
"""

import dataclasses
import gc
import json
import os
import pathlib
import time

import keras
import keras_tuner

from aezoo.tuning import trials as trials_lib

OBJECTIVE = "val_loss"
PROJECT = "search"  # the KerasTuner project folder in the search folder
ELAPSED_FILE = "elapsed.json"


class SearchFailedError(RuntimeError):
    """No trial of a search completed, so there is no best model."""


@dataclasses.dataclass(frozen=True)
class SearchPlan:
    """The settings of a search, resolved (see `aezoo.tuning.tune`).

    Attributes:
        model: the registered model name.
        preset: the preset the search overrides.
        tuner: `"random"`, `"bayesian"` or `"hyperband"`.
        max_trials: number of trials of the search.
        epochs: epochs per trial (Hyperband: the most).
        steps_per_epoch: training steps per epoch.
        validation_steps: validation batches per evaluation.
        seed: seed of the tuner; trial N seeds itself with `seed + N`.
        model_overrides: the recipe's fixed overrides, under the tuned ones.
        data_arguments: the keyword arguments of `aezoo.data.for_model` for
            every trial (`aezoo.training.recipe_data.data_arguments`, with
            the search's seed).
        directory: the search folder (`pathlib.Path`).
        verbose: KerasTuner's and `fit`'s verbosity.
    """

    model: str
    preset: str
    tuner: str
    max_trials: int
    epochs: int
    steps_per_epoch: int
    validation_steps: int
    seed: int
    model_overrides: dict
    data_arguments: dict
    directory: pathlib.Path
    verbose: int

    def to_dict(self):
        """The plan as a JSON value (for a trial process)."""
        return {**dataclasses.asdict(self), "directory": str(self.directory)}

    @classmethod
    def from_dict(cls, values):
        """The plan `to_dict` gave."""
        return cls(**{**values, "directory": pathlib.Path(values["directory"])})


@dataclasses.dataclass
class SearchRun:
    """What a run of the search leaves.

    Attributes:
        tuner: the KerasTuner tuner; its oracle holds every trial of the
            search, this run's and those before it.
        resumed_trials: trials in the folder when the run began (0 for a
            worker).
        statuses: the statuses of the trials this run ran, in order.
    """

    tuner: keras_tuner.Tuner
    resumed_trials: int
    statuses: list


def run_search(plan, hypermodel, *, role="single", overwrite=False, trial_quota=None, clock=None):
    """Runs the search of `plan` in this process.

    Trials run until the oracle has none left (`plan.max_trials`), or
    until `trial_quota` trials ran. Each trial fits the hypermodel's point
    on the model's own data (`aezoo.data.for_model`); a distributed chief
    fits nothing: it serves the oracle while the workers run trials.

    Args:
        plan: a `SearchPlan`.
        hypermodel: the plan's `aezoo.tuning.AezooHyperModel`.
        role: `"single"`, `"chief"` or `"worker"`
            (`aezoo.tuning.distributed_role()`). Defaults to `"single"`.
        overwrite: delete the folder's KerasTuner project first.
            Defaults to `False` (resume).
        trial_quota: stop after this many trials, or `None` for no quota.
            Defaults to `None`.
        clock: a `SearchClock` to save and report after each trial, or
            `None`. Defaults to `None`.

    Returns:
        A `SearchRun`.
    """
    keras.utils.set_random_seed(plan.seed)  # the set-up; every trial then seeds itself
    tuner = open_tuner(plan, hypermodel, overwrite=overwrite)
    # A worker's oracle is a client of the chief's, which holds the trials.
    resumed = 0 if role == "worker" else len(tuner.oracle.trials)
    tuner.trial_quota = trial_quota
    tuner.clock = clock
    tuner.report_trials = bool(plan.verbose)
    fit_args = {} if role == "chief" else _fit_data(plan)
    # The chief runs no trial: the workers report theirs, so its
    # KerasTuner display (other numbers) stays off.
    tuner.search(epochs=plan.epochs, verbose=0 if role == "chief" else plan.verbose, **fit_args)
    return SearchRun(tuner, resumed, list(tuner.trials_run))


def open_tuner(plan, hypermodel, *, overwrite=False):
    """The KerasTuner tuner of `plan`, reloading the folder's project
    unless `overwrite`."""
    common = dict(
        objective=OBJECTIVE, seed=plan.seed, directory=str(plan.directory),
        project_name=PROJECT, overwrite=overwrite,
    )
    if plan.tuner == "hyperband":
        # Brackets repeat without end (hyperband_iterations=None) until the
        # oracle's max_trials, which KerasTuner's Hyperband does not take.
        tuner = _Hyperband(hypermodel, max_epochs=plan.epochs, hyperband_iterations=None, **common)
        tuner.oracle.max_trials = plan.max_trials
    else:
        tuner_class = _RandomSearch if plan.tuner == "random" else _BayesianOptimization
        tuner = tuner_class(hypermodel, max_trials=plan.max_trials, **common)
    tuner.trial_seed = plan.seed
    return tuner


class SearchClock:
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


def _fit_data(plan):
    from aezoo import data

    def for_model(split):
        return data.for_model(plan.model, split, **plan.data_arguments)

    return {
        # A new pipeline per trial, seeded like the trial: the data order of
        # trial N does not depend on the trials run before it in the process.
        "x": lambda: for_model("train").repeat(),
        "steps_per_epoch": plan.steps_per_epoch,
        "shuffle": False,  # the datasets reshuffle themselves every epoch
        # The same first batches every epoch and every trial: comparable scores.
        "validation_data": for_model("validation").take(plan.validation_steps),
    }


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
    clock = None  # a SearchClock
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
