"""Fixtures shared by the suite, and its two tiers.

`pytest` (the README's command, what CI runs) runs every test.
`pytest -m "not slow"` is the edit-test loop: it leaves out the tests
marked `slow`, those that

- train a model to its quality bar (`tests/training/test_evaluate.py`),
- start other Python processes that import TensorFlow or JAX: several
  workers, killed and resumed runs, tuning trials, fresh-process reloads,
  `saved_model_cli`, the wheel build, the JAX backend (`tests/backends/`),
- or take more than about 2 s on 2 CPU cores; in tests parametrized over the
  registry, the cases of the models in `tests.tiers.SLOW_MODELS`
  (`tests.tiers.by_model`).

Mark such a test `@pytest.mark.slow` (a whole module:
`pytestmark = pytest.mark.slow`; `--strict-markers` refuses a misspelt
mark). The fast tier still exports and reloads every model, in this process
(`tests/artifact/test_export.py`). The README gives both commands with
their times.
"""

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import gc  # noqa: E402

import aezoo  # noqa: E402,F401  (TensorFlow and Keras: the bulk of the heap)
import keras  # noqa: E402

import tensorflow as tf  # noqa: E402

# A test traces a function and runs it once or for a few steps, so
# Grappler's optimization of every new graph costs more than it saves:
# without it, the tests of `models/test_models.py`,
# `diagnostics/test_every_model.py` and `diagnostics/test_code_collapse.py`
# took 170 s instead of 206 s in one process (2026-12-07, 2 cores). It
# changes how TensorFlow schedules the ops of this process's graphs, not
# what they compute; processes the tests start (the CLI, tuning trials,
# fresh-process reloads) keep TensorFlow's default, as users run it.
tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})

# What the imports allocated lives as long as the process: `gc.freeze()`
# keeps the collector from scanning it again at every full collection
# (see `_fresh_keras_state`).
gc.freeze()

_REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mnist_dir():
    """The offline MNIST IDX directory: $AEZOO_MNIST_DIR, else ../shared/data/mnist."""
    directory = os.environ.get("AEZOO_MNIST_DIR") or str(
        _REPO_ROOT.parent / "shared" / "data" / "mnist"
    )
    if not os.path.isdir(directory):
        pytest.skip(
            f"MNIST IDX files not found at {directory}: set AEZOO_MNIST_DIR "
            "(CI does) or provide ../shared/data/mnist"
        )
    return directory


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    """Each test starts from a clean Keras state (`keras.backend.clear_session`).

    A pytest worker runs hundreds of tests in one process, and Keras's global
    state grows with every model they build: after about 200 tests, a test
    that takes 4 s alone took 63 s (2026-12-07, `tests/training/
    test_trainer.py::test_start_from_begins_with_another_runs_weights`), and
    the slowest tests of a suite run moved from run to run. Clearing it after
    each test (without its `gc.collect()`, which cost more than it saved:
    296 s against 225 s for the same 209 tests in one process) and freezing
    the imports' objects above took those 209 tests from 225 s to 163 s
    (measured from `tests/` with `python -m pytest -p no:xdist
    models/test_models.py test_registry.py training/test_trainer.py
    test_validation.py artifact/test_predict.py data/test_data_load.py
    layers/test_kl_sparsity.py layers/test_transposed_conv_lstm2d.py
    tuning/test_spaces.py`, one worker's order in a suite run).
    """
    yield
    keras.backend.clear_session(free_memory=False)
