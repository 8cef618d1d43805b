"""The trained artifacts in `artifacts/`: intact, loadable, and as good as
their cards say, re-measured on a small held-out subset.

The cards' figures come from the whole evaluation split
(`aezoo export runs/NAME-default --out artifacts/NAME`); here the first
`BATCHES` batches of the same split are measured again. Tolerances are
relative to the card and wide enough for a subset of that size; the quality
bars of issue 6 are checked on the card and on the subset.
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import aezoo
from aezoo.artifact import artifacts_root
from aezoo.artifact import verify
from aezoo.data import for_model
from aezoo.diagnostics import code_spread
from aezoo.models.convlstm_bidir_predictor.metrics import predictor_floors
from aezoo.training.evaluate import evaluate_artifact
from aezoo.training.evaluate import quality_bar
from tests.tiers import by_model

MODELS = aezoo.list_models()

# metric -> (batches measured, relative tolerance against the card)
SUBSET = {
    "convlstm_bidir_predictor": ("frame_mse_future", 4, 0.15),
    "conv_autoencoder": ("mse", 2, 0.15),
    "lstm_sequence_classifier": ("accuracy_with_previous_bit", 10, 0.0),
    "sparse_autoencoder": ("mean_activation", 2, 0.10),
    "mlp_autoencoder": ("mse", 10, 0.5),
}


@pytest.fixture(autouse=True)
def _data(mnist_dir, monkeypatch):
    monkeypatch.setenv("AEZOO_MNIST_DIR", mnist_dir)


@pytest.mark.parametrize("name", MODELS)
def test_artifact_is_intact_and_complete(name):
    card = verify(name)
    assert card["model"] == name
    assert card["training"]["steps"] > 0, "an artifact must be trained"
    assert card["metrics_command"] == f"aezoo evaluate {name}"
    assert card["metrics_max_batches"] is None, "shipped cards are measured on the whole split"
    assert any(path.startswith("pictures/") for path in card["files"])
    size = sum(entry["bytes"] for entry in card["files"].values())
    assert size < 20e6


def test_artifacts_folder_stays_small():
    size = sum(p.stat().st_size for p in artifacts_root().rglob("*") if p.is_file())
    assert size < 60e6


# Issue 13's floors the shipped predictor does not reach (see its card and
# docs/BENCHMARKS.md). Strict: a better artifact makes the test pass, and
# the floor must then leave this set.
PREDICTOR_FLOORS_MISSED = {"future_mse"}
FLOORS = ("future_mse", "no_fading", "ssim", "past_mse")


@pytest.mark.parametrize("name", [m for m in MODELS if m != "convlstm_bidir_predictor"])
def test_card_metrics_reach_the_bar(name):
    passed, bar = quality_bar(name, aezoo.artifact.read_card(name)["metrics"])
    assert passed, f"{name}: card misses the bar {bar}"


@pytest.mark.parametrize(
    "floor",
    [
        pytest.param(f, marks=pytest.mark.xfail(strict=True, reason="short of issue 13's floor on 2 CPU cores"))
        if f in PREDICTOR_FLOORS_MISSED else f
        for f in FLOORS
    ],
)
def test_predictor_card_reaches_each_floor(floor):
    floors = {n: (ok, text) for n, ok, text in predictor_floors(
        aezoo.artifact.read_card("convlstm_bidir_predictor")["metrics"])}
    assert sorted(floors) == sorted(FLOORS)
    ok, text = floors[floor]
    assert ok, f"predictor card misses {text}"


@pytest.mark.parametrize("name", by_model(MODELS))
def test_card_metric_is_re_measured(name):
    key, batches, tolerance = SUBSET[name]
    measured, card = evaluate_artifact(name, max_batches=batches)
    assert measured[key] == pytest.approx(card[key], rel=tolerance, abs=1e-6 if tolerance else 0)
    if name == "convlstm_bidir_predictor":
        # The floors the card reaches hold on the subset too.
        for floor, ok, text in predictor_floors(measured):
            assert ok or floor in PREDICTOR_FLOORS_MISSED, f"subset misses {text}: {measured}"
        return
    passed, bar = quality_bar(name, measured)
    assert passed, f"{name}: subset misses the bar {bar}: {measured}"


# The code collapse found in the predictor shipped before issue 13
# (docs/FAILURES.md): the shipped predictor's code, the top state at the
# view point that both heads start from, must vary with the clip.
@pytest.mark.slow
def test_predictor_code_is_not_collapsed():
    model = aezoo.load("convlstm_bidir_predictor")
    frames, _ = next(iter(for_model("convlstm_bidir_predictor", "test", batch_size=32, num_sequences=32)))
    verdict = code_spread(model, np.asarray(frames), layer_name="code")
    assert verdict.ok, str(verdict)


@pytest.mark.slow
def test_saved_models_match_keras_in_a_fresh_process(tmp_path):
    """Every shipped SavedModel, through `tf.saved_model.load` and
    `keras.layers.TFSMLayer`, gives the Keras model's outputs."""
    expected = {}
    for name in MODELS:
        model = aezoo.load(name)
        shape = (2,) + tuple(model.inputs[0].shape[1:])
        low, high = aezoo.registry.get_model_info(name).value_range
        x = np.random.default_rng(0).uniform(low, high, shape).astype("float32")
        np.save(tmp_path / f"{name}.x.npy", x)
        outputs = model.predict_on_batch(x)
        expected[name] = outputs if isinstance(outputs, dict) else {model.output_names[0]: outputs}
    script = textwrap.dedent(f"""
        import numpy as np, tensorflow as tf, keras
        root, tmp = {str(artifacts_root())!r}, {str(tmp_path)!r}
        for name in {MODELS!r}:
            x = np.load(f"{{tmp}}/{{name}}.x.npy")
            path = f"{{root}}/{{name}}/saved_model"
            a = tf.saved_model.load(path).signatures["serving_default"]
            a = {{k: v.numpy() for k, v in a(tf.constant(x)).items()}}
            b = keras.layers.TFSMLayer(path, call_endpoint="serve")(x)
            for k in a:
                np.save(f"{{tmp}}/{{name}}.a.{{k}}.npy", a[k])
                np.save(f"{{tmp}}/{{name}}.b.{{k}}.npy", b[k].numpy())
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=600)
    for name, outputs in expected.items():
        for key, value in outputs.items():
            np.testing.assert_allclose(np.load(tmp_path / f"{name}.a.{key}.npy"), value, atol=2e-5)
            np.testing.assert_allclose(np.load(tmp_path / f"{name}.b.{key}.npy"), value, atol=2e-5)


@pytest.mark.slow
def test_saved_model_cli_run_predicts_frames(tmp_path):
    import os

    frames = np.random.default_rng(0).random((1, 10, 64, 64, 1), dtype="float32")
    np.save(tmp_path / "frames.npy", frames)
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    subprocess.run(
        [cli, "run", "--dir", str(artifacts_root() / "convlstm_bidir_predictor" / "saved_model"),
         "--tag_set", "serve", "--signature_def", "serving_default",
         "--inputs", f"frames={tmp_path / 'frames.npy'}", "--outdir", str(tmp_path / "out")],
        check=True, capture_output=True, timeout=300,
    )
    future = np.load(tmp_path / "out" / "future.npy")
    assert future.shape == (1, 10, 64, 64, 1)
    expected = aezoo.predict("convlstm_bidir_predictor", frames)["future"]
    np.testing.assert_allclose(future, expected, atol=2e-5)


def test_evaluate_by_name_prints_model_baselines_and_card(capsys):
    from aezoo import cli

    assert cli.main(["evaluate", "mlp_autoencoder", "--max-batches", "2"]) == 0
    out = capsys.readouterr().out
    assert "measured" in out and "card" in out and "mse" in out
