"""Export, verified loading and the SavedModel of (untrained) small models.

Every registered model is exported and reloaded (`.keras` and the
SavedModel's `serve` endpoint); the atomic writes, the locks and the checks
of a damaged artifact run on one model, `conv_autoencoder`. Shipped, trained
artifacts are checked in `test_shipped.py`.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import aezoo
from aezoo import cli
from aezoo.artifact import ArtifactError
from aezoo.artifact import verify
from aezoo.artifact.artifact import sha256
from aezoo.artifact.artifact import write_card_hash
from aezoo.single_writer import WriterBusyError
from tests.lock_holder import held_elsewhere
from tests.models.harness import build_small
from tests.models.harness import example_batch
from tests.tiers import by_model

MODELS = aezoo.list_models()


@pytest.fixture(scope="module")
def model():
    import keras

    keras.utils.set_random_seed(0)
    model = aezoo.build("conv_autoencoder")
    images = np.random.default_rng(0).random((8, 28, 28, 1), dtype="float32")
    model.fit(images, images, epochs=1, verbose=0)  # builds the optimizer state too
    return model


@pytest.fixture(scope="module")
def exported(model, tmp_path_factory):
    out = tmp_path_factory.mktemp("artifacts") / "conv"
    card = aezoo.export(model, out, card={"metrics": {"mse": 0.5}})
    return out, card


def _images(count=4):
    return np.random.default_rng(1).random((count, 28, 28, 1), dtype="float32")


def test_card_records_model_signature_and_every_file(exported, model):
    out, card = exported
    on_disk = json.loads((out / "card.json").read_text())
    assert on_disk == json.loads(json.dumps(card))
    assert card["model"] == "conv_autoencoder" and card["preset"] == "default"
    assert card["parameters"] == model.count_params()
    assert card["flops_per_example"] > 0
    assert card["signature"]["inputs"] == {"image": [None, 28, 28, 1]}
    assert card["signature"]["outputs"] == {"reconstruction": [None, 28, 28, 1]}
    assert card["metrics"] == {"mse": 0.5}
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(card["files"]) == files - {"card.json", "card.json.sha256"}
    assert "model.keras" in files and "saved_model/saved_model.pb" in files
    assert card["library_versions"]["keras"] == __import__("keras").__version__


def test_load_returns_the_same_model(exported, model):
    out, _ = exported
    loaded = aezoo.load(out)
    images = _images()
    np.testing.assert_allclose(loaded.predict_on_batch(images), model.predict_on_batch(images), atol=1e-6)


def test_saved_model_callable_matches_keras(exported, model):
    out, _ = exported
    serve = aezoo.load(out, format="saved_model")
    images = _images()
    outputs = serve(images)
    assert set(outputs) == {"reconstruction"}
    np.testing.assert_allclose(outputs["reconstruction"], model.predict_on_batch(images), atol=1e-5)


@pytest.mark.slow
def test_saved_model_in_fresh_process_with_tf_and_tfsmlayer(exported, model, tmp_path):
    out, _ = exported
    images = _images()
    np.save(tmp_path / "x.npy", images)
    script = textwrap.dedent(f"""
        import numpy as np, tensorflow as tf, keras
        x = np.load({str(tmp_path / "x.npy")!r})
        loaded = tf.saved_model.load({str(out / "saved_model")!r})
        a = loaded.signatures["serving_default"](image=tf.constant(x))["reconstruction"].numpy()
        layer = keras.layers.TFSMLayer({str(out / "saved_model")!r}, call_endpoint="serve")
        b = layer(x)["reconstruction"].numpy()
        np.save({str(tmp_path / "a.npy")!r}, a)
        np.save({str(tmp_path / "b.npy")!r}, b)
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=300)
    expected = model.predict_on_batch(images)
    np.testing.assert_allclose(np.load(tmp_path / "a.npy"), expected, atol=1e-5)
    np.testing.assert_allclose(np.load(tmp_path / "b.npy"), expected, atol=1e-5)


@pytest.mark.slow
def test_saved_model_cli_lists_the_signature(exported):
    out, _ = exported
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    result = subprocess.run(
        [cli, "show", "--dir", str(out / "saved_model"), "--all"],
        capture_output=True, text=True, timeout=300, check=True,
    )
    assert "signature_def['serving_default']" in result.stdout
    assert "inputs['image'] tensor_info" in result.stdout
    assert "shape: (-1, 28, 28, 1)" in result.stdout
    assert "outputs['reconstruction'] tensor_info" in result.stdout


@pytest.fixture(scope="module")
def export_small(tmp_path_factory):
    """`export_small(name)`: the registered model `name`, built small with its
    default preset, exported once; returns `(model, folder, inputs)`."""
    folder = tmp_path_factory.mktemp("registry")
    done = {}

    def export_small(name):
        if name not in done:
            import keras

            keras.utils.set_random_seed(0)
            model = build_small(name, "default")
            model.optimizer.build(model.trainable_variables)  # saved as a trained model's is
            inputs, _ = example_batch(model, batch_size=2, seed=1)
            aezoo.export(model, folder / name)
            done[name] = model, folder / name, inputs
        return done[name]

    return export_small


def _named_outputs(model, inputs):
    outputs = model.predict_on_batch(inputs)
    return outputs if isinstance(outputs, dict) else {model.output_names[0]: outputs}


@pytest.mark.parametrize("name", by_model(MODELS))
def test_every_model_reloads_from_keras_and_its_serve_endpoint(export_small, name):
    import keras

    model, out, inputs = export_small(name)
    expected = _named_outputs(model, inputs)
    signature = verify(out)["signature"]
    assert signature["endpoint"] == "serve"
    assert signature["inputs"] == {model.inputs[0].name: [None] + list(model.inputs[0].shape[1:])}
    assert sorted(signature["outputs"]) == sorted(expected)
    reloaded = _named_outputs(aezoo.load(out), inputs)
    assert sorted(reloaded) == sorted(expected)
    for key, value in expected.items():
        np.testing.assert_allclose(reloaded[key], value, atol=1e-6)
    serving_default = aezoo.load(out, format="saved_model")(inputs)
    serve = keras.layers.TFSMLayer(str(out / "saved_model"), call_endpoint="serve")(inputs)
    assert sorted(serving_default) == sorted(serve) == sorted(expected)
    for key, value in expected.items():
        np.testing.assert_allclose(serving_default[key], value, atol=1e-5)
        np.testing.assert_allclose(np.asarray(serve[key]), value, atol=1e-5)


@pytest.mark.slow
def test_every_model_serves_in_a_fresh_process(export_small, tmp_path):
    """The SavedModels of every registered model, through
    `tf.saved_model.load` and `keras.layers.TFSMLayer` in one fresh
    process (no aezoo imported), give the Keras model's outputs."""
    expected = {}
    for name in MODELS:
        model, _, inputs = export_small(name)
        np.save(tmp_path / f"{name}.x.npy", inputs)
        expected[name] = _named_outputs(model, inputs)
    folder = export_small(MODELS[0])[1].parent
    script = textwrap.dedent(f"""
        import sys, numpy as np, tensorflow as tf, keras
        folder, tmp = {str(folder)!r}, {str(tmp_path)!r}
        for name in {MODELS!r}:
            x = np.load(f"{{tmp}}/{{name}}.x.npy")
            path = f"{{folder}}/{{name}}/saved_model"
            a = tf.saved_model.load(path).signatures["serving_default"]
            a = {{k: v.numpy() for k, v in a(tf.constant(x)).items()}}
            b = keras.layers.TFSMLayer(path, call_endpoint="serve")(x)
            for k in a:
                np.save(f"{{tmp}}/{{name}}.a.{{k}}.npy", a[k])
                np.save(f"{{tmp}}/{{name}}.b.{{k}}.npy", np.asarray(b[k]))
        assert "aezoo" not in sys.modules
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=600)
    for name, outputs in expected.items():
        for key, value in outputs.items():
            np.testing.assert_allclose(np.load(tmp_path / f"{name}.a.{key}.npy"), value, atol=1e-5)
            np.testing.assert_allclose(np.load(tmp_path / f"{name}.b.{key}.npy"), value, atol=1e-5)


def test_existing_artifact_is_not_overwritten_without_flag(exported, model):
    out, _ = exported
    before = (out / "card.json").read_text()
    with pytest.raises(ArtifactError, match="already exists; it is left untouched.*overwrite"):
        aezoo.export(model, out)
    assert (out / "card.json").read_text() == before


def test_overwrite_replaces_atomically(model, tmp_path):
    out = tmp_path / "a"
    aezoo.export(model, out, card={"metrics": {"mse": 1.0}})
    card = aezoo.export(model, out, card={"metrics": {"mse": 2.0}}, overwrite=True)
    assert verify(out)["metrics"] == {"mse": 2.0} == card["metrics"]
    assert [p.name for p in tmp_path.iterdir()] == ["a"]  # no partial or previous folder left


@pytest.mark.parametrize(
    "damage",
    ["flip", "truncate", "delete", "extra", "card", "metrics", "parameters", "card_hash",
     "escape", "absolute", "symlink", "entry"],
)
def test_damaged_artifact_is_refused(exported, tmp_path, damage):
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(exported[0], out)
    target = out / "model.keras"
    card = json.loads((out / "card.json").read_text())

    def rewrite_card(message):
        # A card changed together with its hash: what it lists is checked.
        (out / "card.json").write_text(json.dumps(card))
        write_card_hash(out)
        return message

    if damage == "flip":
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0xFF
        target.write_bytes(bytes(data))
        message = "model.keras does not match its sha256"
    elif damage == "truncate":
        target.write_bytes(target.read_bytes()[:-10])
        message = "model.keras has .* bytes, the card says"
    elif damage == "delete":
        (out / "saved_model" / "variables" / "variables.index").unlink()
        message = "saved_model/variables/variables.index is missing"
    elif damage == "extra":
        (out / "saved_model" / "evil.pb").write_bytes(b"x")
        message = "saved_model/evil.pb is not listed in card.json"
    elif damage == "card":
        (out / "card.json").write_text("{not json")
        message = "card.json is not valid JSON"
    elif damage in ("metrics", "parameters"):
        card[damage] = {"mse": 1e-9} if damage == "metrics" else 7
        (out / "card.json").write_text(json.dumps(card, indent=2) + "\n")
        message = "card.json does not match its sha256 in card.json.sha256"
    elif damage == "card_hash":
        (out / "card.json.sha256").unlink()
        message = "card.json.sha256 is missing, so nothing vouches for card.json"
    elif damage in ("escape", "absolute"):
        outside = tmp_path / "outside.txt"
        outside.write_text("not the artifact's")
        listed = "../outside.txt" if damage == "escape" else str(outside)
        card["files"][listed] = {"sha256": sha256(outside), "bytes": outside.stat().st_size}
        message = rewrite_card(f"card.json lists '{listed}', which is not a relative path inside the artifact")
    elif damage == "symlink":
        outside = tmp_path / "outside.txt"
        outside.write_text("not the artifact's")
        (out / "link.txt").symlink_to(outside)
        card["files"]["link.txt"] = {"sha256": sha256(outside), "bytes": outside.stat().st_size}
        message = rewrite_card("card.json lists 'link.txt', which leads out of")
    else:
        card["files"]["model.keras"] = "a string"
        message = rewrite_card("card.json lists 'model.keras' with 'a string', not {sha256, bytes}")
    with pytest.raises(ArtifactError, match=message):
        aezoo.load(out)
    with pytest.raises(ArtifactError, match=message):
        aezoo.load(out, format="saved_model")


def test_a_second_export_to_the_same_target_is_refused_and_touches_nothing(model, tmp_path, capsys):
    out = tmp_path / "artifact"
    aezoo.export(model, out, card={"metrics": {"mse": 1.0}})
    before = verify(out)
    with held_elsewhere(tmp_path / ".artifact.lock", out) as holder:
        live_partial = tmp_path / f".artifact.partial-{holder.pid}"
        live_partial.mkdir()
        (live_partial / "model.keras").write_bytes(b"being written")
        with pytest.raises(WriterBusyError, match=f"{out} is being written by process {holder.pid}"):
            aezoo.export(model, out, card={"metrics": {"mse": 2.0}}, overwrite=True)
        assert (live_partial / "model.keras").read_bytes() == b"being written"
        assert verify(out) == before
        # The command line: checked first, one line, exit code 2.
        assert cli.main(["export", str(tmp_path / "run"), "--out", str(out), "--overwrite"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"is being written by process {holder.pid}" in err
    # The holder was killed: its lock blocks nothing, its partial folder goes.
    aezoo.export(model, out, card={"metrics": {"mse": 3.0}}, overwrite=True)
    assert verify(out)["metrics"] == {"mse": 3.0}
    assert [p.name for p in tmp_path.iterdir()] == ["artifact"]


def test_unknown_name_and_missing_folder(tmp_path):
    with pytest.raises(ValueError, match="Did you mean: conv_autoencoder"):
        aezoo.load("conv_autoencodr")
    with pytest.raises(ArtifactError, match="No artifact folder at"):
        aezoo.load(tmp_path / "nothing")


@pytest.mark.slow
def test_killed_export_leaves_the_old_artifact_intact(model, tmp_path):
    out = tmp_path / "artifact"
    aezoo.export(model, out, card={"metrics": {"mse": 1.0}})
    before = verify(out)
    script = textwrap.dedent(f"""
        import sys, time, numpy as np, keras, aezoo
        from aezoo.artifact import artifact
        model = aezoo.load({str(out)!r})
        def stuck(model, path):
            path.mkdir(parents=True)
            (path / "saved_model.pb").write_bytes(b"half")
            print("writing", flush=True)
            time.sleep(600)
        artifact.write_saved_model = stuck
        aezoo.export(model, {str(out)!r}, card={{"metrics": {{"mse": 2.0}}}}, overwrite=True)
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "writing"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        process.kill()
    assert verify(out) == before  # every file as it was
    assert any(p.name.startswith(".artifact.partial-") for p in tmp_path.iterdir())
    aezoo.export(model, out, card={"metrics": {"mse": 3.0}}, overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["artifact"]


def test_kill_between_renames_is_recovered(exported, tmp_path):
    import shutil

    previous = tmp_path / ".artifact.previous"
    shutil.copytree(exported[0], previous)  # as if killed after moving the old one aside
    assert aezoo.load(tmp_path / "artifact") is not None
    assert not previous.exists() and verify(tmp_path / "artifact")


def test_predict_output_that_names_no_output_is_an_error(exported, tmp_path, capsys):
    out, _ = exported
    np.save(tmp_path / "x.npy", _images())
    command = ["predict", str(out), "--input", str(tmp_path / "x.npy"), "--out", str(tmp_path / "y.npy")]
    assert cli.main(command + ["--output", "nosuch"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--output must be one of ['reconstruction']; got 'nosuch'" in err
    assert not (tmp_path / "y.npy").exists()
    assert cli.main(command + ["--output", "reconstruction"]) == 0
    assert np.load(tmp_path / "y.npy").shape == (4, 28, 28, 1)
