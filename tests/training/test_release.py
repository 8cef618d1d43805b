"""`aezoo export RUN_DIR`: a run folder -> a verified artifact with a measured card."""

import json

import pytest

import aezoo
from aezoo import cli
from aezoo import training
from aezoo.artifact import ArtifactError
from aezoo.training.evaluate import evaluate_artifact


@pytest.mark.slow
def test_a_run_folder_exports_with_its_recipe_steps_and_measured_metrics(tmp_path, capsys):
    run = tmp_path / "run"
    overrides = ["fit.steps_per_epoch=20", "fit.validation_steps=2"]
    training.train("mlp_autoencoder", out=run, epochs=1, overrides=overrides, verbose=0)
    training.train("mlp_autoencoder", out=run, epochs=2, overrides=overrides, verbose=0)
    out = tmp_path / "artifact"
    assert cli.main(["export", str(run), "--out", str(out), "--max-batches", "3",
                     "--note", "two calls"]) == 0
    assert "exported mlp_autoencoder (default)" in capsys.readouterr().out

    card = json.loads((out / "card.json").read_text())
    assert card["recipe"]["fit"]["epochs"] == 2 and card["recipe"]["seed"] == 0
    assert card["training"]["steps"] == 40  # the best checkpoint: the last epoch
    assert card["training"]["earlier_epochs"] == [1]
    assert card["training"]["note"] == "two calls"
    assert card["training"]["status"] == "finished" and card["training"]["wall_time_s"] > 0
    assert card["metrics_command"] == "aezoo evaluate mlp_autoencoder"
    # The card's metrics are what evaluating the artifact measures.
    measured, on_card = evaluate_artifact(out, max_batches=3)
    assert measured["mse"] == pytest.approx(on_card["mse"], rel=1e-5)
    model = aezoo.load(out)
    assert int(model.optimizer.iterations.numpy()) == 40

    # An existing artifact is kept unless --overwrite.
    assert cli.main(["export", str(run), "--out", str(out), "--max-batches", "3"]) != 0
    assert json.loads((out / "card.json").read_text())["training"]["note"] == "two calls"


def test_an_existing_target_is_refused_before_anything_is_measured(tmp_path, monkeypatch, capsys):
    from aezoo.training import release

    def must_not_run(*args, **kwargs):
        raise AssertionError("measured before the target was checked")

    monkeypatch.setattr(release, "evaluate", must_not_run)
    out = tmp_path / "artifact"
    out.mkdir()
    (out / "card.json").write_text("{}")
    with pytest.raises(ArtifactError, match="already exists; it is left untouched"):
        release.export_run(tmp_path / "run", out)
    assert cli.main(["export", str(tmp_path / "run"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already exists" in err
    assert [p.name for p in out.iterdir()] == ["card.json"]
