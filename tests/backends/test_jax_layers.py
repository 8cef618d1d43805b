"""Every aezoo layer through Keras' layer test harness, on JAX.

`tests/layers/` runs on TensorFlow in the suite's own process; here its
layer-harness tests (every registered layer: build, call, serialization,
training), the KL sparsity regularizer, the causality tests of the
next-frame stack and the JAX-only
jit tests run again in a pytest subprocess with `KERAS_BACKEND=jax`. (The
whole folder passes on JAX too, in 66 s on 2 cores: `KERAS_BACKEND=jax
pytest tests/layers`; the suite's time budget keeps the rest on TF only.)
Tests about one backend's compiler or APIs carry `tests.backend_marks` marks.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.backends import backend_env

pytest.importorskip("jax", reason="JAX is in the dev extra: pip install -e '.[dev]'")

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_layer_tests_pass_on_jax(tmp_path_factory):
    env = backend_env("jax", tmp_path_factory)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "tests/layers",
         "-k", "harness or on_jax or never_sees or kl_sparsity"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    # It ran on JAX: the JAX-only tests passed rather than being skipped.
    assert "test_on_jax_the_next_frame_stack_is_jitted PASSED" in done.stdout, done.stdout[-4000:]
