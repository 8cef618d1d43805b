"""The predictor's data: the first `frames_in` frames of a Moving MNIST
sequence, and the future and past frames around the view point.

Inputs `(batch, frames_in, image_size, image_size, 1)`; targets
`{"future": the next frames_out frames, "past": the frames_past frames
before the last input frame, nearest first}`. A view point other than the
last input frame needs no option: generated sequences are stationary
(uniform start, bouncing), so a window at any offset of a longer sequence
has the same distribution as a fresh sequence.
"""

import tensorflow as tf

from aezoo.family import DataLayout


def layout(config):
    """Sequences of `frames_in + frames_out` frames on the configuration's canvas."""
    frames_in, frames_out, frames_past = (
        config["frames_in"], config["frames_out"], config["frames_past"]
    )
    if not 1 <= frames_past <= frames_in - 1:
        raise ValueError(
            "`frames_past` counts the input frames before the last one, so it "
            f"must be in [1, frames_in - 1 = {frames_in - 1}]. Received: "
            f"frames_past={frames_past}, frames_in={frames_in}"
        )
    if config["image_channels"] != 1:
        raise ValueError(
            "Moving MNIST frames have 1 channel. Received: "
            f"image_channels={config['image_channels']}"
        )

    def past_and_future(inputs, future):
        # Frames frames_in-2, frames_in-3, ..., frames_in-1-frames_past.
        past = tf.reverse(inputs[:, frames_in - 1 - frames_past : frames_in - 1], axis=[1])
        return inputs, {"future": future, "past": past}

    options = {
        "num_frames": frames_in + frames_out,
        "input_frames": frames_in,
        "canvas_size": config["image_size"],
    }
    return DataLayout(options, past_and_future)
