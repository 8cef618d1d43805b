"""`HazeFloor`: takes the faint pixels of predicted frames to black at inference."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="aezoo")
class HazeFloor(keras.layers.Layer):
    """Takes values below `threshold` to 0 at inference; identity in training.

    A frame predictor trained on squared error spreads a faint haze where it
    is unsure where a digit went: the squared error of a haze of 0.05 is
    tiny, but it costs structural similarity (SSIM) on the black background
    and shows as a grey veil. `HazeFloor` removes what lies below
    `threshold` from the frames a model emits:
    `relu(min(y, 2 (y - threshold)))`, which is 0 up to `threshold`, rises
    with slope 2 to meet `y` at `2 * threshold` and is `y` above. It is
    continuous, so outputs computed twice with float32 rounding (another
    backend, a SavedModel) still differ by at most twice that rounding; a
    hard cut would flip a value near `threshold` to 0 on one side only.
    Like `keras.layers.Dropout`
    it acts only at inference (`training=False`: `predict`, `evaluate`, the
    validation of `fit`, an exported SavedModel), so the training gradients
    are those of the plain output, and it has no weights.

    Args:
        threshold: float in [0, 0.5): values up to it become 0, values from
            `2 * threshold` up are kept as they are. 0 keeps every value.
        **kwargs: base `Layer` arguments.

    Call arguments:
        inputs: a float tensor of any shape.
        training: Python bool; `True` returns `inputs` unchanged.

    Output shape:
        Same as the input.

    Example:

    >>> layer = HazeFloor(0.1)
    >>> layer(np.array([0.0, 0.05, 0.1, 0.15, 0.2, 0.7], "float32"))
    [0.0, 0.0, 0.0, 0.1, 0.2, 0.7]
    >>> layer(np.array([0.0, 0.05, 0.1, 0.15, 0.2, 0.7], "float32"), training=True)
    [0.0, 0.05, 0.1, 0.15, 0.2, 0.7]
    """

    def __init__(self, threshold, **kwargs):
        super().__init__(**kwargs)
        if (
            isinstance(threshold, bool)
            or not isinstance(threshold, (int, float))
            or not 0.0 <= threshold < 0.5
        ):
            raise ValueError(
                f"`threshold` must be a number in [0, 0.5). Received: threshold={threshold!r}"
            )
        self.threshold = float(threshold)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if training or self.threshold == 0.0:
            return inputs
        return ops.relu(ops.minimum(inputs, 2.0 * (inputs - self.threshold)))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["threshold"] = self.threshold
        return config
