"""Every registered model and preset: build, forward, backward, train, save, reload.

Parametrized over the registry, so a newly registered model is covered
automatically.
"""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import aezoo
from tests.models.harness import all_models_and_presets
from tests.models.harness import build_small
from tests.models.harness import example_batch
from tests.models.harness import ready_to_train
from tests.tiers import by_model

CASES = all_models_and_presets()
IDS = [f"{name}-{preset}" for name, preset in CASES]


def _flat(outputs):
    if isinstance(outputs, dict):
        return [np.asarray(outputs[k]) for k in sorted(outputs)]
    return [np.asarray(outputs)]


@pytest.mark.parametrize("name,preset", CASES, ids=IDS)
def test_forward_and_backward_are_finite(name, preset):
    keras.utils.set_random_seed(0)
    model = build_small(name, preset)
    x, y = example_batch(model)
    with tf.GradientTape() as tape:
        y_pred = model(x, training=True)
        loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=True)
    grads = tape.gradient(loss, model.trainable_weights)
    assert np.isfinite(float(loss))
    assert all(np.isfinite(out).all() for out in _flat(y_pred))
    assert all(g is not None for g in grads), "a weight gets no gradient"
    assert all(np.isfinite(np.asarray(g)).all() for g in grads)


@pytest.mark.parametrize("name", aezoo.list_models())
def test_described_input_spec_matches_the_default_model(name):
    info = aezoo.describe(name)
    model = aezoo.build(name)
    dims = ", ".join("None" if d is None else str(d) for d in model.inputs[0].shape[1:])
    assert info["inputs"].startswith(f"(batch, {dims})"), info["inputs"]
    assert info["parameters"] == model.count_params()


@pytest.mark.parametrize("name,preset", by_model(CASES), ids=IDS)
def test_loss_decreases_on_a_fixed_batch(name, preset):
    keras.utils.set_random_seed(0)
    model = build_small(name, preset)
    x, y = example_batch(model, batch_size=8)
    ready_to_train(model, x, y)
    losses = [float(model.train_on_batch(x, y, return_dict=True)["loss"]) for _ in range(8)]
    assert all(np.isfinite(losses)), losses
    assert min(losses[1:]) < losses[0], losses


def test_predictor_default_on_a_full_size_batch():
    # Without the haze floor, which sets values below it to 0 at inference.
    model = aezoo.build("convlstm_bidir_predictor", haze_floor=0.0)
    out = model(np.random.default_rng(0).random((2, 10, 64, 64, 1), "float32"))
    assert out["future"].shape == (2, 10, 64, 64, 1)
    assert out["past"].shape == (2, 9, 64, 64, 1)
    values = np.concatenate([np.ravel(out["future"]), np.ravel(out["past"])])
    # Dynamic filters of frames in (0, 1): convex combinations of their pixels.
    assert values.min() > 0.0 and values.max() < 1.0


def test_predictor_future_does_not_depend_on_later_inputs_only_on_given_frames():
    # The decoders start from the encoder's state after the last input frame:
    # changing an early input frame must change the prediction (information
    # flows), and the past head's first frame must be the most recent past.
    keras.utils.set_random_seed(0)
    model = build_small("convlstm_bidir_predictor", "default")
    x, _ = example_batch(model, batch_size=1)
    x2 = x.copy()
    x2[:, 0] = 1.0 - x2[:, 0]
    a, b = model(x), model(x2)
    assert np.abs(np.asarray(a["future"]) - np.asarray(b["future"])).max() > 1e-6


def test_predictor_ssim_loss_and_null_tap_reach_the_model():
    from aezoo.losses import L2SSIMError

    model = aezoo.build("convlstm_bidir_predictor", frames_in=4, frames_out=3, frames_past=3,
                        loss="l2_ssim_error", ssim_weight=0.05, null_tap=True)
    assert all(isinstance(model.loss[head], L2SSIMError) and model.loss[head].ssim_weight == 0.05
               for head in ("future", "past"))
    assert model.get_layer("future_stack").null_tap and model.get_layer("past_stack").null_tap
    with pytest.raises(ValueError, match="needs head='dynamic_filter'"):
        aezoo.build("convlstm_bidir_predictor", head="pixel", null_tap=True)
    with pytest.raises(ValueError, match="ssim_weight"):
        aezoo.build("convlstm_bidir_predictor", ssim_weight=-1.0)


def test_predictor_filter_sharing_reaches_both_stacks_and_reloads(tmp_path):
    # The default shares one filter per 4x4 patch (since session 20).
    model = aezoo.build("convlstm_bidir_predictor", frames_in=4, frames_out=3, frames_past=3)
    assert {model.get_layer(s).filter_sharing for s in ("future_stack", "past_stack")} == {"patch"}
    per_pixel = aezoo.build("convlstm_bidir_predictor", frames_in=4, frames_out=3, frames_past=3,
                            filter_sharing="pixel")
    assert {per_pixel.get_layer(s).filter_sharing for s in ("future_stack", "past_stack")} == {"pixel"}
    # One 9x9 filter per 4x4 patch instead of 16: per-pixel heads are larger.
    assert model.count_params() < per_pixel.count_params()
    x = np.random.default_rng(0).random((1, 4, 64, 64, 1), "float32")
    model.save(tmp_path / "shared.keras")
    again = keras.saving.load_model(tmp_path / "shared.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(again(x)["future"]), np.asarray(model(x)["future"]), atol=1e-6)
    with pytest.raises(ValueError, match="needs head='dynamic_filter'"):
        aezoo.build("convlstm_bidir_predictor", head="pixel", filter_sharing="patch")


def test_predictor_layer_norm_reaches_both_stacks_and_both_designs():
    small = dict(frames_in=4, frames_out=3, frames_past=3)
    plain = aezoo.build("convlstm_bidir_predictor", **small)
    normed = aezoo.build("convlstm_bidir_predictor", layer_norm=True, **small)
    assert not any(plain.get_layer(s).layer_norm for s in ("future_stack", "past_stack"))
    assert all(normed.get_layer(s).layer_norm for s in ("future_stack", "past_stack"))
    # One scale per gate channel of each level: 4 x 64, twice, and once in the past stack.
    assert normed.count_params() - plain.count_params() == 3 * 4 * 64
    # The encoder-decoder's own `layer_norm` still applies to it.
    posted = aezoo.build("convlstm_bidir_predictor", "unconditioned", layer_norm=True)
    assert posted.get_layer("encoder_level1").layer_norm


def test_predictor_haze_floor_blackens_faint_pixels_of_both_heads_at_inference(tmp_path):
    small = dict(frames_in=4, frames_out=3, frames_past=3)
    floored = aezoo.build("convlstm_bidir_predictor", haze_floor=0.3, **small)
    plain = aezoo.build("convlstm_bidir_predictor", haze_floor=0.0, **small)
    # The floor has no weights: the same weights fit both graphs, and without
    # it the outputs are the layers the artifacts before it shipped.
    plain.set_weights(floored.get_weights())
    assert type(plain.get_layer("future")).__name__ == "Cropping3D"
    x = np.random.default_rng(0).random((2, 4, 64, 64, 1), "float32")
    raw, out = plain(x), floored(x)
    for head in ("future", "past"):
        raw_head, out_head = np.asarray(raw[head]), np.asarray(out[head])
        assert (raw_head < 0.3).any() and (raw_head >= 0.6).any()  # both ends met
        np.testing.assert_allclose(out_head[raw_head <= 0.3], 0.0)
        np.testing.assert_allclose(out_head[raw_head >= 0.6], raw_head[raw_head >= 0.6], atol=1e-6)
    floored.save(tmp_path / "floored.keras")
    again = keras.saving.load_model(tmp_path / "floored.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(again(x)["past"]), np.asarray(out["past"]), atol=1e-6)
    with pytest.raises(ValueError, match="haze_floor"):
        aezoo.build("convlstm_bidir_predictor", haze_floor=0.5)


def test_classifier_as_posted_mixes_sequences_of_a_batch():
    # Time-major by mistake: one row's outputs depend on the other rows.
    keras.utils.set_random_seed(0)
    model = aezoo.build("lstm_sequence_classifier", "as_posted")
    x, _ = example_batch(model, batch_size=4)
    x2 = x.copy()
    x2[0] = 1.0 - x2[0]
    changed = np.abs(np.asarray(model(x)) - np.asarray(model(x2)))[1:].max()
    assert changed > 1e-6
    model = aezoo.build("lstm_sequence_classifier")
    x, _ = example_batch(model, batch_size=4)
    x2 = x.copy()
    x2[0] = 1.0 - x2[0]
    np.testing.assert_array_equal(np.asarray(model(x))[1:], np.asarray(model(x2))[1:])


@pytest.fixture(scope="module")
def reloaded(tmp_path_factory):
    """Saves every model, reloads all of them in ONE fresh Python process."""
    folder = tmp_path_factory.mktemp("saved")
    expected = {}
    for name, preset in CASES:
        keras.utils.set_random_seed(0)
        model = build_small(name, preset)
        x, _ = example_batch(model, seed=1)
        key = f"{name}-{preset}"
        model.save(folder / f"{key}.keras")
        np.save(folder / f"{key}.input.npy", x)
        expected[key] = _flat(model(x, training=False))
    script = textwrap.dedent(
        """
        import json, sys, pathlib
        import numpy as np
        import keras
        import aezoo
        folder = pathlib.Path(sys.argv[1])
        report = {}
        for path in sorted(folder.glob("*.keras")):
            key = path.name[: -len(".keras")]
            model = keras.saving.load_model(path, safe_mode=True)
            out = model(np.load(folder / f"{key}.input.npy"), training=False)
            out = [out[k] for k in sorted(out)] if isinstance(out, dict) else [out]
            np.savez(folder / f"{key}.reloaded.npz", *[np.asarray(o) for o in out])
            report[key] = "tensorflow_datasets" in sys.modules or "keras_tuner" in sys.modules
        print(json.dumps(report))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(folder)],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    heavy_imports = json.loads(result.stdout.strip().splitlines()[-1])
    return folder, expected, heavy_imports


@pytest.mark.slow
@pytest.mark.parametrize("name,preset", CASES, ids=IDS)
def test_keras_round_trip_in_a_fresh_process(reloaded, name, preset):
    folder, expected, heavy_imports = reloaded
    key = f"{name}-{preset}"
    got = np.load(folder / f"{key}.reloaded.npz")
    got = [got[f"arr_{i}"] for i in range(len(got.files))]
    assert len(got) == len(expected[key])
    for a, b in zip(got, expected[key]):
        np.testing.assert_array_equal(a, b)
    assert heavy_imports[key] is False, "loading a model pulled in tfds or KerasTuner"
