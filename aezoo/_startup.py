"""TensorFlow's start-up lines, kept off the terminal unless asked for.

Importing TensorFlow 2.21 and finding its devices writes C++ log lines
straight to file descriptor 2 (`I0000 ... oneDNN custom operations are on`,
`Could not find cuda drivers`, and on a machine without a GPU
`E0000 ... failed call to cuInit`) that `TF_CPP_MIN_LOG_LEVEL` no longer
silences. `import aezoo` imports TensorFlow (where it is installed, on every
Keras backend: the data pipelines use it) and lists its devices with
descriptor 2 sent to a file, drops those known lines and writes every other
line back. `AEZOO_VERBOSE=1` shows them all.
"""

import importlib.util
import os
import re
import sys
import tempfile

# Lines of a normal start-up: absl's INFO lines, its note on logging before
# initialization, the CPU-feature continuation line, and a machine without a
# (working) GPU.
_NOISE = re.compile(
    r"^(I\d{4} |WARNING: All log messages before absl::InitializeLog\(\)|"
    r"To enable the following instructions:|"
    r"E\d{4} .*(failed call to cuInit|Unable to register cu\w+ factory))"
)


def import_tensorflow_quietly():
    """Imports TensorFlow and finds its devices without the start-up lines."""
    if os.environ.get("AEZOO_VERBOSE") or "tensorflow" in sys.modules:
        return
    if importlib.util.find_spec("tensorflow") is None:
        # On JAX or torch, models, layers and loading need no TensorFlow; the
        # data pipelines and the SavedModel export say so when they need it.
        return
    try:
        saved = os.dup(2)
    except OSError:  # no descriptor 2 to redirect
        return
    with tempfile.TemporaryFile(mode="w+b") as captured:
        sys.stderr.flush()
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow as tf

            tf.config.list_physical_devices()
        except ImportError:
            pass  # the data pipelines and training say so when they need it
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode(errors="replace").splitlines(keepends=True)
            sys.stderr.write("".join(line for line in lines if not _NOISE.match(line)))
