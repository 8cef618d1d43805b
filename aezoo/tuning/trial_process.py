"""One process per trial: the memory of a search stays flat.

TensorFlow keeps every traced graph of a process alive, even after
`keras.backend.clear_session()` (tensorflow/tensorflow#61791), so a long
search in one process grows by a few MB (small models) to tens of MB
(conv models) per trial. `tune(..., trial_processes=True)` (the default)
therefore runs each trial in a fresh Python process: the parent never
trains (`run_search`); each child reloads the search from its folder
(KerasTuner's own resume), runs one trial with the search runner
(`aezoo.tuning.runner.run_search`), saves it and exits, returning all its
memory.

The child dies with its parent (Linux `PR_SET_PDEATHSIG`), so a killed
search leaves no orphan training on; the trial it was running is run
again on resume, as in one process.

The child is run as a module by `run_search`, not by hand:
`python -m aezoo.tuning.trial_process ARGS.json RESULT.json`.
"""

import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys

from aezoo.tuning import runner
from aezoo.tuning.hypermodel import hypermodel as make_hypermodel

MAX_CONSECUTIVE_FAILED_TRIALS = 3  # KerasTuner's default
TRIAL_STATUSES_FILE = "trial_statuses"
NO_TRIAL_LEFT = "no_trial_left"
ERROR = "error"
# Errors of the user's making (bad values, missing data, a missing optional
# package) that the child reports for the parent to raise as they were.
_USER_ERRORS = (ImportError, FileNotFoundError, ValueError)


def run_search(plan, hypermodel, *, overwrite=False, clock):
    """Runs the search of `plan` one trial per child process, until no
    trial is left; stops like KerasTuner after
    `MAX_CONSECUTIVE_FAILED_TRIALS` failed trials in a row.

    Args:
        plan: a `aezoo.tuning.runner.SearchPlan`.
        hypermodel: the plan's hypermodel (to reload the search at the end).
        overwrite: delete the folder's KerasTuner project first.
            Defaults to `False` (resume).
        clock: the search's `aezoo.tuning.runner.SearchClock`.

    Returns:
        A `aezoo.tuning.runner.SearchRun`, its tuner reloaded from the
        folder after the last trial.

    Raises:
        ImportError, FileNotFoundError, ValueError: a trial process raised it.
        SearchFailedError: a trial process failed otherwise, or too many
            trials in a row failed.
    """
    project = plan.directory / runner.PROJECT
    if overwrite:
        shutil.rmtree(project, ignore_errors=True)
    resumed = len(list(project.glob("trial_*/trial.json")))
    statuses = []
    failed_in_a_row = 0
    while True:
        ran, no_trial_left = _run_one_trial(plan, clock.origin, plan.directory / ".trial_process.json")
        clock.save()
        statuses.extend(ran)
        for status in ran:
            failed_in_a_row = failed_in_a_row + 1 if status == "FAILED" else 0
        if not ran or (no_trial_left and failed_in_a_row < MAX_CONSECUTIVE_FAILED_TRIALS):
            return runner.SearchRun(runner.open_tuner(plan, hypermodel), resumed, statuses)
        if failed_in_a_row >= MAX_CONSECUTIVE_FAILED_TRIALS:
            raise runner.SearchFailedError(
                f"{failed_in_a_row} trials in a row of the search in {plan.directory} failed; "
                f"stopped. Each trial's error is in {project}/trial_*/trial.json "
                "(`message`). Fix the cause and rerun the same command to resume."
            )


def _run_one_trial(plan, clock_origin, result_path):
    """Runs one trial of the search of `plan` in a child process.

    Args:
        plan: a `aezoo.tuning.runner.SearchPlan`.
        clock_origin: the `origin` of the search's `SearchClock`.
        result_path: where the child writes its result (a `pathlib.Path`).

    Returns:
        `(statuses, no_trial_left)`: the statuses of the trials the child
        ran (`[]` when the search had no trial left to run), and whether the
        oracle has none left after them (`_no_trial_left`), so that the
        parent starts no child only to learn that.

    Raises:
        ImportError, FileNotFoundError, ValueError: the child raised it (bad
            settings, missing data): the same message, raised here.
        SearchFailedError: the child failed otherwise (its exit code and the
            end of its error output are in the message).
    """
    args_path = result_path.with_name(result_path.name + ".args.json")
    args_path.write_text(json.dumps({"plan": plan.to_dict(), "clock_origin": clock_origin}))
    result_path.unlink(missing_ok=True)
    command = [sys.executable, "-m", "aezoo.tuning.trial_process", str(args_path), str(result_path)]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True,
                               preexec_fn=_die_with_parent)
    try:
        _, stderr = process.communicate()
    except BaseException:  # KeyboardInterrupt included: stop the trial too
        process.kill()
        process.wait()
        raise
    finally:
        args_path.unlink(missing_ok=True)
    result = json.loads(result_path.read_text()) if result_path.exists() else {}
    result_path.unlink(missing_ok=True)
    if ERROR in result:
        kind = next(k for k in _USER_ERRORS if k.__name__ == result[ERROR]["kind"])
        raise kind(result[ERROR]["message"])
    if process.returncode != 0 or TRIAL_STATUSES_FILE not in result:
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        raise runner.SearchFailedError(
            f"The trial process of the search in {plan.directory} failed "
            f"(exit code {process.returncode}). Its last error output:\n{tail}\n"
            "Fix the cause and rerun the same command: the search resumes."
        )
    if plan.verbose:
        sys.stderr.write(_without_tensorflow_noise(stderr))
    return result[TRIAL_STATUSES_FILE], result.get(NO_TRIAL_LEFT, False)


def _without_tensorflow_noise(stderr):
    return "".join(
        line for line in stderr.splitlines(keepends=True)
        if not line.startswith(("I0000", "E0000", "W0000", "WARNING: All log messages"))
    )


def _die_with_parent():
    """`preexec_fn`: the child gets SIGKILL when its parent dies (Linux)."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(1)


def main(argv=None):
    """The child: runs one trial of the search its arguments file describes
    and writes the trials' statuses, or the user's error, as JSON."""
    args_path, result_path = argv or sys.argv[1:]
    arguments = json.loads(pathlib.Path(args_path).read_text())
    try:
        statuses, no_trial_left = _run_trial(arguments)
        result = {TRIAL_STATUSES_FILE: statuses, NO_TRIAL_LEFT: no_trial_left}
    except _USER_ERRORS as error:
        kind = next(k for k in _USER_ERRORS if isinstance(error, k))
        result = {ERROR: {"kind": kind.__name__, "message": str(error)}}
    pathlib.Path(result_path).write_text(json.dumps(result))
    return 2 if ERROR in result else 0


def _run_trial(arguments):
    plan = runner.SearchPlan.from_dict(arguments["plan"])
    hypermodel = make_hypermodel(plan.model, plan.preset, **plan.model_overrides)
    clock = runner.SearchClock(plan.directory, arguments["clock_origin"])
    run = runner.run_search(plan, hypermodel, trial_quota=1, clock=clock)
    return run.statuses, _no_trial_left(run.tuner.oracle, plan.max_trials)


def _no_trial_left(oracle, max_trials):
    """Whether the search's oracle would stop it at its next request for a
    trial: KerasTuner's own test in `Oracle.create_trial` (no trial waiting
    for a retry, and `max_trials` trials made; the oracle's own `max_trials`
    is the child's quota by then, see `runner._TrialHooks.pre_create_trial`).
    An oracle whose space ran out before `max_trials` says so only when
    asked: for it this is `False`, and the parent asks a child."""
    return (len(oracle.trials) >= max_trials and not oracle.ongoing_trials
            and not oracle.get_state()["retry_queue"])


if __name__ == "__main__":
    sys.exit(main())
