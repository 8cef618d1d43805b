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


@pytest.mark.slow
def test_a_fine_tuning_stage_card_records_the_run_it_started_from(tmp_path):
    tiny = ["fit.steps_per_epoch=5", "fit.validation_steps=1", "data.batch_size=8"]
    first = tmp_path / "first"
    training.train("mlp_autoencoder", out=first, epochs=2, overrides=tiny, verbose=0)
    start = first / "checkpoints" / "best.keras"
    second = tmp_path / "second"
    training.train("mlp_autoencoder", out=second, epochs=1, verbose=0,
                   overrides=tiny + [f"start_from='{start}'"])
    out = tmp_path / "artifact"
    second_card = _exported_card(second, out)
    assert second_card["training"]["steps"] == 5  # this stage's own steps
    stage = second_card["training"]["started_from"]
    assert stage["checkpoint"] == str(start) and stage["steps"] == 10
    assert stage["epochs"] == 2 and stage["status"] == "finished" and stage["wall_time_s"] > 0
    assert stage["recipe"]["fit"]["epochs"] == 2 and "started_from" not in stage
    # A start_from outside any run folder: the card says its training is unknown.
    loose = tmp_path / "loose.keras"
    loose.write_bytes(start.read_bytes())
    third = tmp_path / "third"
    training.train("mlp_autoencoder", out=third, epochs=1, verbose=0,
                   overrides=tiny + [f"start_from='{loose}'"])
    card = _exported_card(third, tmp_path / "artifact3")
    assert card["training"]["started_from"] == {
        "checkpoint": str(loose),
        "note": "no run folder found for this checkpoint: its training is not recorded",
    }
    # A start_from that is an exported artifact's model: the card keeps what
    # that artifact's card says, its own chain included.
    fourth = tmp_path / "fourth"
    training.train("mlp_autoencoder", out=fourth, epochs=1, verbose=0,
                   overrides=tiny + [f"start_from='{out / 'model.keras'}'"])
    stage = _exported_card(fourth, tmp_path / "artifact4")["training"]["started_from"]
    assert stage["checkpoint"] == str(out / "model.keras")
    parent = stage["artifact_card"]
    assert parent["metrics"] == second_card["metrics"] and parent["model"] == "mlp_autoencoder"
    assert parent["training"]["started_from"]["checkpoint"] == str(start)


def _exported_card(run, out):
    from aezoo.training import release

    release.export_run(run, out, max_batches=1)
    return json.loads((out / "card.json").read_text())


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
