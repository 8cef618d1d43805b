"""A pytest plugin that logs each test's start and end and every long
garbage collection, to find the tests that wait on something else.

    AEZOO_GC_LOG=gc.log python -m pytest -p benchmarks.gc_pauses -n 2 --dist loadscope
    python benchmarks/gc_pauses.py gc.log

Each worker appends to the log (`AEZOO_GC_LOG`, default `gc_pauses.log`):
`TIME START nodeid`, `TIME END nodeid`, and `TIME GC genN SECONDS collected N`
for each collection longer than 0.5 s. Run as a script, it prints the
collections longer than 0.5 s with the test that was running in that
worker's process, and the tests longer than 20 s.

It found collections that blocked a worker for 38 to 98 s, each while it
freed the tf.data iterators of `aezoo.train` calls a test had interrupted,
with the other worker's processes keeping the cores busy
(docs/BENCHMARKS.md, "The test suite's time (session 19)").
"""

import gc
import os
import sys
import time

_LOG = os.environ.get("AEZOO_GC_LOG", "gc_pauses.log")
_started = {}
_log_tests = [True]


def _write(line):
    with open(_LOG, "a") as log:
        log.write(f"{time.time():.1f} {os.getpid()} {line}\n")


def _on_collection(phase, info):
    if phase == "start":
        _started["gc"] = time.perf_counter()
        return
    seconds = time.perf_counter() - _started.pop("gc", time.perf_counter())
    if seconds > 0.5:
        _write(f"GC gen{info['generation']} {seconds:.1f} collected {info['collected']}")


def pytest_configure(config):
    gc.callbacks.append(_on_collection)
    # Under pytest-xdist the controller gets every worker's test reports
    # too: only the process that ran a test logs it.
    controller = getattr(config.option, "numprocesses", None) and not os.environ.get("PYTEST_XDIST_WORKER")
    _log_tests[0] = not controller


def pytest_runtest_logstart(nodeid, location):
    if _log_tests[0]:
        _write(f"START {nodeid}")


def pytest_runtest_logfinish(nodeid, location):
    if _log_tests[0]:
        _write(f"END {nodeid}")


def report(path):
    """The long collections, each with the test its process was running,
    and the tests over 20 s."""
    running, starts = {}, {}
    for line in open(path):
        stamp, pid, kind, *rest = line.split()
        stamp = float(stamp)
        if kind == "START":
            running[pid], starts[(pid, rest[0])] = rest[0], stamp
        elif kind == "END":
            seconds = stamp - starts.pop((pid, rest[0]), stamp)
            if seconds > 20:
                print(f"test {seconds:6.1f} s  {rest[0]}")
            running.pop(pid, None)
        elif kind == "GC":
            print(f"GC   {float(rest[1]):6.1f} s  {rest[0]}, {rest[3]} objects, during "
                  f"{running.get(pid, 'no test')}")


if __name__ == "__main__":
    report(sys.argv[1] if len(sys.argv) > 1 else _LOG)
