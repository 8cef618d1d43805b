"""Another process holding an `aezoo.single_writer` lock, for the tests of
single writers (the run folder of `aezoo train`, the target of `aezoo export`)."""

import contextlib
import pathlib
import signal
import subprocess
import sys
import textwrap

_MODULE = pathlib.Path(__file__).resolve().parents[1] / "aezoo" / "single_writer.py"


@contextlib.contextmanager
def held_elsewhere(lock_path, folder):
    """Yields the process (a `subprocess.Popen`) that holds `lock_path` until
    the block ends (it is then killed, leaving its lock file behind)."""
    # The module alone, not the package: no TensorFlow start-up in the holder.
    script = textwrap.dedent(f"""
        import importlib.util, sys, time
        spec = importlib.util.spec_from_file_location("single_writer", {str(_MODULE)!r})
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        with module.hold({str(lock_path)!r}, {str(folder)!r}):
            print("holding", flush=True)
            time.sleep(600)
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "holding"
        yield process
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        process.stdout.close()
