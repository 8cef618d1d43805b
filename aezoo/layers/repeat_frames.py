"""`RepeatFrames`: repeats a frame along a new time axis."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="aezoo")
class RepeatFrames(keras.layers.Layer):
    """Repeats a tensor `frames` times along a new time axis (axis 1).

    The 5D counterpart of `keras.layers.RepeatVector`: it turns a code map
    `(batch, rows, cols, channels)` into a constant input sequence
    `(batch, frames, rows, cols, channels)` for a recurrent decoder.

    Args:
        frames: int >= 1, the number of repetitions.
        **kwargs: base `Layer` arguments.

    Call arguments:
        inputs: a tensor `(batch, ...)`.

    Input shape:
        `(batch, d1, ..., dn)`.

    Output shape:
        `(batch, frames, d1, ..., dn)`.

    Example:

    >>> RepeatFrames(3)(np.zeros((2, 4, 4, 8), "float32")).shape
    (2, 3, 4, 4, 8)
    """

    def __init__(self, frames, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(frames, int) or isinstance(frames, bool) or frames < 1:
            raise ValueError(
                f"`frames` must be a positive integer. Received: frames={frames!r}"
            )
        self.frames = frames

    def call(self, inputs):
        return ops.repeat(ops.expand_dims(inputs, 1), self.frames, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.frames) + tuple(input_shape[1:])

    def get_config(self):
        config = super().get_config()
        config["frames"] = self.frames
        return config
