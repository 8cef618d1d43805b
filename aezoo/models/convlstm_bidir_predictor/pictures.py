"""The predictor's pictures: frame rows and GIFs of the input, true and
predicted frames."""

# Frame outputs that hold their frames newest first (the past), drawn oldest first.
NEWEST_FIRST = ("past",)


def pictures(model, inputs, targets, folder):
    """`frames.png` (input, true and predicted future and past) and
    `future.gif` (the input frames, then the true and the predicted future)."""
    from aezoo import drawing

    predicted = model.predict_on_batch(inputs[:1])
    past_true = targets["past"][0][::-1]
    past_pred = predicted["past"][0][::-1]
    rows = [inputs[0], targets["future"][0], predicted["future"][0], past_true, past_pred]
    labels = [
        "input frames", "true future", "predicted future",
        "true past (oldest first)", "predicted past (oldest first)",
    ]
    return [
        drawing.frame_rows(rows, folder / "frames.png", labels),
        drawing.frames_gif(
            [
                [(inputs[0], "input"), (targets["future"][0], "true future")],
                [(inputs[0], "input"), (predicted["future"][0], "predicted future")],
            ],
            folder / "future.gif",
        ),
    ]


def prediction_picture(inputs, outputs, path, output):
    """The input frames and the predicted `output` frames: a frame-row `.png`
    or a `.gif` that plays them one after another."""
    from aezoo import drawing

    frames, label = outputs[output][0], f"predicted {output}"
    if output in NEWEST_FIRST:
        frames, label = frames[::-1], f"{label} (oldest first)"
    if path.suffix == ".gif":
        return drawing.frames_gif([[(inputs[0], "input"), (frames, label)]], path)
    return drawing.frame_rows([inputs[0], frames], path, ["input frames", label])
