"""A wheel (`pip install .`, not editable) trains and loads.

The recipes ship in it as package data (`aezoo/recipes/`, built from the
top-level `recipes/`); the trained artifacts do not (about 20 MB): a wheel
install reaches them through `AEZOO_ARTIFACTS`.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
TIMEOUT_S = 600


def test_pyproject_ships_every_package_and_the_recipes():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = sorted(
        ".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "aezoo").rglob("__init__.py")
    )
    assert sorted(setuptools["packages"]) == sorted(packages + ["aezoo.recipes"])
    assert setuptools["package-dir"] == {"aezoo.recipes": "recipes"}
    assert setuptools["package-data"]["aezoo.recipes"] == ["*.toml"]


def test_a_checkout_reads_its_top_level_recipes():
    from aezoo.training.recipes import default_recipes_dir
    from aezoo.training.recipes import load_recipe

    assert default_recipes_dir() == ROOT / "recipes"
    assert load_recipe("mlp_autoencoder")["source"] == str(ROOT / "recipes" / "mlp_autoencoder.default.toml")


def _run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, **kwargs)
    assert result.returncode == 0, f"{command}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _wheel(tmp_path):
    """Builds the wheel from a copy of what it is made of (no build/ or
    egg-info written into the checkout), with the installed setuptools."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for name in ("aezoo", "recipes"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
          "--wheel-dir", str(tmp_path / "dist"), str(source)])
    (wheel,) = (tmp_path / "dist").glob("aezoo-*.whl")
    return wheel


def _environment(tmp_path, wheel):
    """A fresh virtual environment with the wheel installed, which reuses
    the dependencies installed for this interpreter (TensorFlow is not
    downloaded again) but not its aezoo: a `.pth` file adds this
    interpreter's site-packages after the environment's own, as a plain
    path, so their `.pth` files (the editable install's finder) do not run."""
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
          "--no-index", "--no-build-isolation", str(wheel)])
    site_packages = pathlib.Path(_run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
    ).stdout.strip())
    dependencies = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (site_packages / "aezoo_test_dependencies.pth").write_text("\n".join(dependencies) + "\n")
    return venv, site_packages


@pytest.mark.slow
def test_a_wheel_outside_the_checkout_trains_and_loads(tmp_path):
    venv, site_packages = _environment(tmp_path, _wheel(tmp_path))
    work = tmp_path / "work"  # the current folder: outside the checkout
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "AEZOO_ARTIFACTS")}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"

    where = _run([str(venv / "bin" / "python"), "-c", "import aezoo; print(aezoo.__file__)"],
                 cwd=work, env=env).stdout.strip()
    assert pathlib.Path(where).is_relative_to(site_packages), where  # the wheel's, not the checkout's

    _run([str(venv / "bin" / "aezoo"), "train", "lstm_sequence_classifier", "--epochs", "1",
          "--out", "runs/classifier", "--set", "fit.steps_per_epoch=3", "--set",
          "fit.validation_steps=1", "--set", "diagnostics.checks=[]"], cwd=work, env=env)
    recipe = json.loads((work / "runs" / "classifier" / "recipe.json").read_text())
    assert pathlib.Path(recipe["source"]) == site_packages / "aezoo" / "recipes" / "lstm_sequence_classifier.default.toml"
    assert (work / "runs" / "classifier" / "checkpoints" / "last.keras").is_file()

    # The trained artifacts are not in the wheel: a name says how to reach them.
    refused = subprocess.run(
        [str(venv / "bin" / "aezoo"), "evaluate", "lstm_sequence_classifier", "--max-batches", "1"],
        cwd=work, env=env, capture_output=True, text=True, timeout=TIMEOUT_S,
    )
    assert refused.returncode == 2, refused.stderr[-3000:]
    assert refused.stderr.count("\n") == 1 and "Set AEZOO_ARTIFACTS" in refused.stderr

    env["AEZOO_ARTIFACTS"] = str(ROOT / "artifacts")
    loaded = _run([str(venv / "bin" / "python"), "-c", (
        "import aezoo, numpy as np; model = aezoo.load('lstm_sequence_classifier'); "
        "bits = np.array([0, 1, 1, 0] * 5, dtype='float32'); "
        "classes = aezoo.predict(model, bits[None, :, None])[0].argmax(-1); "
        "print((classes[1:] == 2 * bits[:-1] + bits[1:]).mean())"  # step 0 is not scored
    )], cwd=work, env=env)
    assert float(loaded.stdout.strip().splitlines()[-1]) == 1.0
