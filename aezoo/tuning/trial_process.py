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


def run_one_trial(tune_kwargs, result_path):
    """Runs `tune(**tune_kwargs)` for one trial in a child process.

    Returns:
        The statuses of the trials the child ran (`[]` when the search had
        no trial left to run).

    Raises:
        RuntimeError: the child failed (its exit code and the end of its
            error output are in the message).
    """
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
    if process.returncode != 0 or not result_path.exists():
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        raise RuntimeError(
            f"The trial process of the search in {tune_kwargs['directory']} failed "
            f"(exit code {process.returncode}). Its last error output:\n{tail}\n"
            "Fix the cause and rerun the same command: the search resumes."
        )
    statuses = json.loads(result_path.read_text())[TRIAL_STATUSES_FILE]
    result_path.unlink()
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
    statuses = tune(**kwargs, trial_processes=False, _trial_quota=1)
    with open(result_path, "w") as handle:
        json.dump({TRIAL_STATUSES_FILE: statuses}, handle)


if __name__ == "__main__":
    main()
