import json

import keras
import numpy as np
import pytest

import aezoo
from aezoo import training
from aezoo.artifact.precision import float32_copy
from aezoo.artifact.precision import mixed_policies
from aezoo.artifact.precision import trained_policy
from aezoo.training.evaluate import evaluate_run
from aezoo.training.release import export_run
from aezoo.training.trainer import dtype_policy


def _mixed(name, **overrides):
    with dtype_policy("mixed_bfloat16"):
        return aezoo.build(name, **overrides)


def test_a_mixed_model_is_copied_to_float32_with_its_weights():
    model = _mixed("mlp_autoencoder")
    assert "mixed_bfloat16" in mixed_policies(model)
    # Trained weights, not the initial ones: the copy must carry them.
    x = np.random.default_rng(0).random((64,) + tuple(model.inputs[0].shape[1:]), "float32")
    model.fit(x, x, epochs=1, verbose=0)
    copy = float32_copy(model)
    assert copy is not model and mixed_policies(copy) == []
    assert trained_policy(model) == "mixed_bfloat16" and trained_policy(copy) is None
    assert all(layer.compute_dtype == "float32" for layer in copy.layers)
    for a, b in zip(model.get_weights(), copy.get_weights()):
        np.testing.assert_array_equal(a, b)
    # The optimizer state travels too (the card's step count reads it).
    assert int(copy.optimizer.iterations) == int(model.optimizer.iterations) > 0
    mixed_out = np.asarray(model.predict_on_batch(x[:8]), "float32")
    float_out = copy.predict_on_batch(x[:8])
    assert float_out.dtype == np.float32
    # The same function, up to bfloat16's 8 bits of mantissa.
    np.testing.assert_allclose(float_out, mixed_out, atol=0.02)


def test_a_float32_model_is_not_copied():
    model = aezoo.build("mlp_autoencoder")
    assert mixed_policies(model) == [] and float32_copy(model) is model


def test_the_predictor_under_mixed_bfloat16_computes_its_context_loss_in_float32():
    # Keras sums the model's losses in float32; a bfloat16 add_loss term
    # fails the first training step.
    model = _mixed("convlstm_bidir_predictor")
    rng = np.random.default_rng(0)
    x = rng.random((2, 10, 64, 64, 1), "float32")
    y = {k: rng.random((2,) + tuple(v.shape[1:]), "float32") for k, v in model.output.items()}
    logs = model.train_on_batch(x, y, return_dict=True)
    assert np.isfinite(logs["loss"])


def test_the_dtype_policy_is_restored_after_building():
    before = keras.config.dtype_policy().name
    with pytest.raises(RuntimeError):
        with dtype_policy("mixed_bfloat16"):
            raise RuntimeError("a failed build")
    assert keras.config.dtype_policy().name == before


def test_a_run_trained_in_mixed_bfloat16_exports_a_float32_artifact(tmp_path):
    run = tmp_path / "run"
    result = training.train(
        "mlp_autoencoder", out=run, epochs=1, verbose=0,
        overrides=["fit.steps_per_epoch=3", 'fit.dtype_policy="mixed_bfloat16"'],
    )
    assert "mixed_bfloat16" in mixed_policies(result.model)
    assert keras.config.dtype_policy().name == "float32"
    card = export_run(run, tmp_path / "artifact", max_batches=1)
    assert card["training"]["dtype_policy"] == "mixed_bfloat16"
    recipe = json.loads((run / "recipe.json").read_text())
    assert recipe["fit"]["dtype_policy"] == "mixed_bfloat16"
    loaded = aezoo.load(tmp_path / "artifact")
    assert mixed_policies(loaded) == []
    # `aezoo evaluate RUN_DIR` measures the checkpoint as it ships: float32.
    measured = evaluate_run(run, max_batches=1)
    shipped = training.evaluate(loaded, "mlp_autoencoder", batch_size=recipe["data"]["batch_size"], max_batches=1)
    assert measured["mse"] == shipped["mse"]


@pytest.mark.parametrize("value", ['"float16"', '"mixed_float16"', "3"])
def test_an_unknown_dtype_policy_is_refused(value):
    with pytest.raises(ValueError, match=r"`fit.dtype_policy` must be one of float32, mixed_bfloat16"):
        training.resolve_recipe("mlp_autoencoder", overrides=[f"fit.dtype_policy={value}"])


def test_a_cpu_without_amx_gets_a_note_on_a_bfloat16_recipe(tmp_path, capsys):
    from aezoo.training import trainer

    (tmp_path / "amx").write_text("processor : 0\nflags : fpu avx512f amx_bf16 amx_tile\n")
    (tmp_path / "plain").write_text("processor : 0\nflags : fpu avx2\n")
    assert trainer.cpu_has_amx(tmp_path / "amx") is True
    assert trainer.cpu_has_amx(tmp_path / "plain") is False
    assert trainer.cpu_has_amx(tmp_path / "missing") is None
    recipe = training.resolve_recipe("mlp_autoencoder", overrides=['fit.dtype_policy="mixed_bfloat16"'])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(trainer, "cpu_has_amx", lambda: False)
        trainer._note_dtype_policy(recipe)
        assert "--set fit.dtype_policy=float32 " in capsys.readouterr().out
        patch.setattr(trainer, "cpu_has_amx", lambda: True)
        trainer._note_dtype_policy(recipe)
        assert capsys.readouterr().out == ""
    # The note's command is a valid override.
    assert training.resolve_recipe(
        "mlp_autoencoder", overrides=["fit.dtype_policy=float32"])["fit"]["dtype_policy"] == "float32"
