import json

import pytest

from aezoo import training
from aezoo.training.evaluate import evaluate_run


@pytest.mark.slow
def test_classifier_default_reaches_100_percent_and_as_posted_does_not(tmp_path):
    training.train("lstm_sequence_classifier", out=tmp_path / "default", verbose=0)
    good = evaluate_run(tmp_path / "default")
    assert good["accuracy_with_previous_bit"] == 1.0
    assert good["examples"] > 10_000
    assert json.loads((tmp_path / "default" / "metrics.json").read_text()) == good

    training.train("lstm_sequence_classifier", "as_posted", out=tmp_path / "posted", epochs=2, verbose=0)
    bad = evaluate_run(tmp_path / "posted", max_batches=20)
    # Only the current bit is usable: at best 50% of the 4 classes.
    assert bad["accuracy_with_previous_bit"] < 0.6


@pytest.mark.slow
def test_mlp_default_reaches_its_bar(tmp_path):
    training.train("mlp_autoencoder", out=tmp_path, epochs=3, verbose=0)
    assert evaluate_run(tmp_path)["mse"] < 1e-4
    assert (tmp_path / "pictures" / "loss.png").stat().st_size > 1000


def test_evaluate_refuses_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(ValueError, match="is not a finished aezoo run folder"):
        evaluate_run(tmp_path)


PREDICTOR_PASSING = {
    "frame_mse_future": 70.0, "baseline_zero_frame_mse_future": 170.0,
    "frame_mse_future_worst_to_zero": 0.8, "ssim_future": 0.75,
    "baseline_zero_ssim_future": 0.72, "frame_mse_past": 25.0,
}


@pytest.mark.parametrize(
    "change,missed",
    [
        ({}, None),
        ({"frame_mse_future": 80.0}, "future frame MSE <= 76.5"),
        ({"frame_mse_future_worst_to_zero": 1.0}, "every future frame below"),
        ({"ssim_future": 0.72}, "future SSIM > 0.720"),
        ({"frame_mse_past": 30.5}, "past frame MSE <= 30"),
    ],
)
def test_predictor_bar_is_issue_13s_four_floors(change, missed):
    from aezoo.training.evaluate import quality_bar

    passed, text = quality_bar("convlstm_bidir_predictor", {**PREDICTOR_PASSING, **change})
    assert passed is (missed is None), text
    if missed:
        assert f"missed: {missed}" in text
