"""One process per trial: the memory of a search stays flat.

TensorFlow keeps every traced graph of a process alive, even after
`keras.backend.clear_session()` (tensorflow/tensorflow#61791), so a long
search in one process grows by a few MB (small models) to tens of MB
(conv models) per trial. `tune(..., trial_processes=True)` (the default)
therefore runs each trial in a fresh Python process: the parent never
trains; each child reloads the search from its folder (KerasTuner's own
resume), runs one trial, saves it and exits, returning all its memory.

The child dies with its parent (Linux `PR_SET_PDEATHSIG`), so a killed
search leaves no orphan training on; the trial it was running is run
again on resume, as in one process.

Run as a module by `tune`, not by hand:
`python -m aezoo.tuning.trial_process ARGS.json RESULT.json`.
"""

import json
import os
import signal
import subprocess
import sys

TRIAL_STATUSES_FILE = "trial_statuses"
ERROR = "error"
# Errors of the user's making (bad values, missing data, a missing optional
# package) that the child reports for the parent to raise as they were.
_USER_ERRORS = (ImportError, FileNotFoundError, ValueError)


def run_one_trial(tune_kwargs, result_path):
    """Runs `tune(**tune_kwargs)` for one trial in a child process.

    Returns:
        The statuses of the trials the child ran (`[]` when the search had
        no trial left to run).

    Raises:
        ImportError, FileNotFoundError, ValueError: the child raised it (bad
            settings, missing data): the same message, raised here.
        SearchFailedError: the child failed otherwise (its exit code and the
            end of its error output are in the message).
    """
    from aezoo.tuning.search import SearchFailedError

    args_path = result_path.with_name(result_path.name + ".args.json")
    args_path.write_text(json.dumps(tune_kwargs))
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
        raise SearchFailedError(
            f"The trial process of the search in {tune_kwargs['directory']} failed "
            f"(exit code {process.returncode}). Its last error output:\n{tail}\n"
            "Fix the cause and rerun the same command: the search resumes."
        )
    statuses = result[TRIAL_STATUSES_FILE]
    if tune_kwargs.get("verbose"):
        sys.stderr.write(_without_tensorflow_noise(stderr))
    return statuses


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
    from aezoo.tuning.search import tune

    args_path, result_path = argv or sys.argv[1:]
    kwargs = json.loads(open(args_path).read())
    try:
        result = {TRIAL_STATUSES_FILE: tune(**kwargs, trial_processes=False, _trial_quota=1)}
    except _USER_ERRORS as error:
        kind = next(k for k in _USER_ERRORS if isinstance(error, k))
        result = {ERROR: {"kind": kind.__name__, "message": str(error)}}
    with open(result_path, "w") as handle:
        json.dump(result, handle)
    return 2 if ERROR in result else 0


if __name__ == "__main__":
    sys.exit(main())
