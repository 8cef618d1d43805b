"""`ViewPointFrames`: the last frames of a clip, newest first."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="aezoo")
class ViewPointFrames(keras.layers.Layer):
    """The last `count` frames of a clip in reverse order (the view point first).

    The past head of the conditional predictor walks back in time from the
    view point (the last input frame): this layer gives it its context.

    Args:
        count: int >= 1, how many frames, counted back from the last.
        **kwargs: base `Layer` arguments.

    Call arguments:
        inputs: `(batch, time, ...)` with `time >= count`.

    Output shape:
        `(batch, count, ...)`: frames `time - 1, time - 2, ..., time - count`.

    Example:

    >>> frames = np.arange(5, dtype="float32").reshape(1, 5, 1, 1, 1)
    >>> ViewPointFrames(3)(frames)[0, :, 0, 0, 0]
    [4., 3., 2.]
    """

    def __init__(self, count, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ValueError(f"`count` must be a positive integer. Received: count={count!r}")
        self.count = count

    def call(self, inputs):
        time = inputs.shape[1]
        if time is not None and time < self.count:
            raise ValueError(
                f"{self.name} takes the last {self.count} frames, but the clip has "
                f"{time}. Received: inputs.shape={inputs.shape}"
            )
        return ops.flip(inputs[:, -self.count :], axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.count) + tuple(input_shape[2:])

    def get_config(self):
        config = super().get_config()
        config["count"] = self.count
        return config
