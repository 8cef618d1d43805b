"""`aezoo train` on the JAX backend: every recipe, its diagnostics, an export
to a TF SavedModel, and the errors for what needs TensorFlow.

The resume after `kill -9` on JAX is `tests/training/test_trainer.py::
test_a_killed_run_resumes_where_it_stopped[jax]`.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aezoo.training.recipes import load_recipe
from tests.backends import backend_env

pytest.importorskip("jax", reason="JAX is in the dev extra: pip install -e '.[dev]'")

pytestmark = pytest.mark.slow  # processes that train on JAX

REPO = Path(__file__).resolve().parents[2]
RECIPES = sorted(p.stem for p in (REPO / "recipes").glob("*.toml"))


def _python(tmp_path_factory, *args, backend="jax", timeout=900):
    """`python *args` on `backend`, from the checkout."""
    return subprocess.run([sys.executable, *args], cwd=REPO, env=backend_env(backend, tmp_path_factory),
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, mnist_dir):
    folder = tmp_path_factory.mktemp("jax_training")
    os.environ.setdefault("AEZOO_MNIST_DIR", mnist_dir)
    done = _python(tmp_path_factory, "-m", "tests.backends.train_every_recipe", str(folder))
    assert done.returncode == 0, done.stderr[-3000:]
    return folder, json.loads((folder / "train.json").read_text())


@pytest.mark.parametrize("recipe", RECIPES)
def test_every_recipe_trains_on_jax_with_its_diagnostics(trained, recipe):
    _, results = trained
    record = results[recipe]
    if "covered_by" in record:
        # A fine-tuning stage that repeats another recipe's model, loss and
        # schedule (train_every_recipe.SAME_PATH): that recipe trained, this
        # one stands for it.
        assert recipe.split(".")[0] == record["covered_by"].split(".")[0], record
        recipe, record = record["covered_by"], results[record["covered_by"]]
        assert "covered_by" not in record, record
    assert "error" not in record, f"{recipe}: {record['error']}\n{record.get('traceback', '')}"
    assert record["backend"] == "jax" and record["status"] == "finished"
    for name in ("checkpoints/last.keras", "checkpoints/best.keras", "history.csv",
                 "recipe.json", "status.json", "diagnostics.json", "pictures/loss.png"):
        assert name in record["files"], (recipe, name, record["files"])
    # The gradient tap records every optimizer step inside the jitted JAX step.
    assert record["gradient_steps"] == 2, record
    # diagnostics.json: one list of verdicts per train call.
    verdicts = {verdict["check"]: verdict for verdict in record["verdicts"][-1]}
    asked = load_recipe(REPO / "recipes" / f"{recipe}.toml")["diagnostics"]["checks"]
    assert set(asked) <= set(verdicts), (recipe, sorted(verdicts))
    # The checks still tell the posted failure from the fix on JAX.
    if recipe.startswith("mlp_autoencoder."):
        assert verdicts["vanishing_gradients"]["ok"] is recipe.endswith(".default"), verdicts


def test_a_model_trained_on_jax_exports_a_savedmodel_that_tensorflow_serves(trained, tmp_path_factory):
    folder, _ = trained
    code = (
        "import sys, numpy as np, tensorflow as tf; "
        f"saved = np.load({str(folder / 'artifact_outputs.npz')!r}); "
        f"served = tf.saved_model.load({str(folder / 'artifact' / 'saved_model')!r}); "
        "out = served.serve(tf.constant(saved['x'])); "
        "out = list(out.values())[0] if isinstance(out, dict) else out; "
        "print(float(np.max(np.abs(out.numpy() - saved['y']))))"
    )
    done = _python(tmp_path_factory, "-c", code, backend="tensorflow")
    assert done.returncode == 0, done.stderr[-3000:]
    assert float(done.stdout.strip().splitlines()[-1]) <= 1e-5


def test_a_tf_distribute_strategy_on_jax_is_refused_in_one_line(tmp_path, tmp_path_factory):
    done = _python(tmp_path_factory, "-m", "aezoo.cli", "train", "mlp_autoencoder", "--out", str(tmp_path / "run"),
                   "--strategy", "mirrored", "--epochs", "1")
    assert done.returncode == 2, done.stderr[-2000:]
    error = done.stderr.strip().splitlines()
    assert len(error) == 1 and "TensorFlow backend only" in error[0] and "KERAS_BACKEND" in error[0]
    assert not (tmp_path / "run" / "recipe.json").exists()
