"""Pictures drawn from small fake arrays (no model is built)."""

import numpy as np
import pytest
from PIL import Image

from aezoo import drawing
from aezoo.training import pictures

PREDICTOR = "convlstm_bidir_predictor"


def _fake_predictor_batch(seed=0):
    """Inputs and outputs shaped like the predictor's, on 8x8 frames."""
    rng = np.random.default_rng(seed)
    inputs = rng.uniform(size=(1, 10, 8, 8, 1)).astype("float32")
    outputs = {
        "future": rng.uniform(size=(1, 10, 8, 8, 1)).astype("float32"),
        "past": rng.uniform(size=(1, 9, 8, 8, 1)).astype("float32"),
    }
    return inputs, outputs


def _capture(monkeypatch, function_name):
    calls = []
    monkeypatch.setattr(drawing, function_name, lambda *args, **kwargs: calls.append(args))
    return calls


def test_predict_picture_draws_the_output_asked_for(monkeypatch):
    inputs, outputs = _fake_predictor_batch()
    calls = _capture(monkeypatch, "frame_rows")
    pictures.prediction_picture(PREDICTOR, inputs, outputs, "past.png", output="past")
    pictures.prediction_picture(PREDICTOR, inputs, outputs, "future.png", output="future")
    (past_rows, _, past_labels), (future_rows, _, future_labels) = calls
    np.testing.assert_array_equal(past_rows[1], outputs["past"][0][::-1])  # oldest first
    assert past_labels == ["input frames", "predicted past (oldest first)"]
    np.testing.assert_array_equal(future_rows[1], outputs["future"][0])
    assert future_labels == ["input frames", "predicted future"]


def test_predict_picture_files_differ_per_output(tmp_path):
    inputs, outputs = _fake_predictor_batch()
    past = pictures.prediction_picture(PREDICTOR, inputs, outputs, tmp_path / "p.png", output="past")
    future = pictures.prediction_picture(PREDICTOR, inputs, outputs, tmp_path / "f.png", output="future")
    assert past.read_bytes() != future.read_bytes()
    with pytest.raises(ValueError, match=r"--output must be one of \['future', 'past'\]"):
        pictures.prediction_picture(PREDICTOR, inputs, outputs, tmp_path / "x.png", output="nope")


def test_gifs_label_input_frames_as_inputs(monkeypatch, tmp_path):
    inputs, outputs = _fake_predictor_batch()
    calls = _capture(monkeypatch, "frames_gif")
    pictures.prediction_picture(PREDICTOR, inputs, outputs, "future.gif", output="future")
    pictures.model_pictures(
        _FakeModel(outputs), PREDICTOR, inputs, {k: v.copy() for k, v in outputs.items()}, tmp_path
    )
    for panels, _ in calls:
        for segments in panels:
            titles = drawing.gif_titles(segments)
            assert titles[:10] == [f"input {k}" for k in range(1, 11)]
            assert all("input" not in title for title in titles[10:])
    assert [drawing.gif_titles(s)[10] for s in calls[1][0]] == ["true future 1", "predicted future 1"]


def test_frames_gif_writes_every_frame(tmp_path):
    inputs, outputs = _fake_predictor_batch()
    path = drawing.frames_gif(
        [[(inputs[0], "input"), (outputs["past"][0], "predicted past")]], tmp_path / "a.gif"
    )
    assert Image.open(path).n_frames == 19


class _FakeModel:
    def __init__(self, outputs):
        self.outputs = outputs

    def predict_on_batch(self, inputs):
        return self.outputs


def test_classes_picture_shows_that_step_0_is_not_scored(monkeypatch, tmp_path):
    figures = []
    monkeypatch.setattr(drawing, "save", lambda figure, path: figures.append(figure))
    bits = np.array([1, 0, 1, 1, 0], dtype="float32")[:, None]
    classes = np.array([1, 2, 1, 3, 2])
    probabilities = np.eye(4)[[3, 2, 1, 3, 2]]  # step 0 predicted 3: unscored, not an error
    drawing.classes_plot(bits, classes, probabilities, tmp_path / "classes.png")
    bottom = figures[0].axes[1]
    labels = [text.get_text() for text in bottom.get_legend().get_texts()]
    assert "not scored (no previous bit)" in labels
    predicted = next(line for line in bottom.get_lines() if line.get_label() == "predicted")
    assert list(predicted.get_xdata()) == [1, 2, 3, 4]
    (shade,) = bottom.patches
    assert shade.get_label() == "not scored (no previous bit)"
    assert shade.get_x() == -0.5 and shade.get_width() == 1.0  # spans step 0 only
